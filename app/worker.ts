// The worker thread that hosts the backend; app/worker-bridge.ts is its other end.
// Tap calls arrive in the shared ring (recorder/tap-ring.ts); messages only start and
// stop it. Each batch goes to the journal (recorder/tap-journal.ts), which tells the
// watchers, if any, as it takes it.

import { parentPort, workerData } from 'node:worker_threads';
import { DEBUG_ENV, describeBug, UserError } from '../model/user-error.ts';
import { CLOSE_BUDGET_MS, startBackend } from './backend.ts';
import { readRing, type RecordingParts } from '../recorder/read-ring.ts';
import { RingReader } from '../recorder/tap-ring.ts';
import { RuleMirror } from './rule-mirror.ts';
import { PauseMirror } from './pause-mirror.ts';
import { yieldCpuToForwarding } from './thread-priority.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-messages.ts';

/**
 * For tests of a proxy that outlives its recorder: the thread ends once it records an
 * exchange to this path. Nothing a client does can end it otherwise.
 */
const TEST_EXIT_ON_PATH = 'CA2_INSPECTOR_TEST_RECORDER_EXIT_ON_PATH';

/** The writer wakes the reader; this only guards against a wake-up that never comes. */
const WAIT_GUARD_MS = 1_000;
/**
 * Once woken, the reader lets calls gather this long before it reads them: one turn for
 * many calls rather than a wake-up per call, which cost more than recording the call.
 * What a read takes is committed at its end, so a kill -9 loses what came in the last
 * GATHER_MS, one step of other work on this thread (a few ms: making a journal row into
 * rows, a batch of the search index) and one commit.
 */
const GATHER_MS = 20;

const port = parentPort!;
yieldCpuToForwarding();
const post = (message: FromWorker) => port.postMessage(message);
const log = (line: string) => post({ type: 'log', line });
const setup = workerData as WorkerSetup;
// Nothing a client does reaches here (proxy/listen.ts hears every socket's errors), but a
// bug that does must not end recording and the inspector with it: said, as the proxy's
// own thread says it (cli/proxy.ts), and the thread goes on.
process.on('uncaughtException', (err) => log(`recording: unexpected error, still running: ${describeBug(err, Boolean(process.env[DEBUG_ENV]))}`));

const rules = new RuleMirror({
  switch: (name, enabled) => post({ type: 'rule-switch', name, enabled }),
  add: (requestId, rule) => post({ type: 'rule-add', requestId, rule }),
  remove: (requestId, name) => post({ type: 'rule-remove', requestId, name }),
});
let parts: RecordingParts | null = null;
const pauses = new PauseMirror(
  {
    decide: (requestId, id, decision) => post({ type: 'pause-decide', requestId, id, decision }),
    inject: (requestId, id, injection) => post({ type: 'pause-inject', requestId, id, injection }),
  },
  (flowId) => {
    if (parts === null) return null;
    const { recorder, journal, store } = parts;
    // The proxy put the flow's start in the ring before it said the pause: take it now, through the journal.
    if (recorder.exchangeIdOf(flowId) === undefined) readRing(parts);
    // Journaled, it is read from the journal in place (state pending) until its row is made.
    const journaled = journal.exchangeOf(flowId);
    if (journaled !== undefined) return journaled;
    const id = recorder.storeOpen(flowId);
    store.flush();
    return id ?? null;
  },
);
port.on('message', (message: ToWorker) => {
  if (message.type === 'rules') rules.update(message.rules);
  else if (message.type === 'pause-event') pauses.update(message.event);
  else if (message.type === 'pause-decided') pauses.decided(message.requestId, message.outcome);
  else if (message.type === 'rule-edited') rules.edited(message.requestId, message.outcome);
});

try {
  const backend = await startBackend({ ...setup.options, rules, pauses }, log);
  const reader = new RingReader(setup.ring);
  const exitOnPath = process.env[TEST_EXIT_ON_PATH];
  if (exitOnPath) backend.recorder.addListener({ exchange: (summary) => void (summary.path === exitOnPath && process.exit(70)) });
  const recording: RecordingParts = { reader, log, ...backend };
  parts = recording;
  let closing = false;
  backend.store.attachBacklog(() => reader.backlog());
  void (async () => {
    while (!closing) {
      if (readRing(recording)) {
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
    backend.journal.beginClose();
    // The proxy writes nothing more once it asked: what the ring holds is all there is.
    while (readRing(recording, true));
    const stats = await backend.close(deadline);
    post({ type: 'closed', stats });
  });
  post({ type: 'ready', ui: backend.ui });
} catch (err) {
  post({ type: 'fatal', message: (err as Error).message, cause: err instanceof UserError ? 'user' : 'other' });
}
