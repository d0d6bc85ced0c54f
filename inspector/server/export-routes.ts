// The inspector's Export: a preview of what an export of the current filter (or the
// selected rows) would hold and redact, then the file itself as a download. Both run the
// same export as the CLI, tokens redacted, on a thread of their own (export-thread.ts)
// that reads what the store has committed: an export of any size leaves the recorder's
// thread to recording.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { ExportPreview } from '../../model/types.ts';
import { UserError } from '../../model/user-error.ts';
import type { Codec } from '../../proto/codec.ts';
import { StorageError, type Store } from '../../storage/store.ts';
import { startTsWorker } from '../../recorder/ts-worker.ts';
import type { ExportJob, ExportOutcome } from './export-thread.ts';
import { exchangeIds } from './routes.ts';

export function exportRouter(store: Store, codec: Codec, toolVersion: string): express.Router {
  const router = express.Router();

  router.get('/export/preview', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    await committed(store);
    const { exchanges, tokens, fields } = await runExport(store, codec, { ...selection, output: null, toolVersion });
    res.json({ exchanges, tokens, fields } satisfies ExportPreview);
  });

  router.get('/export', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    const format = req.query.format ?? 'har';
    if (format !== 'har' && format !== 'capture') return void res.status(400).json({ error: `format must be har or capture; got "${String(format)}".` });
    await committed(store);
    const dir = mkdtempSync(join(tmpdir(), 'ca2-download-'));
    const name = format === 'har' ? 'ca2-capture.har' : 'ca2-capture.sqlite';
    const file = join(dir, name);
    try {
      await runExport(store, codec, { ...selection, output: { file, format }, toolVersion });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
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

function runExport(store: Store, codec: Codec, job: Omit<ExportJob, 'file' | 'schema'>): Promise<Extract<ExportOutcome, { type: 'done' }>> {
  const schema = { bytes: codec.descriptorSet(), fingerprint: codec.fingerprint };
  const thread = startTsWorker(new URL('./export-thread.ts', import.meta.url), { workerData: { ...job, file: store.file, schema } satisfies ExportJob });
  return new Promise((resolve, reject) => {
    thread.once('message', (outcome: ExportOutcome) => {
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
