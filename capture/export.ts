// `export`: the selected exchanges of a recording as a HAR file or a capture, redacted
// unless asked not to. Redaction works on the bytes; the exchanges are then recorded anew
// from the redacted bytes, so the decoded JSON, the summaries and the search index hold
// only what the bytes hold. Before the file appears, every byte of the output is searched
// for every original token, and a hit stops the export. Exchanges are read, redacted,
// written and checked a batch at a time, so memory does not grow with the selection; a
// large selection is read on a thread of its own meanwhile (capture/export-reads.ts).

import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FlowHead } from '../model/flow.ts';
import { UserError } from '../model/user-error.ts';
import type { Codec } from '../proto/codec.ts';
import { writeCaptureMeta } from '../storage/capture-meta.ts';
import type { Store } from '../storage/store.ts';
import { FlowDecoder } from '../storage/decode.ts';
import { isoTime } from '../storage/views.ts';
import { harEntry } from './har-export.ts';
import { HarWriter } from './har-write.ts';
import { LeakCheck } from './leak-check.ts';
import { feedRecorder } from './captured.ts';
import { openForImport, RECORD_BATCH } from './record.ts';
import { RecordedBatch } from './recorded-batch.ts';
import { Recorder } from '../recorder/recorder.ts';
import { execFacts, execFactsOf, execMessages, type ExecMessages } from '../proto/exchange-facts.ts';
import { Redactor, type RedactionReport } from './redact.ts';
import { openExportReads, type ExportReads } from './export-reads.ts';
import { selectIds } from './sources.ts';

const WORKING_CACHE_BYTES = 8 * 2 ** 20;
/**
 * Exchanges read, recorded and committed at a time while writing; progress is still told
 * every RECORD_BATCH. A batch's flows, redacted copies and queued rows live until its
 * commit: at 500 a 100,000-exchange capture's young-generation collections copied 300 MB
 * of them (GC pauses 0.7 s), at 100 70 MB (0.4 s).
 */
const WRITE_BATCH = 100;

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
  progress?: (progress: ExportProgress) => void;
  /** Told, in a sentence, when the exchanges could not be read on a thread of their own. */
  notice?: (line: string) => void;
}

/**
 * How far an export has got: first, when it redacts, every exchange is read for the tokens
 * it carries (reading); then each is redacted and written (writing).
 */
export interface ExportProgress {
  phase: 'reading' | 'writing';
  done: number;
  total: number;
}

export interface ExportResult {
  exchanges: number;
  /** null with redaction off. */
  redaction: RedactionReport | null;
}

type Selection = Pick<ExportOptions, 'filter' | 'ids' | 'redact' | 'stripClaims' | 'codec' | 'progress' | 'notice'>;

/** What an export would hold and replace, without writing anything: the inspector's preview. */
export async function previewExport(source: Store, options: Selection): Promise<ExportResult> {
  const ids = selectIds(source, options);
  const reads = await openExportReads(source, ids, { codec: options.codec, passes: options.redact ? 2 : 0, notice: options.notice });
  try {
    const redactor = learnTokens(reads, ids.length, options);
    if (redactor) for (const flow of reads.pass()) redactor.redact(flow);
    return { exchanges: ids.length, redaction: redactor?.report() ?? null };
  } finally {
    reads.close();
  }
}

/**
 * A Redactor that has learned every token of the exchanges (a pass of `reads`), or null
 * with redaction off: every exchange is read once for its tokens before any is redacted,
 * since a token one exchange reveals is to be replaced in all.
 */
function learnTokens(reads: ExportReads, total: number, options: Selection): Redactor | null {
  if (!options.redact) return null;
  const redactor = new Redactor({ stripClaims: options.stripClaims, codec: options.codec });
  let done = 0;
  for (const flow of reads.pass()) {
    redactor.learn(flow);
    if (++done % RECORD_BATCH === 0) options.progress?.({ phase: 'reading', done, total });
  }
  if (done % RECORD_BATCH !== 0) options.progress?.({ phase: 'reading', done, total });
  return redactor;
}

/**
 * Writes the export a batch of exchanges at a time: each is redacted, recorded anew from
 * its redacted bytes (for a capture, into a working recording beside the output), checked
 * for tokens as recorded and, for a HAR, written as its entry. The file appears at
 * `output` only once whole and checked.
 */
export async function exportRecording(source: Store, options: ExportOptions): Promise<ExportResult> {
  const ids = selectIds(source, options);
  const reads = await openExportReads(source, ids, { codec: options.codec, passes: options.redact ? 2 : 1, notice: options.notice });
  try {
    return writeExport(ids.length, reads, learnTokens(reads, ids.length, options), options);
  } finally {
    reads.close();
  }
}

