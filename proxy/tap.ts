// The tap: what the forwarding path tells the rest of the tool about the traffic.
//
// The proxy copies what crossed the wire into plain objects and hands them to the
// tap; listeners (recorder, printer, …) are addons with one method per hook, as in
// mitmproxy. Everything here is plain data so the tap can cross a worker boundary
// with postMessage. A listener that throws is reported once per hook and never
// reaches the forwarding path.

import type { ExchangeKind, FrameDirection, HeaderList } from '../model/types.ts';

export interface TappedRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  httpVersion: string;
  headers: HeaderList;
  /** Bytes captured, at most the --max-body limit. */
  body: Uint8Array;
  /** Bytes that crossed the wire, captured or not. */
  size: number;
  truncated: boolean;
}

export interface TappedResponse {
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

/** One HTTP exchange or one WebSocket connection (the upgrade request and everything after). */
export interface TappedFlow {
  /** Unique within one proxy run, in arrival order. */
  id: number;
  kind: ExchangeKind;
  /** ms since the epoch, with sub-ms precision where the clock gives it. */
  startedAt: number;
  /** ms since the epoch; set when the exchange (or the connection) ended. */
  endedAt: number | null;
  clientAddress: string;
  request: TappedRequest;
  /** For ws: the upstream's answer to the upgrade (101, or the refusal with its body). */
  response: TappedResponse | null;
  error: FlowError | null;
  /** Set by replay/ on the traffic it sends: the id of the recorded exchange it replays. */
  replayOf?: number;
  /** What is known to be missing from this capture of the flow (set by imports, e.g. a body whose bytes were lost); stored as problems. */
  captureProblems?: string[];
}

export interface TappedFrame {
  flowId: number;
  /** 0-based, in the order the proxy relayed frames on this connection, both directions counted. */
  seq: number;
  direction: FrameDirection;
  at: number;
  /** 1 text, 2 binary, 9 ping, 10 pong. */
  opcode: number;
  body: Uint8Array;
  size: number;
  truncated: boolean;
}

export interface TappedClose {
  flowId: number;
  code: number | null;
  reason: string;
  by: 'client' | 'server' | 'proxy';
  at: number;
}

/** An addon: implement the hooks it cares about. Hooks are called synchronously, in order. */
export interface TapListener {
  /** Request headers arrived (body not yet read): lets the UI show a pending row. */
  requestStarted?(flow: TappedFlow): void;
  /** The exchange ended: response complete, or failed (flow.error set). For ws: the upgrade was answered. */
  exchangeEnded?(flow: TappedFlow): void;
  wsFrame?(frame: TappedFrame): void;
  /** The connection ended; the flow has endedAt and, if one side failed, error. */
  wsClosed?(flow: TappedFlow, close: TappedClose): void;
}

export type TapHook = keyof TapListener;

/** Fans each hook out to every listener, isolating the forwarding path from their failures. */
export class Tap {
  private readonly listeners: TapListener[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly onListenerError: (message: string) => void = (m) => process.emitWarning(m)) {}

  add(listener: TapListener): void {
    this.listeners.push(listener);
  }

  emit<H extends TapHook>(hook: H, ...args: Parameters<NonNullable<TapListener[H]>>): void {
    for (const listener of this.listeners) {
      const fn = listener[hook] as ((...a: unknown[]) => void) | undefined;
      if (!fn) continue;
      try {
        fn.apply(listener, args);
      } catch (err) {
        const key = `${listener.constructor.name}.${hook}`;
        if (!this.reported.has(key)) {
          this.reported.add(key);
          this.onListenerError(`${key} failed and was skipped (traffic still flows): ${(err as Error).message}`);
        }
      }
    }
  }
}
