// `ca2-inspector export`: selected exchanges of a recording as a HAR file or a capture,
// with tokens redacted unless --keep-tokens.

import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { ExportError, exportRecording, type ExportResult } from '../capture/export.ts';
import { DEFAULT_DB } from './defaults.ts';
import { openRecording } from './schema-option.ts';
import { toolVersion } from '../capture/tool-version.ts';
import { parseCommandArgs } from './args.ts';
import { checkFilter } from './options.ts';
import { checkOutputFile } from './paths.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_NOT_CLEAN } from './exit-status.ts';
import { progressLine } from './progress.ts';

const help = `usage: ca2-inspector export [--db FILE] [--filter EXPR] [-o FILE] [--format har|capture]
                            [--proto PATH]... [--keep-tokens] [--strip-claims]

  --db FILE          the recording to export from (default ./${DEFAULT_DB})
  --filter EXPR      only the exchanges this filter selects (the inspector's language)
  -o, --output FILE  where to write (default ./ca2-capture.har or ./ca2-capture.sqlite)
  --format FORMAT    har or capture; by default .har files are HAR, anything else a capture
  --proto PATH       the schema to decode with (default: the one the recording keeps)
  --keep-tokens      write tokens as recorded: no redaction (for your own use only)
  --strip-claims     also replace JWT claims, keeping a pseudonymous sub only
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('export', argv, {
    db: { type: 'string' },
    filter: { type: 'string' },
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    proto: { type: 'string', multiple: true },
    'keep-tokens': { type: 'boolean' },
    'strip-claims': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (values.format !== undefined && values.format !== 'har' && values.format !== 'capture') {
    throw new UserError(`--format takes har or capture; got "${values.format}".`);
  }
  if (values['keep-tokens'] && values['strip-claims']) {
    throw new UserError('--strip-claims redacts and --keep-tokens does not: pass one of them.');
  }
  const format = (values.format ?? (values.output === undefined || extname(values.output).toLowerCase() === '.har' ? 'har' : 'capture')) as
    | 'har'
    | 'capture';
  const output = values.output ?? (format === 'har' ? 'ca2-capture.har' : 'ca2-capture.sqlite');
  const db = values.db ?? DEFAULT_DB;
  if (!existsSync(db)) throw new UserError(`${db} does not exist; pass --db with the file the proxy recorded into.`);

  const filter = checkFilter(values.filter);
  checkOutputFile(output, values.output === undefined ? 'the output' : '-o');
  const recording = openRecording(db, values.proto ?? [], 'export');
  const { store, codec } = recording;
  try {
    const redact = !values['keep-tokens'];
    const progress = progressLine(process.stdout.isTTY === true, (text) => process.stdout.write(text));
    let result: ExportResult;
    try {
      result = await exportRecording(store, {
        format,
        output,
        filter,
        redact,
        stripClaims: values['strip-claims'],
        codec,
        toolVersion,
        notice: (line) => process.stderr.write(`ca2-inspector export: ${line}\n`),
        progress: ({ phase, done, total }) => progress.update({ label: phase === 'reading' ? 'exporting: reading tokens' : 'exporting: writing', done, total, unit: 'exchanges' }),
      });
    } finally {
      progress.end();
    }
    process.stdout.write(`ca2-inspector export: ${result.exchanges} exchange(s) written to ${output} (${format === 'har' ? 'HAR 1.2' : 'capture'}).\n`);
    if (!result.redaction) {
      process.stdout.write('ca2-inspector export: --keep-tokens: tokens are written as recorded; the file holds working credentials, so keep it to yourself.\n');
    } else {
      const fields = Object.entries(result.redaction.fields).map(([where, n]) => `${where} ×${n}`);
      process.stdout.write(
        `ca2-inspector export: ${result.redaction.tokens} token(s) redacted${fields.length ? `: ${fields.join(', ')}` : ''}; no original token is left in the file.\n`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof ExportError) {
      process.stderr.write(`ca2-inspector export: ${err.message}\n`);
      return EXIT_NOT_CLEAN;
    }
    throw err;
  } finally {
    recording.close();
  }
}
