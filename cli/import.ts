// `ca2-inspector import`: HAR files and captures merged into a recording. Each file is
// read, checked and stored an exchange at a time, in one transaction: all of it, or, when
// an entry is refused, none.

import { existsSync, rmSync } from 'node:fs';
import { examine, type FileUse } from '../storage/file-check.ts';
import { openForImport, recordFlows } from '../capture/record.ts';
import { openImport } from '../capture/import-pipe.ts';
import type { Store } from '../storage/store.ts';
import { DEFAULT_DB } from './defaults.ts';
import { codecFor } from './schema-option.ts';
import { parseCommandArgs } from './args.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_USER_ERROR } from './exit-status.ts';
import { checkInputFile } from './paths.ts';
import { progressLine } from './progress.ts';

const NEW_RECORDING_CACHE_BYTES = 16 * 2 ** 20;

const help = `usage: ca2-inspector import FILE... [--db FILE] [--proto PATH]...

  FILE          a HAR file (from ca2-inspector, Chrome, Playwright, mitmproxy or HTTP Toolkit),
                a capture, or another recording
  --db FILE     the recording to add to (default ./${DEFAULT_DB}); made if missing
  --proto PATH  the schema to decode with (default: each file's own, and for the recording
                the one it keeps, else the bundled envelope)

An exchange already in the recording is not added again. A file with a malformed entry is
refused whole, naming the entry and the field.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals: files } = parseCommandArgs('import', argv, {
    db: { type: 'string' },
    proto: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  }, { positionals: Infinity });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (files.length === 0) throw new UserError("name at least one file to import; see 'ca2-inspector import --help'.");
  for (const file of files) checkInputFile(file, 'the file to import');
  const db = values.db ?? DEFAULT_DB;
  const protoPaths = values.proto ?? [];
  const use: FileUse = { flag: '--db', command: 'import', writes: true };
  // What --db is, is known before anything is read or written; a schema mistake too. The
  // recording reads back with --proto, else the schema it keeps.
  const kept = examine(db, use).schema;
  const recordingCodec = codecFor(protoPaths, kept && { bytes: kept.descriptorSet, label: db, fingerprint: kept.fingerprint });

  const made = !existsSync(db);
  // A new recording is loaded with its indexes built after the rows (storage/bulk-load.ts), which go in in order: a small
  // page cache holds what is written, where the default one filled up, 56 MB of a 100,000-exchange import's peak RSS.
  // A recording that holds exchanges keeps its indexes up row by row, which wants the default.
  const cacheBytes = made ? NEW_RECORDING_CACHE_BYTES : undefined;
  const notice = (line: string) => process.stdout.write(`ca2-inspector import: ${line}\n`);
  const store = openForImport(db, recordingCodec, { cacheBytes, freshLoad: made, use, onNotice: notice });
  let failed = 0;
  let added = 0;
  try {
    for (const file of files) {
      try {
        const result = await importFile(store, file, protoPaths, notice);
        added += result.added;
        const skipped = result.duplicates ? `; ${result.duplicates} already there, left out` : '';
        process.stdout.write(`ca2-inspector import: ${file}: ${result.added} exchange(s) added to ${db}${skipped}.\n`);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        failed++;
        process.stderr.write(`ca2-inspector import: ${err.message}\n`);
      }
    }
  } finally {
    store.close();
    // A recording this command made and put nothing in is not left behind.
    if (made && added === 0 && failed > 0) for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  }
  return failed ? EXIT_USER_ERROR : 0;
}

/** One file, read (on a thread of its own: capture/import-pipe.ts) and stored an exchange at a time, all of it or (when it is refused) none. */
async function importFile(store: Store, file: string, protoPaths: string[], notice: (line: string) => void): Promise<{ added: number; duplicates: number }> {
  const source = await openImport(file, notice);
  const progress = progressLine(process.stdout.isTTY === true, (text) => process.stdout.write(text));
  try {
    const codec = codecFor(protoPaths, source.descriptorSet && { bytes: source.descriptorSet, label: file });
    let read = 0;
    const label = `importing ${file}`;
    const show = () => progress.update({ label, done: read, total: source.total, share: source.share?.(), unit: 'exchanges' });
    const result = recordFlows(store, codec, source.flows, { dedupe: true, read: () => (read++, show()) });
    show();
    return result;
  } finally {
    progress.end();
    source.close();
  }
}
