// The thread an export reads its exchanges on (capture/export-reads.ts starts it): each
// pass over them posted a batch at a time to the thread that learns, redacts and writes
// (capture/flow-pipe.ts). It stops when that thread closes the pipe.

import { workerData } from 'node:worker_threads';
import { createCodec } from '../proto/codec.ts';
import { Store } from '../storage/store.ts';
import type { ExportReadJob } from './export-reads.ts';
import { PipeEnd, type PipeJob } from './flow-pipe.ts';
import { namedFlows } from './sources.ts';

const job = workerData as ExportReadJob & PipeJob;
const end = new PipeEnd<null>(job);

/**
 * Each exchange is read once a pass, in id order: a page cache keeps little it reads again but
 * the b-trees' upper pages, and memory is the export's budget too.
 */
const READ_CACHE_BYTES = 2 * 2 ** 20;

function run(): void {
  let store: Store | null = null;
  try {
    const codec = createCodec({ descriptorSet: { bytes: job.schema.bytes, label: job.file, fingerprint: job.schema.fingerprint } });
    store = Store.openReadOnly(job.file, { codec, use: { flag: '--db', command: 'export', writes: false }, cacheBytes: READ_CACHE_BYTES });
    if (!end.post({ type: 'opened', opened: null })) return;
    for (let pass = 0; pass < job.passes; pass++) if (!end.postFlows(namedFlows(store, job.ids))) return;
  } catch (err) {
    end.fail(err);
  } finally {
    store?.close();
  }
}

run();
