// The tap: what the forwarding path tells the rest of the tool about the traffic.
//
// The proxy copies what crossed the wire into plain objects and hands them to the
// tap; listeners (recorder, printer, …) are addons with one method per hook, as in
// mitmproxy. Everything here is plain data so the tap can cross a worker boundary
// with postMessage. A listener that throws is reported once per hook and never
// reaches the forwarding path.

import type { FlowClose, FlowCore, FlowFrame, FlowSource } from '../model/flow.ts';

/**
 * One HTTP exchange or one WebSocket connection (the upgrade request and everything after).
 * Its id is unique within one proxy run, in arrival order; negated for a replay (replay/target.ts says why).
 */
export interface TappedFlow extends FlowCore {
  /** The proxy's flows are live; replay/ and capture/ mark the flows they feed a recorder. */
  source: FlowSource;
  /** Set by replay/ on the traffic it sends: the id of the recorded exchange it replays. */
  replayOf?: number;
  /** What is known to be missing from this capture of the flow (set by imports, e.g. a body whose bytes were lost); stored as problems. */
  captureProblems?: string[];
}

/** A frame as the tap reports it, with the flow it belongs to. */
export interface TappedFrame extends FlowFrame {
  flowId: number;
}

export interface TappedClose extends FlowClose {
  flowId: number;
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
