// One /ws connection of the demo client (demo/client.ts): it authenticates with a WsAuth,
// then collects the WsEvents the server pushes, so a step of the session can wait for the
// event its call should cause.

import { WebSocket } from 'ws';
import type { WsEvent } from './messages.ts';
import { decodeMessage, encodeMessage } from './schema.ts';

/** How long to wait for a WsEvent the session expects before moving on without it. */
export const EVENT_WAIT_MS = 10_000;

/** A /ws connection that has sent its WsAuth and collects the WsEvents that come back. */
export class EventSocket {
  private readonly events: WsEvent[] = [];
  private readonly waiters = new Set<() => void>();
  /** Resolves with "code N (reason)" once the connection has ended. */
  readonly closed: Promise<string>;

  private constructor(
    private readonly ws: WebSocket,
    readonly first: WsEvent,
    closed: Promise<string>,
  ) {
    this.closed = closed;
  }

  /** Connects and authenticates; resolves with the server's first WsEvent. */
  static open(url: URL, token: string, signal: AbortSignal, onEvent: (event: WsEvent) => void): Promise<EventSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { 'user-agent': 'ca2-inspector-demo-client' } });
      let socket: EventSocket | undefined;
      let failure: Error | undefined;
      const abort = () => ws.terminate();
      signal.addEventListener('abort', abort, { once: true });
      const closed = new Promise<string>((done) => {
        ws.on('close', (code, reason) => {
          signal.removeEventListener('abort', abort);
          socket?.wake();
          done(`code ${code}${reason.length ? ` (${reason})` : ''}`);
          if (!socket) reject(failure ?? new Error(signal.aborted ? 'aborted' : `${url} closed the WebSocket before answering WsAuth (code ${code})`));
        });
      });
      ws.on('error', (err) => {
        failure = new Error(`WebSocket to ${url} failed: ${err.message}`, { cause: err });
      });
      ws.on('open', () => ws.send(encodeMessage('ca2.WsAuth', { token })));
      ws.on('message', (data: Buffer) => {
        let event: WsEvent;
        try {
          event = decodeMessage<WsEvent>('ca2.WsEvent', data);
        } catch {
          event = { errors: ['SE_UNKNOWN_ERROR'] };
        }
        if (!socket) {
          socket = new EventSocket(ws, event, closed);
          resolve(socket);
          return;
        }
        socket.events.push(event);
        onEvent(event);
        socket.wake();
      });
    });
  }

  /** How many events arrived after the first; pass it to waitFor to include events from then on. */
  get received(): number {
    return this.events.length;
  }

  /** The first event from index `since` on that matches, or null when none comes in time or the socket ends. */
  async waitFor(match: (event: WsEvent) => boolean, since: number): Promise<WsEvent | null> {
    const deadline = Date.now() + EVENT_WAIT_MS;
    for (let seen = since; ; ) {
      for (; seen < this.events.length; seen++) if (match(this.events[seen])) return this.events[seen];
      if (this.ws.readyState !== WebSocket.OPEN || Date.now() >= deadline) return null;
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, deadline - Date.now());
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          wake();
        };
        this.waiters.add(done);
      });
    }
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
