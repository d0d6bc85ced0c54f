// Tunnels an upgrade that is not a WebSocket handshake the relay can complete (h2c, or a
// malformed WebSocket handshake) byte for byte, so the upstream answers it exactly as it
// would without the proxy. The tap records the request head and the upstream's response
// head; what follows on the connection is passed through without being decoded.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.ts';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamTimeout, type Failure } from './errors.ts';
import { type FlowRecord, type Stoppable, now } from './flows.ts';
import { forwardedUpgradeHeaders } from './headers.ts';
import { endAndClose, plainResponse, requestHead } from './raw-http.ts';
import type { FlowError } from '../model/flow.ts';

/** A response head longer than this is not parsed for the tap (it is still relayed). */
const MAX_HEAD = 64 * 1024;

export function tunnelUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  new Tunnel(ctx, ctx.flows.create('http', req), req, socket, head).start();
}

class Tunnel implements Stoppable {
  readonly connection = true;
  private upstream!: Socket;
  private answered = false;
  private headChunks: Buffer[] | null = [];
  private headLength = 0;
  private clientClosed = false;
  private upstreamClosed = false;
  private error: FlowError | null = null;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    readonly flow: FlowRecord,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
  ) {}

  start(): void {
    const { ctx, req, socket } = this;
    ctx.flows.add(this);
    ctx.tap.emit('requestStarted', this.flow.snapshot());

    const up = ctx.upstream.connect();
    this.upstream = up;
    const headers = forwardedUpgradeHeaders(req.rawHeaders, ctx.upstream.host);
    up.write(requestHead(req.method ?? 'GET', ctx.upstream.path(req.url ?? '/'), req.httpVersion, headers), 'latin1');
    if (this.head.length > 0) up.write(this.head);
    this.timer = setTimeout(() => this.fail(upstreamTimeout(ctx.upstream.host, ctx.upstreamTimeoutMs)), ctx.upstreamTimeoutMs);

    up.on('data', (chunk: Buffer) => {
      if (!this.answered) {
        this.answered = true;
        clearTimeout(this.timer);
      }
      if (this.headChunks) this.readResponseHead(chunk);
    });
    up.pipe(socket);
    socket.pipe(up);
    up.on('error', (err) => this.fail(upstreamFailure(err, ctx.upstream.host, this.answered)));
    socket.on('error', () => {
      this.error ??= clientAborted('dropped the connection');
      up.destroy();
    });
    up.on('close', () => {
      this.upstreamClosed = true;
      if (!this.clientClosed) socket.destroy();
      this.closed();
    });
    socket.on('close', () => {
      this.clientClosed = true;
      if (!this.upstreamClosed) up.destroy();
      this.closed();
    });
  }

  /** Reads the status line and headers off the first bytes, for the tap only. */
  private readResponseHead(chunk: Buffer): void {
    this.headChunks!.push(chunk);
    this.headLength += chunk.length;
    const bytes = Buffer.concat(this.headChunks!, this.headLength);
    const end = bytes.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.headLength > MAX_HEAD) this.headChunks = null;
      return;
    }
    this.headChunks = null;
    const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/\d\.\d (\d{3}) ?(.*)$/.exec(statusLine);
    if (!status) return;
    const headers: [string, string][] = [];
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    this.flow.response = { status: Number(status[1]), statusMessage: status[2] ?? '', headers };
  }

  private fail(failure: Failure): void {
    if (this.ended) return;
    this.error ??= { kind: failure.kind, message: failure.message };
    this.upstream.unpipe(this.socket);
    this.upstream.destroy();
    if (this.answered) this.socket.destroy();
    else endAndClose(this.socket, plainResponse(failure.status, failure.message));
  }

  private closed(): void {
    if (this.ended || !this.clientClosed || !this.upstreamClosed) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.flow.error = this.error;
    this.flow.endedAt = now();
    this.ctx.tap.emit('exchangeEnded', this.flow.snapshot());
    this.ctx.flows.delete(this.flow);
  }

  stop(): void {
    this.error ??= endedByShutdown(this.ctx.graceMs);
    this.upstream.destroy();
    this.socket.destroy();
  }
}
