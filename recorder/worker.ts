// The worker thread that hosts the backend; recorder/worker-bridge.ts is its other end.

import { parentPort, workerData } from 'node:worker_threads';
import type { TapHook } from '../proxy/tap.ts';
import { startBackend, type BackendOptions } from './backend.ts';
import type { FromWorker, ToWorker } from './worker-messages.ts';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const log = (line: string) => post({ type: 'log', line });

try {
  const backend = await startBackend(workerData as BackendOptions, log);
  port.on('message', async (message: ToWorker) => {
    if (message.type === 'tap') {
      const hook = backend.recorder[message.hook as TapHook] as ((...args: unknown[]) => void) | undefined;
      try {
        hook?.apply(backend.recorder, message.args);
      } catch (err) {
        log(`recording: ${message.hook} failed and was skipped: ${(err as Error).message}`);
      }
    } else if (message.type === 'shutdown') {
      const stats = await backend.close();
      post({ type: 'closed', stats });
    }
  });
  post({ type: 'ready', ui: backend.ui });
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message });
}
