// `export`: the selected exchanges of a recording as a HAR file or a capture, redacted
// unless asked not to. Redaction works on the bytes; the exchanges are then recorded anew
// from the redacted bytes, so the decoded JSON, the summaries and the search index hold
// only what the bytes hold. Before the file appears, every byte of the output is searched
// for every original token, and a hit stops the export.

import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Flow } from '../model/flow.ts';
import { UserError } from '../model/user-error.ts';
import type { Codec } from '../proto/codec.ts';
import { writeCaptureMeta } from '../storage/capture-meta.ts';
import type { Store } from '../storage/store.ts';
import { FlowDecoder } from '../storage/decode.ts';
import { isoTime } from '../storage/views.ts';
import type { Har } from './har.ts';
import { harEntry } from './har-export.ts';
import { LeakCheck } from './leak-check.ts';
import { openForImport, recordAll } from './record.ts';
import { Redactor, type RedactionReport } from './redact.ts';
import { selectFlows } from './sources.ts';

/** Redaction left a token behind: nothing is written. The sentence names it a bug, so it answers 500. */
export class ExportError extends UserError {
  constructor(message: string) {
    super(message, { status: 500 });
  }
}

export interface ExportOptions {
  format: 'har' | 'capture';
  output: string;
  filter?: string;
  /** Instead of the filter: these exchanges (the rows selected in the inspector). */
  ids?: number[];
  /** false only with --keep-tokens. */
  redact: boolean;
  stripClaims?: boolean;
  codec: Codec;
  toolVersion: string;
}

export interface ExportResult {
  exchanges: number;
  /** null with redaction off. */
  redaction: RedactionReport | null;
}

type Selection = Pick<ExportOptions, 'filter' | 'ids' | 'redact' | 'stripClaims' | 'codec'>;

/** What an export would hold and replace, without writing anything: the inspector's preview. */
export function previewExport(source: Store, options: Selection): ExportResult {
  const { exchanges, redactor } = select(source, options);
  return { exchanges: exchanges.length, redaction: redactor?.report() ?? null };
}

function select(source: Store, options: Selection): { exchanges: Flow[]; redactor: Redactor | null } {
  let exchanges = selectFlows(source, options);
  if (!options.redact) return { exchanges, redactor: null };
  const redactor = new Redactor({ stripClaims: options.stripClaims, codec: options.codec });
  for (const flow of exchanges) redactor.learn(flow);
  exchanges = exchanges.map((flow) => redactor.redact(flow));
  return { exchanges, redactor };
}

export function exportRecording(source: Store, options: ExportOptions): ExportResult {
  const { exchanges, redactor } = select(source, options);
  const meta = {
    madeAt: new Date().toISOString(),
    toolVersion: options.toolVersion,
    filter: redactor ? redactor.redactString(options.filter ?? '', 'filter') : options.filter ?? '',
    redacted: options.redact,
  };
  const check = new LeakCheck(redactor?.originals() ?? []);
  const work = mkdtempSync(join(tmpdir(), 'ca2-export-'));
  try {
    const file = join(work, 'out');
    const store = openForImport(file, options.codec);
    const decoder = new FlowDecoder(options.codec);
    let written: { flow: Flow; decoded: ReturnType<FlowDecoder['decode']> }[];
    try {
      // Read back as recorded from the redacted bytes: what the file's own rows and decodes hold.
      written = recordAll(store, options.codec, exchanges, { dedupe: false }).ids.map((id, i) => {
        const flow = { ...store.flow(id)!, identity: exchanges[i].identity };
        return { flow, decoded: decoder.decode(flow, false) };
      });
      // A HAR holds the same strings as the flows and is searched itself below.
      if (options.format === 'capture') written.forEach((w) => refuseLeak(check.find(w), w.flow));
    } finally {
      store.close();
    }
    if (options.format === 'har') {
      const har: Har = {
        log: { version: '1.2', creator: { name: 'ca2-inspector', version: options.toolVersion }, entries: written.map((w) => harEntry(w.flow, w.decoded)), _ca2: meta },
      };
      har.log.entries.forEach((entry, i) => refuseLeak(check.find(entry), written[i].flow));
      refuseLeak(check.find(har.log._ca2), null);
      writeFileSync(file + '.har', JSON.stringify(har, null, 1));
      moveInto(file + '.har', options.output);
    } else {
      writeCaptureMeta(file, meta, options.codec.descriptorSet());
      refuseLeak(check.findInBytes(readFileSync(file)), null);
      moveInto(file, options.output);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { exchanges: exchanges.length, redaction: redactor?.report() ?? null };
}

function refuseLeak(token: string | null, flow: Flow | null): void {
  if (token === null) return;
  const what = flow ? `the exchange ${flow.request.method} ${flow.request.path} of ${isoTime(flow.startedAt)}` : 'the file';
  throw new ExportError(
    `Export stopped, nothing was written: ${what} still holds a token after redaction. ` +
      'This is a bug in ca2-inspector; report it (without the recording). --keep-tokens writes the file unredacted, for your own use only.',
  );
}

/** The output appears whole or not at all; a rename across file systems falls back to a copy, which leaves nothing behind if it fails. */
function moveInto(from: string, to: string): void {
  try {
    renameSync(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw unwritable(to, err);
  }
  const partial = join(dirname(to), `.${basename(to)}.partial`);
  try {
    writeFileSync(partial, readFileSync(from));
    renameSync(partial, to);
  } catch (err) {
    rmSync(partial, { force: true });
    throw unwritable(to, err);
  }
}

function unwritable(file: string, err: unknown): UserError {
  return new UserError(`Could not write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written there. Write somewhere else.`);
}
