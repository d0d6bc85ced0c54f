// A flow as its client saw it, where rules changed traffic in flight (intercept/): what
// the client sent, and what it got. A replay sends the first again and compares its
// answer with the second; the mock matches the first and serves the second. The response
// the client got is flow.response itself. A flow no rule touched reads as recorded.

import type { Flow, FlowFrame, FlowHead, FlowRequest } from './flow.ts';

/** The request as the client sent it: its original when a rule changed what went upstream. */
export function requestSent(flow: Pick<FlowHead, 'request' | 'original'>): FlowRequest {
  return flow.original?.request ?? flow.request;
}

/**
 * The frames the client sent, in order, with the bytes it sent: those a rule dropped or
 * changed included (changed ones as they were before the rule), those a rule injected
 * left out.
 */
export function framesSent(flow: Pick<Flow, 'frames'>): FlowFrame[] {
  return flow.frames.filter((f) => f.direction === 'client' && f.mark !== 'injected').map(asSent);
}

/** The server frames the client got, in order: those a rule injected included, those it dropped left out, changed ones as changed. */
export function framesGot(flow: Pick<Flow, 'frames'>): FlowFrame[] {
  return flow.frames.filter((f) => f.direction === 'server' && f.mark !== 'dropped');
}

function asSent(frame: FlowFrame): FlowFrame {
  if (frame.original === undefined) return frame;
  return { ...frame, body: frame.original, size: frame.original.byteLength, truncated: false };
}
