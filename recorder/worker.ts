// The worker thread that hosts the backend; recorder/worker-bridge.ts is its other end.
// Tap calls arrive in the shared ring (recorder/tap-ring.ts); messages only start and
// stop it. Each batch goes to the recorder, or while nobody watches to the journal
// (recorder/tap-journal.ts).

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { DEBUG_ENV, describeBug, UserError } from '../model/user-error.ts';
import { CLOSE_BUDGET_MS, startBackend, type Backend } from './backend.ts';
import { RingReader } from './tap-ring.ts';
import { replayCall } from './tap-journal.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-messages.ts';

/**
 * For tests of a proxy that outlives its recorder: the thread ends once it records an
 * exchange to this path. Nothing a client does can end it otherwise.
 */
const TEST_EXIT_ON_PATH = 'CA2_INSPECTOR_TEST_RECORDER_EXIT_ON_PATH';

const RECORDER_NICE = 10;
/** Calls handled per turn of the worker's event loop, so the inspector's requests are served during a flood. */
const CALLS_PER_TURN = 2_000;
/** The writer wakes the reader; this only guards against a wake-up that never comes. */
const WAIT_GUARD_MS = 1_000;
/**
 * Once woken, the reader lets calls gather this long before it reads them: one turn for
 * many calls rather than a wake-up per call, which cost more than recording the call.
 * With the store's flush interval (50 ms) it bounds what kill -9 can lose to under 100 ms.
 */
const GATHER_MS = 40;

const port = parentPort!;
yieldCpuToForwarding();
const post = (message: FromWorker) => port.postMessage(message);
const log = (line: string) => post({ type: 'log', line });
const setup = workerData as WorkerSetup;
// Nothing a client does reaches here (proxy/listen.ts hears every socket's errors), but a
// bug that does must not end recording and the inspector with it: said, as the proxy's
// own thread says it (cli/proxy.ts), and the thread goes on.
process.on('uncaughtException', (err) => log(`recording: unexpected error, still running: ${describeBug(err, Boolean(process.env[DEBUG_ENV]))}`));

try {
  const backend = await startBackend(setup.options, log);
  const reader = new RingReader(setup.ring);
  const { recorder, journal } = backend;
  const exitOnPath = process.env[TEST_EXIT_ON_PATH];
  if (exitOnPath) recorder.addListener({ exchange: (summary) => void (summary.path === exitOnPath && process.exit(70)) });
  let closing = false;
  const drain = (limit: number) => {
    let more: boolean;
    if (journal.defers()) {
      // While writes fail, calls stay in the ring, whose cap and drop counts then apply.
      const taken = journal.blocked ? null : reader.takeRecords(limit);
      if (taken) journal.put(taken.records, taken.count, taken.ends);
      more = taken !== null && reader.waiting();
    } else {
      more = reader.drain((call) => replayCall(recorder, call, log), limit);
    }
    noteDropped(backend, reader);
    return more;
  };
  void (async () => {
    while (!closing) {
      if (drain(CALLS_PER_TURN)) {
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        await reader.wait(WAIT_GUARD_MS);
        await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
      }
    }
  })();
  port.on('message', async (message: ToWorker) => {
    if (message.type !== 'shutdown') return;
    closing = true;
    const deadline = Date.now() + CLOSE_BUDGET_MS;
    journal.beginClose();
    // The proxy writes nothing more once it asked: what the ring holds is all there is.
    while (drain(CALLS_PER_TURN));
    const stats = await backend.close(deadline);
    post({ type: 'closed', stats });
  });
  post({ type: 'ready', ui: backend.ui });
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message, cause: err instanceof UserError ? 'user' : 'other' });
}

function noteDropped(backend: Backend, reader: RingReader): void {
  const dropped = reader.takeDropped();
  if (dropped.exchanges || dropped.frames) backend.noteDropped(dropped);
}

/**
 * On Linux a thread has its own nice value: lowering the recorder's lets the forwarding
 * thread win the CPU when both want it, and recording catches up when traffic pauses
 * (the ring bounds what waits). Elsewhere the thread keeps its priority.
 */
function yieldCpuToForwarding(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid)) setPriority(tid, RECORDER_NICE);
  } catch {
    // No /proc, or not allowed: recording simply competes on equal terms.
  }
}
