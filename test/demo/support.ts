// Real-client helpers for the demo tests: /exec over fetch, /ws over the ws package.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import type { ServerResponse, WsEvent } from '../../demo/messages.ts';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';

export const DEMO_LOGIN = { auth: { login: { email: 'demo@ca2.example', password: 'demo' } } };

export interface ExecAnswer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  response: ServerResponse;
}

export function trx(): Uint8Array {
  return new Uint8Array(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'));
}

export async function postBytes(base: URL, body: Uint8Array, contentType = 'application/x-protobuf'): Promise<Response> {
  return fetch(new URL('/exec', base), { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
}

export async function exec(base: URL, request: object): Promise<ExecAnswer> {
  const res = await postBytes(base, encodeMessage('ca2.ClientRequest', request));
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, response: decodeMessage<ServerResponse>('ca2.ServerResponse', bytes) };
}

export async function login(base: URL, email = 'demo@ca2.example'): Promise<string> {
  const { response } = await exec(base, { trx: trx(), auth: { login: { email, password: 'demo' } } });
  const token = (response.auth as { login?: { token?: string } } | undefined)?.login?.token;
  if (!token) throw new Error(`login as ${email} gave no token`);
  return token;
}

/** A /ws connection that records every frame and how it closed. */
export class WsProbe {
  readonly frames: { binary: boolean; bytes: Buffer }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly arrivals: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.frames.push({ binary, bytes: data });
      for (const wake of this.arrivals.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.arrivals.splice(0)) wake();
      }),
    );
  }

  static async open(base: URL, path = '/ws'): Promise<WsProbe> {
    const url = new URL(path, base);
    url.protocol = 'ws:';
    const probe = new WsProbe(new WebSocket(url));
    await once(probe.ws, 'open');
    return probe;
  }

  sendAuth(token: string): void {
    this.ws.send(encodeMessage('ca2.WsAuth', { token }));
  }

  events(): WsEvent[] {
    return this.frames.map((f) => decodeMessage<WsEvent>('ca2.WsEvent', f.bytes));
  }

  /** Waits for the frame at `index` (0-based); throws if the connection ends first. */
  async frame(index: number): Promise<{ binary: boolean; bytes: Buffer }> {
    while (this.frames.length <= index) await this.next();
    return this.frames[index];
  }

  /** Waits for an event that matches, looking at every event received so far first. */
  async eventMatching(match: (event: WsEvent) => boolean): Promise<WsEvent> {
    for (let seen = 0; ; ) {
      const events = this.events();
      for (; seen < events.length; seen++) if (match(events[seen])) return events[seen];
      await this.next();
    }
  }

  private async next(): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) throw new Error('the WebSocket closed before the expected frame arrived');
    await new Promise<void>((wake) => this.arrivals.push(wake));
  }
}
