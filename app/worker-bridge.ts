// The proxy's side of the recording worker: a tap listener that writes each hook call
// into the ring of shared memory the worker reads (recorder/tap-ring.ts). Nothing is
// posted per call: the forwarding thread only copies the call's bytes into the ring.

import { startThread } from '../recorder/threads.ts';
import type { TapListener, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import type { BackendOptions } from './backend.ts';
import type { Dropped } from '../model/types.ts';
import { UserError } from '../model/user-error.ts';
import { PendingStarts } from '../recorder/pending-starts.ts';
import { createRing, RING_BYTES, RingWriter } from '../recorder/tap-ring.ts';
import type { RuleView } from '../model/rules.ts';
import { Refusal } from '../model/user-refusal.ts';
import { outcomeOf } from './thread-requests.ts';
import type { Pauses } from '../intercept/pauses.ts';
import type { ResumedView } from '../model/pauses.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-messages.ts';


export interface RecordingWorker {
  listener: TapListener;
  ui: { host: string; port: number };
  /** Flushes every record in the worker and stops it; null when it did not close cleanly (it had stopped, or took too long), which it says. */
  close(timeoutMs?: number): Promise<FromWorker & { type: 'closed' } | null>;
  /** Shows the inspector the rules as they are now. */
  showRules(rules: RuleView[]): void;
  /** Called when the inspector switches a rule on or off. */
  onRuleSwitch(listener: (name: string, enabled: boolean) => void): void;
  /** Carries out the inspector's adding (a rule's JSON: its view) and removing (a name: null) of rules; what it throws as a Refusal is the inspector's answer. */
  onRuleEdit(editor: { add(rule: unknown): RuleView; remove(name: string): null }): void;
  /** Shows the inspector what the breakpoints hold, and carries out the decisions made there. */
  attachPauses(pauses: Pauses): void;
}

/**
 * Most exchanges end within milliseconds. Their start is written only if they are still
 * running after this long, so a quick exchange crosses to the worker once, not twice;
 * the recorder takes an exchange whose start it never saw from its end.
 */
const SEND_START_AFTER_MS = 100;

/**
 * What may wait for the recorder, in bytes: the ring's size. The recorder keeps up with a
 * flood of WebSocket frames (each is one raw row), so this is only reached when it
 * cannot; past it frames and ended exchanges are dropped, counted in /api/stats
 * (dropped) and said on the terminal, rather than held in memory without bound.
 */
const MAX_BACKLOG_BYTES = RING_BYTES;


export async function startRecordingWorker(options: BackendOptions, log: (line: string) => void): Promise<RecordingWorker> {
  const ring = createRing();
  const worker = await startThread(new URL('./worker.ts', import.meta.url), { workerData: { options, ring } satisfies WorkerSetup });
  const writer = new RingWriter(ring);
  /** Set by close(): settles it with the worker's totals, or null after saying why there are none. */
  let closed: ((m: (FromWorker & { type: 'closed' }) | null, why: string | null) => void) | null = null;
  /** Set once the worker is gone or closing: calls are then not written at all. */
  let stopped = false;
  /** Set once the worker's thread has ended, whatever ended it: nothing waits for it then. */
  let gone = false;
  /** What ended after the worker was gone: forwarded, never recorded, said at close. */
  const unrecorded = { exchanges: 0, frames: 0 };

  /** What was dropped since the ring last had room, or null while nothing is being dropped. */
  let dropping: Dropped | null = null;
  const drop = (kind: keyof Dropped) => {
    writer.countDropped(kind);
    if (dropping === null) {
      dropping = { exchanges: 0, frames: 0 };
      log(`recording: the recorder is more than ${MAX_BACKLOG_BYTES >> 20} MB behind; traffic is forwarded but dropped from the recording until it catches up (counted in /api/stats as dropped).`);
    }
    dropping[kind] += 1;
  };
  const wrote = () => {
    if (dropping !== null && writer.used() < MAX_BACKLOG_BYTES / 2) {
      log(`recording: caught up; ${dropping.frames} WebSocket frame(s) and ${dropping.exchanges} exchange(s) were forwarded but dropped from the recording.`);
      dropping = null;
    }
  };

  // Snapshots from the tap, in start order; they do not change under us.
  const unsentStarts = new PendingStarts();
  const sendDueStarts = () => {
    for (const flow of unsentStarts.takeDue(Date.now() - SEND_START_AFTER_MS)) {
      // A start that finds no room is not counted: its end is, if that finds none either.
      if (!stopped) writer.requestStarted(flow);
    }
  };
  const startTimer = setInterval(sendDueStarts, SEND_START_AFTER_MS / 2);
  startTimer.unref();

  const listener: TapListener = {
    requestStarted(flow: TappedFlow) {
      unsentStarts.add(flow);
    },
    exchangeEnded(flow: TappedFlow) {
      const started = unsentStarts.take(flow.id) === null;
      if (stopped) {
        if (gone) unrecorded.exchanges += 1;
        return;
      }
      if (writer.exchangeEnded(flow, 'with')) return wrote();
      drop('exchanges');
      // One whose start was written is still recorded, without its bodies, so it does not stay pending.
      if (started) writer.exchangeEnded(flow, 'without-marked-truncated');
    },
    wsFrame(frame: TappedFrame) {
      if (stopped) {
        if (gone) unrecorded.frames += 1;
        return;
      }
      if (writer.wsFrame(frame)) wrote();
      else drop('frames');
    },
    wsClosed(flow: TappedFlow, close: TappedClose) {
      if (!stopped) writer.wsClosed(flow, close);
    },
  };

  let ruleSwitch: ((name: string, enabled: boolean) => void) | null = null;
  let pauses: Pauses | null = null;
  let ruleEditor: { add(rule: unknown): RuleView; remove(name: string): null } | null = null;
  const decidePause = (requestId: number, act: (pauses: Pauses) => ResumedView | null) => {
    // A refusal is a sentence for the user (400, 404); anything else a bug (500), and traffic flows on.
    const outcome = outcomeOf(() => {
      if (!pauses) throw new Refusal('Nothing can be paused: the proxy runs no rules.', 404);
      return act(pauses);
    });
    if (!gone) worker.postMessage({ type: 'pause-decided', requestId, outcome } satisfies ToWorker);
  };
  return new Promise((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'log':
          log(message.line);
          break;
        case 'fatal':
          stopped = true;
          void worker.terminate();
          reject(message.cause === 'user' ? new UserError(message.message) : new Error(message.message));
          break;
        case 'ready':
          resolve({
            listener,
            ui: message.ui,
            showRules(rules) {
              if (!gone) worker.postMessage({ type: 'rules', rules } satisfies ToWorker);
            },
            onRuleSwitch(listener) {
              ruleSwitch = listener;
            },
            onRuleEdit(editor) {
              ruleEditor = editor;
            },
            attachPauses(given) {
              pauses = given;
              given.onChange((event) => {
                if (event.type === 'paused') {
                  // The inspector names the paused message's exchange, so it must be recorded now, not when its start is due.
                  const start = unsentStarts.take(event.pause.flowId);
                  if (start && !stopped) writer.requestStarted(start);
                }
                if (!gone) worker.postMessage({ type: 'pause-event', event } satisfies ToWorker);
              });
            },
            close(timeoutMs = 15_000) {
              if (gone) {
                sayUnrecorded();
                return Promise.resolve(null);
              }
              return new Promise((done) => {
                let settled = false;
                closed = (m, why) => {
                  if (settled) return;
                  settled = true;
                  clearTimeout(timer);
                  if (why) log(`recording: ${why}`);
                  void worker.terminate();
                  done(m);
                };
                const timer = setTimeout(() => closed!(null, `the recorder did not finish writing within ${timeoutMs} ms; stopping it.`), timeoutMs);
                clearInterval(startTimer);
                stopped = true;
                // Everything written so far is in the ring: the worker records it all before it closes.
                worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
              });
            },
          });
          break;
        case 'closed':
          closed?.(message, null);
          break;
        case 'rule-switch':
          ruleSwitch?.(message.name, message.enabled);
          break;
        case 'pause-decide':
          decidePause(message.requestId, (p) => p.decide(message.id, message.decision));
          break;
        case 'pause-inject':
          decidePause(message.requestId, (p) => (p.inject(message.id, message.injection), null));
          break;
        case 'rule-add':
        case 'rule-remove': {
          const { requestId } = message;
          const outcome = outcomeOf<RuleView | null>(() => {
            if (!ruleEditor) throw new Refusal('The proxy runs no rules.', 404);
            return message.type === 'rule-add' ? ruleEditor.add(message.rule) : ruleEditor.remove(message.name);
          });
          if (!gone) worker.postMessage({ type: 'rule-edited', requestId, outcome } satisfies ToWorker);
          break;
        }
      }
    });
    let failure: Error | null = null;
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      // A worker that could not start has said why ('fatal').
      const said = stopped && !closed;
      gone = true;
      stopped = true;
      clearInterval(startTimer);
      const why = failure ? failure.message : `its thread ended (exit code ${code})`;
      // Once the worker said it closed (or took too long), this is the end that close() asked for.
      if (closed) return void closed(null, `the recorder stopped before it finished writing: ${why}.`);
      if (said) return;
      log(`recording: the recorder stopped: ${why}. Traffic is still forwarded but no longer recorded.`);
      // The inspector went with it: nothing is left that could decide a pause.
      pauses?.stop('the inspector stopped with the recorder, so nothing can decide a pause', { sayIfNonePaused: true });
      reject(failure ?? new Error(`the recorder stopped before it was ready: ${why}`));
    });
  });

  function sayUnrecorded(): void {
    log(
      `recording: the recorder had stopped, so ${unrecorded.exchanges} exchange(s) and ${unrecorded.frames} WebSocket frame(s) ` +
        `forwarded since are not in ${options.db}; what it had begun recording stays pending there until the next run on it marks it interrupted.`,
    );
  }
}
