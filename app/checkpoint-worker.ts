// The thread that checkpoints the recording's WAL (storage/checkpoint.ts), so that the
// recorder's thread never waits for the disk to sync: what it commits is in the file
// (the WAL) as soon as the commit returns, whatever else the machine is writing.
// app/checkpoints.ts is its other end.

import { parentPort, workerData } from 'node:worker_threads';
import { WalCheckpointer } from '../storage/checkpoint.ts';
import { yieldCpuToForwarding } from './thread-priority.ts';
import type { CheckpointsSetup, FromCheckpoints, ToCheckpoints } from './checkpoints.ts';

/**
 * How often the WAL is checkpointed: it then holds about this long of recording (a few MB
 * under a flood), which keeps reads of it quick, at two syncs each time there was anything.
 */
const CHECKPOINT_EVERY_MS = 250;

const port = parentPort!;
const post = (message: FromCheckpoints) => port.postMessage(message);
yieldCpuToForwarding();
const { file } = workerData as CheckpointsSetup;
let failing = false;
try {
  const checkpointer = WalCheckpointer.open(file);
  const timer = setInterval(() => {
    try {
      checkpointer.step();
      if (failing) post({ type: 'problem', message: null });
      failing = false;
    } catch (err) {
      // A full disk or a lock: said once, and tried again on the next tick.
      if (!failing) post({ type: 'problem', message: (err as Error).message });
      failing = true;
    }
  }, CHECKPOINT_EVERY_MS);
  port.on('message', (message: ToCheckpoints) => {
    if (message.type !== 'stop') return;
    clearInterval(timer);
    checkpointer.close();
    port.close();
  });
} catch (err) {
  post({ type: 'problem', message: (err as Error).message });
  port.close();
}