/** exportRecording's writing, in a pass of `reads`, `redactor` having learned from the pass before. */
function writeExport(total: number, reads: ExportReads, redactor: Redactor | null, options: ExportOptions): ExportResult {
  const meta = {
    madeAt: new Date().toISOString(),
    toolVersion: options.toolVersion,
    filter: redactor ? redactor.redactString(options.filter ?? '', 'filter') : options.filter ?? '',
    redacted: options.redact,
  };
  const check = new LeakCheck(redactor?.originals() ?? []);
  const work = writing(options.output, () => mkdtempSync(join(dirname(resolve(options.output)), '.ca2-export-')));
  try {
    const file = join(work, 'out');
    const har = options.format === 'har' ? writing(options.output, () => new HarWriter(`${file}.har`, { version: '1.2', creator: { name: 'ca2-inspector', version: options.toolVersion }, _ca2: meta })) : null;
    // A HAR is written from what is recorded, in memory; a capture is the recording. Each batch goes in just after it is made: a small cache holds it, and memory stays flat.
    const store = har ? null : openForImport(file, options.codec, { cacheBytes: WORKING_CACHE_BYTES, scratch: true });
    const batch = new RecordedBatch(store);
    // The envelopes the recorder decodes for an /exec exchange's facts are its HAR entry's _decoded: not decoded twice.
    // A capture needs no decoded envelopes: its facts are read as the recorder reads them, without their JSON.
    const last: { exec: ExecMessages | null } = { exec: null };
    const recorder = new Recorder(options.codec, batch, har ? (codec, input) => {
      const { request, response } = (last.exec = execMessages(codec, input));
      return execFactsOf(input.requestHeaders, input.status, request, response);
    } : execFacts);
    const decoder = new FlowDecoder(options.codec);
    const writeBatches = () => {
      let position = 0;
      for (const read of reads.pass()) {
        const id = feedRecorder(recorder, redactor ? redactor.redact(read) : read, position++);
        const envelopes = last.exec;
        last.exec = null;
        if (store && read.identity !== undefined) store.putContentKey(id, read.identity);
        if (har) {
          // As recorded from the redacted bytes: what a read of the rows would give.
          const flow = batch.take(id);
          flow.identity = read.identity;
          const entry = harEntry(flow, envelopes && !flow.original ? { request: envelopes.request, response: envelopes.response, frames: [] } : decoder.decode(flow, false));
          refuseLeak(check.find(entry), flow);
          writing(options.output, () => har.write(entry));
        } else {
          // The capture holds the rows, and its readers decode them: every string and byte the rows are written from is searched.
          // As the recorder gave them, not as a read would: the read's copy (1 s of 100,000 exchanges) holds nothing they do not.
          const recorded = batch.takeRecorded(id);
          refuseLeak(check.find({ head: recorded.head, frames: recorded.frames, identity: read.identity }), recorded.head);
        }
        if (position % WRITE_BATCH !== 0) continue;
        store?.commitAll();
        if (position % RECORD_BATCH === 0) options.progress?.({ phase: 'writing', done: position, total });
      }
      store?.commitAll();
      if (position % RECORD_BATCH !== 0) options.progress?.({ phase: 'writing', done: position, total });
    };
    try {
      if (store) store.bulkLoad(writeBatches);
      else writeBatches();
      if (har) {
        refuseLeak(check.find(meta), null);
        writing(options.output, () => har.end());
      }
    } finally {
      recorder.stop();
      store?.close();
      har?.close();
    }
    if (har) {
      moveInto(`${file}.har`, options.output);
    } else {
      writeCaptureMeta(file, meta, options.codec.descriptorSet());
      refuseLeak(check.findInFile(file), null);
      moveInto(file, options.output);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { exchanges: total, redaction: redactor?.report() ?? null };
}

function refuseLeak(token: string | null, flow: Pick<FlowHead, 'request' | 'startedAt'> | null): void {
  if (token === null) return;
  const what = flow ? `the exchange ${flow.request.method} ${flow.request.path} of ${isoTime(flow.startedAt)}` : 'the file';
  throw new ExportError(
    `Export stopped, nothing was written: ${what} still holds a token after redaction. ` +
      'This is a bug in ca2-inspector; report it (without the recording). --keep-tokens writes the file unredacted, for your own use only.',
  );
}

/** The output appears whole or not at all: the working file beside it is renamed over it. */
function moveInto(from: string, to: string): void {
  writing(to, () => renameSync(from, to));
}

/**
 * Runs a step that writes beside or at the output, its failure a sentence: a folder that
 * passed the checks of -o can still refuse (a read-only or full file system).
 */
function writing<T>(output: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw new UserError(`Could not write ${output} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written there. Write somewhere else.`);
  }
}
