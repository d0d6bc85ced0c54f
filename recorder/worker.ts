// The worker thread that hosts the backend; recorder/worker-bridge.ts is its other end.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { TapHook } from '../proxy/tap.ts';
import { SchemaError } from '../proto/codec.ts';
import { StorageError } from '../storage/store.ts';
import { startBackend, type BackendOptions } from './backend.ts';
import type { FromWorker, ToWorker } from './worker-messages.ts';

const RECORDER_NICE = 10;
const port = parentPort!;
yieldCpuToForwarding();
const post = (message: FromWorker) => port.postMessage(message);
const log = (line: string) => post({ type: 'log', line });

try {
  const backend = await startBackend(workerData as BackendOptions, log);
  port.on('message', async (message: ToWorker) => {
    if (message.type === 'tap') {
      for (const call of message.calls) {
        const hook = backend.recorder[call.hook as TapHook] as ((...args: unknown[]) => void) | undefined;
        try {
          hook?.apply(backend.recorder, call.args);
        } catch (err) {
          log(`recording: ${call.hook} failed and was skipped: ${(err as Error).message}`);
        }
      }
      post({ type: 'recorded', calls: message.calls.length });
    } else if (message.type === 'shutdown') {
      const stats = await backend.close();
      post({ type: 'closed', stats });
    }
  });
  post({ type: 'ready', ui: backend.ui });
} catch (err) {
  const options = err instanceof SchemaError || err instanceof StorageError;
  post({ type: 'fatal', message: (err as Error).message, cause: options ? 'options' : 'other' });
}

/**
 * On Linux a thread has its own nice value: lowering the recorder's lets the forwarding
 * thread win the CPU when both want it, and recording catches up when traffic pauses
 * (the queue is bounded in storage). Elsewhere the thread keeps its priority.
 */
function yieldCpuToForwarding(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid)) setPriority(tid, RECORDER_NICE);
  } catch {
    // No /proc, or not allowed: recording simply competes on equal terms.
  }
}
