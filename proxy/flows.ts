// The flows a proxy run has open: their ids, their state as the tap sees it, and the
// means to end them all when the proxy shuts down.

import type { IncomingMessage } from 'node:http';
import type { ExchangeKind, HeaderList } from '../model/types.ts';
import { BodyCapture, EMPTY } from './capture.ts';
import { headerList } from './headers.ts';
import type { FlowError, Tap, TappedFlow, TappedResponse } from './tap.ts';

/** ms since the epoch with the sub-ms precision of the monotonic clock. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** One flow while it is open. The tap gets snapshots, never this object, so what a listener holds does not change under it. */
export class FlowRecord {
  readonly startedAt = now();
  endedAt: number | null = null;
  readonly requestBody: BodyCapture;
  response: Omit<TappedResponse, 'body' | 'size' | 'truncated'> | null = null;
  responseBody: BodyCapture | null = null;
  error: FlowError | null = null;
  private readonly clientAddress: string;
  private readonly requestHeaders: HeaderList;

  constructor(
    readonly id: number,
    readonly kind: ExchangeKind,
    readonly req: IncomingMessage,
    maxBody: number,
  ) {
    this.requestBody = new BodyCapture(maxBody);
    const socket = req.socket;
    this.clientAddress = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : '';
    this.requestHeaders = headerList(req.rawHeaders);
  }

  snapshot(): TappedFlow {
    const { req, requestBody, response, responseBody } = this;
    return {
      id: this.id,
      kind: this.kind,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      clientAddress: this.clientAddress,
      request: {
        method: req.method ?? '',
        path: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: this.requestHeaders,
        body: requestBody.bytes(),
        size: requestBody.size,
        truncated: requestBody.truncated,
      },
      response: response && {
        ...response,
        body: responseBody ? responseBody.bytes() : EMPTY,
        size: responseBody ? responseBody.size : 0,
        truncated: responseBody ? responseBody.truncated : false,
      },
      error: this.error,
    };
  }
}

/** How the proxy ends a flow it can no longer wait for. */
export interface Stoppable {
  readonly flow: FlowRecord;
  /** A connection (WebSocket, tunnel) that stays open until a side closes it; shutdown ends it without waiting. */
  readonly connection: boolean;
  /** End the flow now (WebSockets: close with 1001 on both sides); it still reports its end to the tap. */
  stop(): void;
}

export class FlowTracker {
  private nextId = 1;
  private readonly open = new Map<number, Stoppable>();
  private readonly onEnd = new Set<() => void>();

  constructor(private readonly maxBody: number) {}

  create(kind: ExchangeKind, req: IncomingMessage): FlowRecord {
    return new FlowRecord(this.nextId++, kind, req, this.maxBody);
  }

  add(entry: Stoppable): void {
    this.open.set(entry.flow.id, entry);
  }

  /** The flow has reported its end to the tap. */
  delete(flow: FlowRecord): void {
    if (!this.open.delete(flow.id)) return;
    for (const check of [...this.onEnd]) check();
  }

  get size(): number {
    return this.open.size;
  }

  whenIdle(): Promise<void> {
    return this.until(() => this.open.size === 0);
  }

  /** Resolves when only connections are left open (exchanges all done), or after `ms`. */
  exchangesDone(ms: number): Promise<void> {
    return this.until(() => {
      for (const entry of this.open.values()) if (!entry.connection) return false;
      return true;
    }, ms);
  }

  stopAll(): void {
    for (const entry of [...this.open.values()]) entry.stop();
  }

  private until(done: () => boolean, ms?: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.onEnd.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.onEnd.add(check);
    });
  }
}
