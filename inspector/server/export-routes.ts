// The inspector's Export: a preview of what an export of the current filter (or the
// selected rows) would hold and redact, then the file itself as a download. Both run the
// same export as the CLI, tokens redacted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { exportRecording, previewExport } from '../../capture/export.ts';
import type { ExportPreview } from '../../model/types.ts';
import type { Codec } from '../../proto/codec.ts';
import type { Store } from '../../storage/store.ts';

export function exportRouter(store: Store, codec: Codec, toolVersion: string): express.Router {
  const router = express.Router();

  // An export must hold everything recorded, so it waits for a journal being made into
  // rows (recorder/tap-journal.ts) where a list page shows what is stored so far.
  router.get('/export/preview', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    await store.whenStored();
    answer(res, () => {
      const { exchanges, redaction } = previewExport(store, { ...selection, redact: true, codec });
      res.json({ exchanges, tokens: redaction?.tokens ?? 0, fields: redaction?.fields ?? {} } satisfies ExportPreview);
    });
  });

  router.get('/export', async (req, res) => {
    const selection = selectionOf(req.query);
    if (typeof selection === 'string') return void res.status(400).json({ error: selection });
    await store.whenStored();
    const format = req.query.format ?? 'har';
    if (format !== 'har' && format !== 'capture') return void res.status(400).json({ error: `format must be har or capture; got "${String(format)}".` });
    const dir = mkdtempSync(join(tmpdir(), 'ca2-download-'));
    const name = format === 'har' ? 'ca2-capture.har' : 'ca2-capture.sqlite';
    const file = join(dir, name);
    answer(res, () => {
      exportRecording(store, { ...selection, format, output: file, redact: true, codec, toolVersion });
      res.download(file, name, () => rmSync(dir, { recursive: true, force: true }));
    }, () => rmSync(dir, { recursive: true, force: true }));
  });

  return router;
}

/** The filter, or the ids of the selected rows (ids=3,5,8), or a sentence saying what is wrong. */
function selectionOf(query: express.Request['query']): { filter?: string; ids?: number[] } | string {
  const filter = typeof query.filter === 'string' ? query.filter : undefined;
  if (typeof query.ids !== 'string' || query.ids === '') return { filter };
  const ids = query.ids.split(',').map(Number);
  if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) return `ids must be exchange ids separated by commas; got "${query.ids}".`;
  return { ids };
}

function answer(res: express.Response, run: () => void, onFailure: () => void = () => {}): void {
  try {
    run();
  } catch (err) {
    onFailure();
    throw err;
  }
}
