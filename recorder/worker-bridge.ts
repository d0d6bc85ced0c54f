// The proxy's side of the recording worker: a tap listener that sends the hooks across.
// The calls of one event-loop turn go in one message, since each postMessage has a fixed
// cost on the forwarding thread. Bodies are first cut to their own exact-size buffers and
// transferred, because a Buffer is often a view into a larger pooled or socket buffer that
// postMessage would otherwise copy whole.

import { Worker } from 'node:worker_threads';
import type { TapHook, TapListener, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import type { BackendOptions } from './backend.ts';
import type { FromWorker, TapCall, ToWorker } from './worker-messages.ts';

/** The recording backend failed to start, and whether the command's options were at fault. */
export class SetupError extends Error {
  constructor(
    message: string,
    readonly fault: 'options' | 'other',
  ) {
    super(message);
  }
}

export interface RecordingWorker {
  listener: TapListener;
  /** WebSocket frames forwarded but left out of the recording because the recorder was behind. */
  skippedFrames(): number;
  ui: { host: string; port: number };
  /** Flushes every record in the worker and stops it. */
  close(timeoutMs?: number): Promise<FromWorker & { type: 'closed' } | null>;
}

/**
 * Most exchanges end within milliseconds. Their start is sent only if they are still
 * running after this long, so a quick exchange crosses to the worker once, not twice;
 * the recorder takes an exchange whose start it never saw from its end.
 */
const SEND_START_AFTER_MS = 100;

/**
 * Hook calls sent but not yet recorded. A flood of WebSocket frames can outrun the recorder
 * (each frame is a row and a full-text entry); past this backlog frames are left out of the
 * recording, and counted, rather than held in memory without bound. Exchanges are always sent.
 */
const MAX_BACKLOG_CALLS = 20_000;

const workerEntry = new URL('./worker.ts', import.meta.url).href;
const tsxApi = import.meta.resolve('tsx/esm/api');
// Workers do not inherit the TypeScript loader registered on the main thread.
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerEntry)}); })`;

export function startRecordingWorker(options: BackendOptions, log: (line: string) => void): Promise<RecordingWorker> {
  const worker = new Worker(bootstrap, { eval: true, workerData: options });
  let closed: ((m: (FromWorker & { type: 'closed' }) | null) => void) | null = null;

  let calls: TapCall[] = [];
  let transfers: ArrayBuffer[] = [];
  let backlog = 0;
  let skipped = 0;
  let skippingSince: number | null = null;
  const send = () => {
    worker.postMessage({ type: 'tap', calls } satisfies ToWorker, transfers);
    backlog += calls.length;
    calls = [];
    transfers = [];
  };
  const recorded = (count: number) => {
    backlog -= count;
    if (skippingSince !== null && backlog < MAX_BACKLOG_CALLS / 2) {
      log(`recording: caught up; ${skipped - skippingSince} WebSocket frame(s) were forwarded but not recorded.`);
      skippingSince = null;
    }
  };
  const post = (hook: TapHook, args: unknown[], transfer: ArrayBuffer[]) => {
    if (calls.length === 0) setImmediate(send);
    calls.push({ hook, args });
    transfers.push(...transfer);
  };
  // Snapshots from the tap, in start order; they do not change under us.
  const unsentStarts = new Map<number, TappedFlow>();
  const sendDueStarts = () => {
    const due = Date.now() - SEND_START_AFTER_MS;
    for (const [id, flow] of unsentStarts) {
      if (flow.startedAt > due) break;
      unsentStarts.delete(id);
      post('requestStarted', [withoutBodies(flow)], []);
    }
  };
  const startTimer = setInterval(sendDueStarts, SEND_START_AFTER_MS / 2);
  startTimer.unref();

  const listener: TapListener = {
    requestStarted(flow: TappedFlow) {
      unsentStarts.set(flow.id, flow);
    },
    exchangeEnded(flow: TappedFlow) {
      unsentStarts.delete(flow.id);
      const transfer: ArrayBuffer[] = [];
      const request = { ...flow.request, body: own(flow.request.body, transfer) };
      const response = flow.response && { ...flow.response, body: own(flow.response.body, transfer) };
      post('exchangeEnded', [{ ...flow, request, response }], transfer);
    },
    wsFrame(frame: TappedFrame) {
      if (backlog + calls.length > MAX_BACKLOG_CALLS) {
        if (skippingSince === null) {
          skippingSince = skipped;
          log(`recording: the recorder is ${backlog} messages behind; WebSocket frames are forwarded but not recorded until it catches up.`);
        }
        skipped += 1;
        return;
      }
      const transfer: ArrayBuffer[] = [];
      post('wsFrame', [{ ...frame, body: own(frame.body, transfer) }], transfer);
    },
    wsClosed(flow: TappedFlow, close: TappedClose) {
      post('wsClosed', [withoutBodies(flow), close], []);
    },
  };

  return new Promise((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'log':
          log(message.line);
          break;
        case 'fatal':
          void worker.terminate();
          reject(new SetupError(message.message, message.cause));
          break;
        case 'ready':
          resolve({
            listener,
            skippedFrames: () => skipped,
            ui: message.ui,
            close(timeoutMs = 15_000) {
              return new Promise((done) => {
                const timer = setTimeout(() => {
                  log(`recording: the recorder did not finish writing within ${timeoutMs} ms; stopping it.`);
                  void worker.terminate();
                  done(null);
                }, timeoutMs);
                closed = (m) => {
                  clearTimeout(timer);
                  void worker.terminate();
                  done(m);
                };
                clearInterval(startTimer);
                if (calls.length > 0) send();
                worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
              });
            },
          });
          break;
        case 'recorded':
          recorded(message.calls);
          break;
        case 'closed':
          closed?.(message);
          break;
      }
    });
    worker.on('error', (err) => {
      log(`recording: the recorder stopped: ${err.message}. Traffic is still forwarded but no longer recorded.`);
      reject(err);
      closed?.(null);
    });
  });
}

/** Request and response bodies are sent once, with exchangeEnded; other hooks carry the headers only. */
function withoutBodies(flow: TappedFlow): TappedFlow {
  const empty = new Uint8Array(0);
  return {
    ...flow,
    request: { ...flow.request, body: empty },
    response: flow.response && { ...flow.response, body: empty },
  };
}

/** Above this a body is moved to the worker rather than copied again; below it, moving costs more than copying. */
const TRANSFER_FROM_BYTES = 64 * 1024;

function own(body: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(body.byteLength);
  copy.set(body);
  if (copy.byteLength >= TRANSFER_FROM_BYTES) transfer.push(copy.buffer);
  return copy;
}
