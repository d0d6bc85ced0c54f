// The inspector's Export: a preview of what an export of the current filter (or the
// selected rows) would hold and redact, then the file itself as a download, how far it has
// got told on the live stream to the browser that asked (by its progress key). Both run
// the same export as the CLI, tokens redacted, on a thread of their own (export-thread.ts)
// that reads what the store has committed: an export of any size leaves the recorder's
// thread to recording.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { ExportProgress } from '../../capture/export.ts';
import type { ExportPreview, ExportProgressView } from '../../model/types.ts';
import { UserError } from '../../model/user-error.ts';
import type { Codec } from '../../proto/codec.ts';
import { StorageError, type Store } from '../../storage/store.ts';
import { startThread } from '../../recorder/threads.ts';
import type { ExportJob, ExportOutcome } from './export-thread.ts';
import { exchangeIds } from './routes.ts';

/** A key the browser makes up for one download, to know its progress among the others'. */
const PROGRESS_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** `tell` is given each export's progress, `log` a line for the terminal when an export has to do without its reading thread. */
export function exportRouter(store: Store, codec: Codec, toolVersion: string, tell: (progress: ExportProgressView) => void, log: (line: string) => void): express.Router {
  const router = express.Router();

  router.get('/export/preview', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    await committed(store);
    const { exchanges, tokens, fields } = await runExport(store, codec, { ...selection, output: null, toolVersion }, () => {}, log);
    res.json({ exchanges, tokens, fields } satisfies ExportPreview);
  });

  router.get('/export', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    const format = req.query.format ?? 'har';
    if (format !== 'har' && format !== 'capture') return void res.status(400).json({ error: `format must be har or capture; got "${String(format)}".` });
    const key = req.query.progress;
    if (key !== undefined && (typeof key !== 'string' || !PROGRESS_KEY.test(key))) {
      return void res.status(400).json({ error: `progress must be a key of letters, digits, - and _ (at most 64); got "${String(key)}".` });
    }
    const progress = (view: Omit<ExportProgressView, 'key'>) => {
      if (key !== undefined) tell({ key, ...view });
    };
    const dir = mkdtempSync(join(tmpdir(), 'ca2-download-'));
    const name = format === 'har' ? 'ca2-capture.har' : 'ca2-capture.sqlite';
    const file = join(dir, name);
    let exchanges: number;
    try {
      await committed(store);
      ({ exchanges } = await runExport(store, codec, { ...selection, output: { file, format }, toolVersion }, progress, log));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      progress({ phase: 'failed', done: 0, total: 0, error: err instanceof UserError ? err.message : 'The export failed; the terminal ca2-inspector runs in says why.' });
      throw err;
    }
    progress({ phase: 'done', done: exchanges, total: exchanges });
    // Streamed from the file, which is checked whole before a byte of it is sent.
    res.download(file, name, () => rmSync(dir, { recursive: true, force: true }));
  });

  return router;
}

/**
 * Everything recorded so far, in the file for the export's own connection to read: the
 * journal made into rows up to now (recorder/tap-journal.ts; later traffic need not wait),
 * and the store's queue committed.
 */
async function committed(store: Store): Promise<void> {
  await store.whenStored();
  store.flush();
  if (store.writesFailing) {
    throw new StorageError(`Cannot export now: writes to ${store.file} fail, so what was recorded last is not in it yet (the terminal says why). Try again once they resume.`);
  }
}

async function runExport(
  store: Store,
  codec: Codec,
  job: Omit<ExportJob, 'file' | 'schema'>,
  progress: (step: ExportProgress) => void,
  log: (line: string) => void,
): Promise<Extract<ExportOutcome, { type: 'done' }>> {
  const schema = { bytes: codec.descriptorSet(), fingerprint: codec.fingerprint };
  const thread = await startThread(new URL('./export-thread.ts', import.meta.url), { workerData: { ...job, file: store.file, schema } satisfies ExportJob });
  return new Promise((resolve, reject) => {
    thread.on('message', (outcome: ExportOutcome) => {
      if (outcome.type === 'progress') return progress({ phase: outcome.phase, done: outcome.done, total: outcome.total });
      if (outcome.type === 'notice') return log(`inspector export: ${outcome.line}`);
      if (outcome.type === 'done') return resolve(outcome);
      if (outcome.user) return reject(new UserError(outcome.message, outcome.user));
      reject(Object.assign(new Error(outcome.message), { stack: outcome.stack }));
    });
    thread.once('error', reject);
    // After an answer this changes nothing; without one, the thread died (out of memory, say).
    thread.once('exit', (code) => reject(new Error(`the export's thread ended with code ${code} before it answered`)));
  });
}

/** The filter, or the ids of the selected rows (ids=3,5,8), or a sentence saying what is wrong. */
function selectionOf(query: express.Request['query']): { filter?: string; ids?: number[] } | string {
  const filter = typeof query.filter === 'string' ? query.filter : undefined;
  const ids = exchangeIds(query.ids);
  return ids === undefined ? { filter } : typeof ids === 'string' ? ids : { ids };
}
