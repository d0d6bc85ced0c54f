// The thread an import reads its file on (capture/import-pipe.ts starts it): the file's
// flows, posted a batch at a time to the thread that records and writes them
// (capture/flow-pipe.ts). It stops when that thread closes the pipe.

import { workerData } from 'node:worker_threads';
import { PipeEnd, type PipeJob } from './flow-pipe.ts';
import type { ImportJob, ImportOpened } from './import-pipe.ts';
import { openSource, type Source } from './sources.ts';

const job = workerData as ImportJob & PipeJob;
const end = new PipeEnd<ImportOpened>(job);

function run(): void {
  let source: Source | null = null;
  try {
    // The writer checks the values (capture/import-pipe.ts), meanwhile: it was a tenth of reading a capture.
    source = openSource(job.file, { checkValues: false });
    if (!end.post({ type: 'opened', opened: { descriptorSet: source.descriptorSet, total: source.total, rows: source.rows } })) return;
    end.postFlows(source.flows, source.share);
  } catch (err) {
    end.fail(err);
  } finally {
    // Open until the writer is done with it: it may still be checking the rows, or a copy of them the close removes.
    if (source !== null) end.waitForClose();
    source?.close();
  }
}

run();
