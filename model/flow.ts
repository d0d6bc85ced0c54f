// One exchange as everything below the REST boundary handles it: the request and the
// answer as bytes, a WebSocket's frames and close, the facts summarised from the bytes,
// and the id storage gave it. The tap reports its parts as traffic passes (proxy/tap.ts),
// the recorder writes its head as it changes and its frames as they come, storage gives
// it back whole (Store.flow, Store.flows), and export, import, replay and the mock read
// it. The REST API and the live stream send views of it (storage/views.ts): base64 and
// decoded JSON. No Node imports: the types cross into the browser's build.

import type { ExchangeKind, ExchangeState, FrameDirection, HeaderList, TokenRef } from './types.ts';

export interface FlowRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  httpVersion: string;
  headers: HeaderList;
  /** Bytes recorded, at most the --max-body limit. */
  body: Uint8Array;
  /** Bytes that crossed the wire, recorded or not. */
  size: number;
  truncated: boolean;
}

export interface FlowResponse {
  status: number;
  statusMessage: string;
  headers: HeaderList;
  body: Uint8Array;
  size: number;
  truncated: boolean;
}

export type FlowErrorKind =
  | 'upstream-unreachable'
  | 'upstream-timeout'
  | 'upstream-reset'
  | 'upstream-tls'
  | 'client-aborted'
  | 'proxy-error';

export interface FlowError {
  kind: FlowErrorKind;
  /** A sentence for a person: "upstream 127.0.0.1:9 refused the connection (ECONNREFUSED)". */
  message: string;
}

export interface FlowFrame {
  /** 0-based, in the order the proxy relayed frames on this connection, both directions counted. */
  seq: number;
  direction: FrameDirection;
  /** ms epoch. */
  at: number;
  /** 1 text, 2 binary, 9 ping, 10 pong. */
  opcode: number;
  body: Uint8Array;
  size: number;
  truncated: boolean;
  /** The rule that changed, dropped or injected this frame (intercept/). */
  rule?: string;
  /** dropped: the sender's frame, not relayed; injected: sent by a rule, not by a side; breakpoint: edited by a user at a breakpoint (original holds what was sent). */
  mark?: FrameMark;
  /** The bytes the side sent, when a rule relayed others in their place. */
  original?: Uint8Array;
}

export type FrameMark = 'dropped' | 'injected' | 'breakpoint';

/** Which of an exchange's messages a user edited, or wrote, at a breakpoint (intercept/pauses.ts). */
export type BreakpointEdit = 'request' | 'response';

const BREAKPOINT_EDITS: BreakpointEdit[] = ['request', 'response'];

/** Breakpoint edits as one small number (bit 0 the request, bit 1 the response), as the tap calls and the file keep them. */
export function breakpointBits(edits: readonly BreakpointEdit[] | undefined): number {
  let bits = 0;
  for (const edit of edits ?? []) bits |= 1 << BREAKPOINT_EDITS.indexOf(edit);
  return bits;
}

export function breakpointEditsOf(bits: number): BreakpointEdit[] {
  return BREAKPOINT_EDITS.filter((_, bit) => bits & (1 << bit));
}

/** A frame on its way to storage, with the exchange it belongs to. */
export interface StoredFrame extends FlowFrame {
  exchangeId: number;
}

export interface FlowClose {
  code: number | null;
  reason: string;
  /** Who closed first: a side, or the proxy when it ended the connection itself. */
  by: 'client' | 'server' | 'proxy';
  /** ms epoch. */
  at: number;
}

/** What the checks and the summary make of the bytes (proto/exchange-facts.ts). */
export interface FlowFacts {
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string[];
  token: TokenRef | null;
  problems: string[];
}

/** The facts of bytes nothing has been made of yet. */
export function noFacts(): FlowFacts {
  return { service: null, operation: null, trx: null, errors: [], token: null, problems: [] };
}

/**
 * Where a flow came from: the proxy's clients, a replay the tool sent (replayOf names the
 * exchange it replays), or a file imported.
 */
export type FlowSource = 'live' | 'replay' | 'import';

/** A flow without its frames: what the recorder writes each time it changes, the frames going apart. */
/** What the tap reports of an exchange and storage keeps: the request, the answer and how it ended. */
export interface FlowCore {
  /** The tap's flow id (one proxy run's), or the exchange id storage gave it. */
  id: number;
  kind: ExchangeKind;
  /** ms epoch, sub-millisecond where the clock gives it. */
  startedAt: number;
  /** ms epoch; set when the exchange (or the WebSocket connection) ended. */
  endedAt: number | null;
  clientAddress: string;
  /** For a WebSocket, the upgrade request and the upstream's answer to it (101, or the refusal with its body). */
  request: FlowRequest;
  response: FlowResponse | null;
  error: FlowError | null;
  /** The rules that changed this exchange or one of its frames, in the order they first did (intercept/). */
  rules?: string[];
  /**
   * What a rule replaced: the request as the client sent it (request is what went
   * upstream) and the response as the upstream answered it (response is what the
   * client got). Null where no rule changed that side.
   */
  original?: FlowOriginal;
  /** What was edited at a breakpoint rather than by a rule's own edits; an answer written there counts as the response. */
  editedAtBreakpoint?: BreakpointEdit[];
}

export interface FlowHead extends FlowCore, FlowFacts {
  state: ExchangeState;
  close: FlowClose | null;
  /** The exchange a replay resent; null for traffic the tool did not send. */
  replayOf: number | null;
}

export interface FlowOriginal {
  request: FlowRequest | null;
  response: FlowResponse | null;
}

export interface Flow extends FlowHead {
  /** A WebSocket's frames in seq order; empty for exec and http. */
  frames: FlowFrame[];
  /**
   * The name an export gives the exchange (storage/content-keys.ts), so that importing it
   * twice adds it once: set on flows read for an export and on imported ones that carry one.
   */
  identity?: string;
  /** What an import knows is missing from this copy (bytes a HAR writer lost): kept as problems beside the checks'. */
  captureProblems?: string[];
}

/** The error a stored exchange carries: its sentence, and a kind from its state (only the sentence is kept). */
export function storedError(message: string | null, state: ExchangeState): FlowError | null {
  return message === null ? null : { kind: state === 'aborted' ? 'client-aborted' : 'proxy-error', message };
}
