// The thread an import reads its file on (capture/import-pipe.ts starts it): the file's
// flows, posted a batch at a time to the thread that records and writes them, a few
// batches ahead at most. It stops when that thread closes the pipe.

import { workerData } from 'node:worker_threads';
import type { Flow } from '../model/flow.ts';
import { UserError } from '../model/user-error.ts';
import { BatchPacker } from './import-batch.ts';
import { CANCELLED, PIPE_AHEAD, PIPE_BATCH, pipeEnd, TAKEN, type ImportJob } from './import-pipe.ts';
import { openSource, type Source } from './sources.ts';

const job = workerData as ImportJob;
const { file } = job;
const { counters, post, posted } = pipeEnd(job);

/** Waits while the writer is PIPE_AHEAD batches behind; false once it has cancelled. */
function room(): boolean {
  for (;;) {
    if (Atomics.load(counters, CANCELLED)) return false;
    const taken = Atomics.load(counters, TAKEN);
    if (posted() - taken < PIPE_AHEAD) return true;
    Atomics.wait(counters, TAKEN, taken);
  }
}

const packer = new BatchPacker();

function postBatch(flows: Flow[], share: number | null): boolean {
  const batch = packer.pack(flows);
  return room() && post({ type: 'batch', batch, share }, [batch.bodies, batch.spans.buffer as ArrayBuffer]);
}

function run(): void {
  let source: Source | null = null;
  try {
    // The writer checks the values (capture/import-pipe.ts), meanwhile: it was a tenth of reading a capture.
    source = openSource(file, { checkValues: false });
    if (!post({ type: 'opened', descriptorSet: source.descriptorSet, total: source.total, rows: source.rows })) return;
    let batch: Flow[] = [];
    for (const flow of source.flows) {
      batch.push(flow);
      if (batch.length < PIPE_BATCH) continue;
      if (!postBatch(batch, source.share?.() ?? null)) return;
      batch = [];
    }
    if (batch.length > 0 && !postBatch(batch, source.share?.() ?? null)) return;
    post({ type: 'done' });
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message, user: err instanceof UserError, stack: (err as Error).stack });
  } finally {
    // Open until the writer is done with it: it may still be checking the rows, or a copy of them the close removes.
    while (source !== null && !Atomics.load(counters, CANCELLED)) Atomics.wait(counters, CANCELLED, 0);
    source?.close();
  }
}

run();
