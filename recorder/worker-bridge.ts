// The proxy's side of the recording worker: a tap listener that sends the hooks across.
// The calls of one event-loop turn go in one message, since each postMessage has a fixed
// cost on the forwarding thread. Bodies are first cut to their own exact-size buffers and
// transferred, because a Buffer is often a view into a larger pooled or socket buffer that
// postMessage would otherwise copy whole.

import { Worker } from 'node:worker_threads';
import type { TapHook, TapListener, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import type { BackendOptions } from './backend.ts';
import type { Dropped } from '../storage/store.ts';
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
 * What may wait for the recorder, in bytes: bodies sent and not yet recorded, plus a
 * fixed cost per call. The recorder keeps up with a flood of WebSocket frames (each is
 * one raw row), so this is only reached when it cannot; past it frames and ended
 * exchanges are dropped, counted in /api/stats (dropped) and said on the terminal,
 * rather than held in memory without bound.
 */
export const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
const CALL_COST_BYTES = 256;

const workerEntry = new URL('./worker.ts', import.meta.url).href;
const tsxApi = import.meta.resolve('tsx/esm/api');
// Workers do not inherit the TypeScript loader registered on the main thread.
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerEntry)}); })`;

export function startRecordingWorker(options: BackendOptions, log: (line: string) => void): Promise<RecordingWorker> {
  const worker = new Worker(bootstrap, { eval: true, workerData: options });
  let closed: ((m: (FromWorker & { type: 'closed' }) | null) => void) | null = null;

  let calls: TapCall[] = [];
  let transfers: ArrayBuffer[] = [];
  let callBytes = 0;
  /** Bytes of each message sent and not yet recorded, oldest first; the worker answers each in order. */
  const sentBytes: number[] = [];
  let backlogBytes = 0;
  let dropped: Dropped = { exchanges: 0, frames: 0 };
  let dropping: Dropped | null = null;
  const send = () => {
    worker.postMessage({ type: 'tap', calls, dropped } satisfies ToWorker, transfers);
    sentBytes.push(callBytes);
    backlogBytes += callBytes;
    calls = [];
    transfers = [];
    callBytes = 0;
    dropped = { exchanges: 0, frames: 0 };
  };
  const recorded = () => {
    backlogBytes -= sentBytes.shift() ?? 0;
    if (dropping !== null && backlogBytes < MAX_BACKLOG_BYTES / 2) {
      log(`recording: caught up; ${dropping.frames} WebSocket frame(s) and ${dropping.exchanges} exchange(s) were forwarded but dropped from the recording.`);
      dropping = null;
    }
  };
  const post = (hook: TapHook, args: unknown[], transfer: ArrayBuffer[], bytes = 0) => {
    if (calls.length === 0) setImmediate(send);
    calls.push({ hook, args });
    transfers.push(...transfer);
    callBytes += bytes + CALL_COST_BYTES;
  };
  /** Whether the recorder is too far behind to take this call; if so it is counted as dropped. */
  const over = (kind: keyof Dropped, bytes: number) => {
    if (backlogBytes + callBytes + bytes <= MAX_BACKLOG_BYTES) return false;
    if (dropping === null) {
      dropping = { exchanges: 0, frames: 0 };
      log(`recording: the recorder is more than ${MAX_BACKLOG_BYTES >> 20} MB behind; traffic is forwarded but dropped from the recording until it catches up (counted in /api/stats as dropped).`);
    }
    dropping[kind] += 1;
    dropped[kind] += 1;
    if (calls.length === 0) setImmediate(send);
    return true;
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
      const bytes = flow.request.body.byteLength + (flow.response?.body.byteLength ?? 0);
      // One whose start was sent is still recorded, without its bodies, so it does not stay pending.
      const started = !unsentStarts.delete(flow.id);
      if (over('exchanges', bytes)) {
        if (started) post('exchangeEnded', [withoutBodies(flow, true)], []);
        return;
      }
      const transfer: ArrayBuffer[] = [];
      const request = { ...flow.request, body: own(flow.request.body, transfer) };
      const response = flow.response && { ...flow.response, body: own(flow.response.body, transfer) };
      post('exchangeEnded', [{ ...flow, request, response }], transfer, bytes);
    },
    wsFrame(frame: TappedFrame) {
      if (over('frames', frame.body.byteLength)) return;
      const transfer: ArrayBuffer[] = [];
      post('wsFrame', [{ ...frame, body: own(frame.body, transfer) }], transfer, frame.body.byteLength);
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
          recorded();
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

/**
 * Request and response bodies are sent once, with exchangeEnded; other hooks carry the
 * headers only. An exchange sent without the bodies it had is marked truncated.
 */
function withoutBodies(flow: TappedFlow, truncated = false): TappedFlow {
  const empty = new Uint8Array(0);
  const cut = <M extends { body: Uint8Array; truncated: boolean }>(m: M): M => ({ ...m, body: empty, truncated: m.truncated || (truncated && m.body.length > 0) });
  return { ...flow, request: cut(flow.request), response: flow.response && cut(flow.response) };
}

/** Above this a body is moved to the worker rather than copied again; below it, moving costs more than copying. */
const TRANSFER_FROM_BYTES = 64 * 1024;

function own(body: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(body.byteLength);
  copy.set(body);
  if (copy.byteLength >= TRANSFER_FROM_BYTES) transfer.push(copy.buffer);
  return copy;
}
