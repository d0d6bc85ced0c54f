// One exchange as the tap would have reported it: the flow, its frames and its close.
// Imports and exports turn everything into this shape and feed it to a Recorder, so an
// imported exchange is decoded, checked and stored exactly as a recorded one.

import type { ExchangeDetail } from '../model/types.ts';
import type { TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import type { Recorder } from '../recorder/recorder.ts';

export interface CapturedExchange {
  flow: TappedFlow;
  frames: TappedFrame[];
  /** ws only: how the connection ended; null for exec and http. */
  close: TappedClose | null;
  /**
   * Which exchange of which recording this is (storage/content-keys.ts), when the source
   * says: an import leaves it out if the recording already has it.
   */
  identity?: string;
}

/** A stored exchange back as tapped objects. `flowId` must be unique within one feed. */
export function capturedFromDetail(detail: ExchangeDetail, flowId: number, identity?: string): CapturedExchange {
  const startedAt = Date.parse(detail.startedAt);
  const endedAt = detail.durationMs === null ? null : startedAt + detail.durationMs;
  const request = detail.request;
  const response = detail.response;
  const requestBody = Buffer.from(request.body, 'base64');
  const responseBody = response ? Buffer.from(response.body, 'base64') : null;
  const framesSize = (direction: string) =>
    detail.frames.filter((f) => f.direction === direction).reduce((sum, f) => sum + f.size, 0);
  const flow: TappedFlow = {
    id: flowId,
    kind: detail.kind,
    startedAt,
    endedAt,
    clientAddress: '',
    request: {
      method: detail.method,
      path: detail.path,
      httpVersion: '1.1',
      headers: request.headers,
      body: requestBody,
      // The summary's sizes include a WebSocket's frames; the message's own size is what is left.
      size: detail.requestSize - framesSize('client'),
      truncated: request.truncated,
    },
    response:
      response && responseBody
        ? {
            status: detail.status ?? 0,
            statusMessage: '',
            headers: response.headers,
            body: responseBody,
            size: detail.responseSize - framesSize('server'),
            truncated: response.truncated,
          }
        : null,
    error: detail.error === null ? null : { kind: detail.state === 'aborted' ? 'client-aborted' : 'proxy-error', message: detail.error },
  };
  const frames: TappedFrame[] = detail.frames.map((f) => ({
    flowId,
    seq: f.seq,
    direction: f.direction,
    at: Date.parse(f.at),
    opcode: f.opcode,
    body: Buffer.from(f.body, 'base64'),
    size: f.size,
    truncated: f.truncated,
  }));
  const close: TappedClose | null =
    detail.kind !== 'ws' || !detail.close
      ? null
      : { flowId, code: detail.close.code, reason: detail.close.reason, by: detail.close.by, at: Date.parse(detail.close.at) };
  return { flow, frames, close, ...(identity ? { identity } : {}) };
}

/**
 * Plays one exchange into a recorder, hook by hook, and returns the id it was stored
 * under. Synchronous, so nothing is flushed half-way unless the store's batch fills.
 */
export function feedRecorder(recorder: Recorder, captured: CapturedExchange): number {
  let id = -1;
  const listener = { exchange: (summary: { id: number }) => void (id = summary.id) };
  recorder.addListener(listener);
  try {
    const { flow, frames, close } = captured;
    // An upgraded connection's error (the proxy ended it, a side reset) belongs to its end, as on the wire.
    const upgraded = flow.kind === 'ws' && flow.response?.status === 101;
    recorder.requestStarted(flow);
    recorder.exchangeEnded(upgraded ? { ...flow, endedAt: null, error: null } : flow);
    if (!upgraded) return id;
    for (const frame of frames) recorder.wsFrame(frame);
    const at = close?.at ?? flow.endedAt ?? frames.at(-1)?.at ?? flow.startedAt;
    recorder.wsClosed({ ...flow, endedAt: flow.endedAt ?? at }, close ?? { flowId: flow.id, code: null, reason: '', by: 'client', at });
  } finally {
    recorder.removeListener(listener);
  }
  return id;
}
