// The interception stage as the forwarding path sees it: the one place where a message
// may be held, changed, answered, delayed, dropped or failed on its way (intercept/
// implements it from the rules). The path asks `armed` first, one property read, and with
// nothing armed goes on exactly as without a stage. Only a message that the stage says
// could match is held; everything else streams.

import type { BreakpointEdit, FlowOriginal } from '../model/flow.ts';
import type { ExchangeKind, FrameDirection, HeaderList } from '../model/types.ts';

/** What is known of an exchange when its request headers arrive. */
export interface InterceptHead {
  flowId: number;
  kind: ExchangeKind;
  method: string;
  path: string;
  headers: HeaderList;
  /**
   * On a WebSocket: sends a binary frame of the stage's own as if `from` had sent it (to
   * the other side), recorded as injected by `rule`; false once the connection is closed.
   */
  inject?: (from: FrameDirection, data: Uint8Array, rule: string) => boolean;
  /** Aborted when the exchange or connection has ended (the client went away, both sides closed): what the stage holds of it is moot. */
  gone?: AbortSignal;
}

/** How a rule ends an exchange: the client's connection reset, or never answered (the client's own timeout ends it). */
export type HttpFailure = { how: 'reset' } | { how: 'timeout' };

export type RequestVerdict =
  /** Send this body upstream (the client's own, unless a rule changed it). */
  | { action: 'forward'; body: Uint8Array }
  /** Answer the client without going upstream. */
  | { action: 'respond'; status: number; headers: HeaderList; body: Uint8Array }
  | ({ action: 'fail' } & HttpFailure);

export type ResponseVerdict =
  | { action: 'forward'; status: number; body: Uint8Array }
  | ({ action: 'fail' } & HttpFailure);

/** What the stage decided for one held message, with the rules that acted on it. */
export interface Decided<V> {
  verdict: V;
  /** Names of the rules that acted, in order; empty when none did (the message goes on as it came). */
  rules: string[];
  /** The message that goes on was edited at a breakpoint (an answer written there, at a request, is the response). */
  atBreakpoint?: boolean;
}

/** A frame's fate: relayed (perhaps changed), dropped, followed by injected frames, or ending the connection. */
export interface FrameVerdict {
  /** null: not relayed. */
  send: Uint8Array | null;
  /** Frames to send after it, in the same direction. */
  inject: Uint8Array[];
  /** End the connection after this frame: a close code and reason to both sides, or a reset. */
  end: { code: number; reason: string } | 'reset' | null;
  /** The rule that acted, if one did. */
  rule: string | null;
  /** The frame sent was edited at a breakpoint. */
  atBreakpoint?: boolean;
}

export interface InterceptStage {
  /** Whether any rule is armed for HTTP exchanges and for WebSocket frames: read on every exchange and frame, so a property. */
  readonly armed: { http: boolean; ws: boolean };
  /** At request headers: which sides of this exchange the stage must see whole. */
  holds(head: InterceptHead): { request: boolean; response: boolean };
  request(head: InterceptHead, body: Uint8Array): Promise<Decided<RequestVerdict>>;
  /** When the answer's head arrives: whether a rule could still act on the response, now that the request and status are known. */
  wantsResponse(head: InterceptHead, request: Uint8Array, status: number): boolean;
  response(head: InterceptHead, request: Uint8Array, status: number, headers: HeaderList, body: Uint8Array): Promise<Decided<ResponseVerdict>>;
  /** A WebSocket frame from `direction`; frames of one direction are asked in order and their verdicts applied in order. */
  frame(head: InterceptHead, direction: FrameDirection, opcode: number, data: Uint8Array): FrameVerdict | Promise<FrameVerdict>;
  /** A frame from `direction` arrived while one before it is still held there: it waits behind it (before `frame` is asked about it). */
  queued(head: InterceptHead, direction: FrameDirection): void;
  /**
   * The stage threw at `point`, which is a bug: the message went on as if no rule were
   * loaded, and the stage says so (once per point, so a flood does not repeat it).
   */
  failed(point: StagePoint, err: unknown): void;
}

export type StagePoint = 'holds' | 'request' | 'response' | 'frame';

/** What the tap records of a held exchange that rules changed. */
export interface InterceptRecord {
  rules: string[];
  original: FlowOriginal;
  editedAtBreakpoint: BreakpointEdit[];
}
