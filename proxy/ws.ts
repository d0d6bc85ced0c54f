// Relays a WebSocket between the client and the upstream, message by message.
//
// Why ws on both sides rather than a raw byte relay: the tap must see every message's
// payload, and with permessage-deflate (context takeover) that means inflating the whole
// stream in order anyway — ws already does this, validates framing and UTF-8, and keeps
// the text/binary opcode. Each side negotiates its own compression; messages stay
// byte-identical. The upstream handshake happens first, so a refusal reaches the client
// as the upstream sent it and the client is offered only what the upstream accepted.
// The relay, not ws, checks the subprotocol the upstream selected (see upgraded()), so
// the client gets the upstream's choice, none included.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { FrameDirection } from '../model/types.ts';
import { BodyCapture, captureWhole } from './capture.ts';
import type { ProxyContext } from './context.ts';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamTimeout, type Failure } from './errors.ts';
import { type FlowRecord, type Stoppable, now } from './flows.ts';
import { forwardedResponseHeaders, headerList, webSocketHandshakeHeaders } from './headers.ts';
import type { FrameVerdict } from './intercept.ts';
import { endAndClose, plainResponse, responseHead } from './raw-http.ts';
import type { TappedClose, TappedFrame } from './tap.ts';
import { handshakeFailure, offeredProtocols, selectedProtocol, type ClientHandshakes } from './ws-handshake.ts';
import { FrameInterception, type FrameRelay } from './ws-intercept.ts';
import type { FlowError } from '../model/flow.ts';

/**
 * Bytes queued towards one side before the proxy stops reading the other side. Above it a
 * slow reader holds back its peer through TCP instead of growing the proxy's memory.
 */
const HIGH_WATER = 1024 * 1024;
/** How long closing handshakes may take at shutdown before the sockets are cut. */
const SHUTDOWN_CLOSE_MS = 1000;

export function relayWebSocket(ctx: ProxyContext, handshakes: ClientHandshakes, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  new WebSocketRelay(ctx, handshakes, ctx.flows.create('ws', req), req, socket, head).start();
}

type Phase = 'handshake' | 'refused' | 'open' | 'ended';

class WebSocketRelay implements Stoppable, FrameRelay {
  readonly connection = true;
  private phase: Phase = 'handshake';
  private upstream: WebSocket | null = null;
  private upstreamRes: IncomingMessage | null = null;
  private client: WebSocket | null = null;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private firstClose: Omit<TappedClose, 'at' | 'flowId'> | null = null;
  private clientClosed = false;
  private upstreamClosed = false;
  private stoppedByProxy = false;
  /** Made at the first frame a rule armed for frames sees. */
  private interception: FrameInterception | null = null;
  /** Aborted once the connection has ended: the stage is given its signal (gone). Made only if a rule sees a frame. */
  private ended: AbortController | null = null;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly handshakes: ClientHandshakes,
    readonly flow: FlowRecord,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
  ) {}

  start(): void {
    const { ctx, req, socket } = this;
    ctx.flows.add(this);
    ctx.tap.emit('requestStarted', this.flow.snapshot());
    socket.on('error', () => this.clientLeft());
    socket.on('close', () => this.clientLeft());

    const target = ctx.upstream.webSocket(req.url ?? '/');
    const offersDeflate = /permessage-deflate/i.test(req.headers['sec-websocket-extensions'] ?? '');
    const offered = offeredProtocols(req);
    let upstream: WebSocket;
    try {
      upstream = new WebSocket(target.url, [], {
        headers: { ...webSocketHandshakeHeaders(req.rawHeaders), ...(offered.length > 0 ? { 'Sec-WebSocket-Protocol': offered.join(',') } : {}) },
        perMessageDeflate: offersDeflate,
        maxPayload: 0,
        autoPong: false,
        followRedirects: false,
        ...target.tls,
      });
    } catch (err) {
      this.handshakeFailed({ kind: 'proxy-error', status: 502, message: `cannot open the upstream WebSocket ${target.url}: ${(err as Error).message}` });
      return;
    }
    this.upstream = upstream;
    this.timer = setTimeout(() => this.handshakeFailed(upstreamTimeout(ctx.upstream.host, ctx.upstreamTimeoutMs, this.phase === 'refused')), ctx.upstreamTimeoutMs);
    upstream.on('upgrade', (res) => this.upgraded(res, offered));
    upstream.on('open', () => this.open());
    upstream.on('unexpected-response', (upReq, upRes) => this.relayRefusal(upReq, upRes));
    upstream.on('error', (err) => {
      if (this.phase === 'handshake') this.handshakeFailed(handshakeFailure(err, ctx.upstream.host));
      else if (this.phase === 'open') this.sideFailed('server', err);
    });
  }

  /**
   * The upstream's 101, before ws checks it. ws was offered no subprotocol, so it would
   * refuse any the upstream selected: the header is taken out of its sight and checked
   * here, where selecting none is fine and selecting one never offered is not.
   */
  private upgraded(res: IncomingMessage, offered: string[]): void {
    this.upstreamRes = res;
    delete res.headers['sec-websocket-protocol'];
    const selected = selectedProtocol(res);
    if (selected !== undefined && !offered.includes(selected)) {
      const asked = offered.length > 0 ? `the client offered ${offered.join(', ')}` : 'the client offered none';
      this.handshakeFailed({
        kind: 'proxy-error',
        status: 502,
        message: `upstream ${this.ctx.upstream.host} selected the WebSocket subprotocol "${selected}", but ${asked}`,
      });
    }
  }

  /** The upstream said 101: answer the client the same way and start relaying. */
  private open(): void {
    const upstream = this.upstream!;
    if (this.phase !== 'handshake') {
      upstream.terminate();
      return;
    }
    clearTimeout(this.timer);
    const res = this.upstreamRes!;
    this.flow.response = { status: res.statusCode ?? 101, statusMessage: res.statusMessage ?? '', headers: headerList(res.rawHeaders) };
    const client = this.handshakes.complete(this.req, this.socket, this.head, upstream, res);
    if (!client) {
      upstream.terminate();
      this.endHandshake(clientAborted('left before the WebSocket handshake completed'));
      return;
    }
    this.client = client;
    this.phase = 'open';
    this.ctx.tap.emit('exchangeEnded', this.flow.snapshot());

    client.on('message', (data: Buffer, isBinary) => this.relayMessage('client', data, isBinary, client, upstream));
    upstream.on('message', (data: Buffer, isBinary) => this.relayMessage('server', data, isBinary, upstream, client));
    client.on('ping', (data) => this.relayControl('client', 9, data, upstream));
    upstream.on('ping', (data) => this.relayControl('server', 9, data, client));
    client.on('pong', (data) => this.relayControl('client', 10, data, upstream));
    upstream.on('pong', (data) => this.relayControl('server', 10, data, client));
    client.on('error', (err) => this.sideFailed('client', err));
    client.on('close', (code, reason) => this.sideClosed('client', code, reason));
    upstream.on('close', (code, reason) => this.sideClosed('server', code, reason));
  }

  private relayMessage(direction: FrameDirection, data: Buffer, isBinary: boolean, from: WebSocket, to: WebSocket): void {
    // One property read when no rule is armed: the frame is relayed as it always was.
    const stage = this.ctx.intercept;
    if (stage !== null && stage.armed.ws) return (this.interception ??= new FrameInterception(this, HIGH_WATER)).message(stage, direction, data, isBinary, from, to);
    this.tapFrame(direction, isBinary ? 2 : 1, data);
    if (to.readyState !== WebSocket.OPEN) return;
    this.batchWrites(direction);
    if (!from.isPaused && to.bufferedAmount + data.length > HIGH_WATER) {
      // The callback runs once this message (and all before it) left for the network.
      from.pause();
      to.send(data, { binary: isBinary }, () => from.resume());
    } else {
      to.send(data, { binary: isBinary });
    }
  }

  get gone(): AbortSignal {
    this.ended ??= new AbortController();
    if (this.phase === 'ended') this.ended.abort();
    return this.ended.signal;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get path(): string {
    return this.req.url ?? '/';
  }

  isOpen(): boolean {
    return this.phase === 'open';
  }

  towards(from: FrameDirection): WebSocket | null {
    return from === 'server' ? this.client : this.upstream;
  }

  endOnPurpose(end: NonNullable<FrameVerdict['end']>, rule: string): void {
    if (this.phase !== 'open') return;
    this.flow.ruled([rule]);
    this.stoppedByProxy = true;
    if (end === 'reset') {
      this.firstClose ??= { by: 'proxy', code: null, reason: `rule "${rule}" reset the connection` };
      this.client!.terminate();
      this.upstream!.terminate();
      return;
    }
    this.firstClose ??= { by: 'proxy', code: end.code, reason: end.reason };
    this.client!.close(end.code, end.reason);
    this.upstream!.close(end.code, end.reason);
  }

  private relayControl(direction: FrameDirection, opcode: 9 | 10, data: Buffer, to: WebSocket): void {
    this.tapFrame(direction, opcode, data);
    if (to.readyState !== WebSocket.OPEN) return;
    this.batchWrites(direction);
    if (opcode === 9) to.ping(data);
    else to.pong(data);
  }

  /**
   * ws parses every frame of a read in the same tick and writes each relayed one at once:
   * holding the other side's socket corked until the tick ends sends them in one system
   * call instead of one per message, which is most of the cost of many small events.
   */
  batchWrites(from: FrameDirection): void {
    const socket = from === 'client' ? this.upstreamRes!.socket : this.socket;
    if (socket.writableCorked > 0) return;
    socket.cork();
    process.nextTick(() => socket.uncork());
  }

  tapFrame(direction: FrameDirection, opcode: number, data: Uint8Array, ruled?: Pick<TappedFrame, 'rule' | 'mark' | 'original'>): void {
    const { body, size, truncated } = captureWhole(data, this.ctx.maxBody);
    this.ctx.tap.emit('wsFrame', { flowId: this.flow.id, seq: this.seq++, direction, at: now(), opcode, body, size, truncated, ...ruled });
  }

  private sideClosed(side: FrameDirection, code: number, reason: Buffer): void {
    if (side === 'client') this.clientClosed = true;
    else this.upstreamClosed = true;
    // 1005 and 1006 are what ws reports when no code crossed the wire.
    const wireCode = code === 1005 || code === 1006 ? null : code;
    this.firstClose ??= { by: this.stoppedByProxy ? 'proxy' : side, code: wireCode, reason: reason.toString() };
    if (code === 1006 && !this.stoppedByProxy && !this.flow.error) {
      this.flow.error =
        side === 'client'
          ? clientAborted('dropped the WebSocket without a close frame')
          : { kind: 'upstream-reset', message: `upstream ${this.ctx.upstream.host} dropped the WebSocket without a close frame` };
    }
    const other = side === 'client' ? this.upstream! : this.client!;
    const otherClosed = side === 'client' ? this.upstreamClosed : this.clientClosed;
    if (!otherClosed) {
      // It may be paused waiting for the side that just left; its close reply must be read.
      other.resume();
      // The close goes after the frames the side sent before it, which a rule may still hold.
      const held = this.interception?.heldFrom(side) ?? null;
      if (held === null) relayClose(other, code, reason);
      else void held.then(() => relayClose(other, code, reason));
    } else {
      this.closed();
    }
  }

  private sideFailed(side: FrameDirection, err: Error & { code?: string }): void {
    if (this.stoppedByProxy || this.flow.error) return;
    const detail = err.code ? `${err.message} (${err.code})` : err.message;
    this.flow.error =
      side === 'client'
        ? clientAborted(`broke the WebSocket: ${detail}`)
        : { kind: 'upstream-reset', message: `upstream ${this.ctx.upstream.host} broke the WebSocket: ${detail}` };
  }

  private closed(): void {
    clearTimeout(this.timer);
    this.phase = 'ended';
    this.ended?.abort();
    const at = now();
    this.flow.endedAt = at;
    const { by, code, reason } = this.firstClose!;
    this.ctx.tap.emit('wsClosed', this.flow.snapshot(), { flowId: this.flow.id, code, reason, by, at });
    this.ctx.flows.delete(this.flow);
  }

  /** The upstream answered the upgrade with something other than 101: pass it on as is, then close. */
  private relayRefusal(upReq: ClientRequest, upRes: IncomingMessage): void {
    if (this.phase !== 'handshake') {
      upReq.destroy();
      return;
    }
    this.phase = 'refused';
    const { socket, flow } = this;
    flow.response = { status: upRes.statusCode ?? 0, statusMessage: upRes.statusMessage ?? '', headers: headerList(upRes.rawHeaders) };
    const body = new BodyCapture(this.ctx.maxBody);
    flow.responseBody = body;
    // Close-delimited when the upstream chunked it: the connection ends with the body anyway.
    const headers = [...forwardedResponseHeaders(upRes.rawHeaders), 'Connection', 'close'];
    socket.write(responseHead(upRes.statusCode ?? 502, upRes.statusMessage ?? '', headers), 'latin1');
    upRes.on('data', (chunk: Buffer) => {
      body.add(chunk);
      if (!socket.write(chunk)) upRes.pause();
    });
    socket.on('drain', () => upRes.resume());
    upRes.on('end', () => {
      if (this.phase !== 'refused') return;
      endAndClose(socket);
      upReq.destroy();
      this.endHandshake(null);
    });
    upRes.on('error', (err) => {
      if (this.phase !== 'refused') return;
      socket.destroy();
      this.endHandshake(upstreamFailure(err, this.ctx.upstream.host, true));
    });
  }

  /** No 101 from the upstream: the client gets the proxy's own 502/504 (or is cut off if a refusal was under way). */
  private handshakeFailed(failure: Failure): void {
    if (this.phase !== 'handshake' && this.phase !== 'refused') return;
    const refusing = this.phase === 'refused';
    this.upstream?.terminate();
    if (refusing) this.socket.destroy();
    else endAndClose(this.socket, plainResponse(failure.status, failure.message));
    this.endHandshake({ kind: failure.kind, message: failure.message });
  }

  /** The client's socket closed or failed while the proxy still owned it. */
  private clientLeft(): void {
    if (this.phase !== 'handshake' && this.phase !== 'refused') return;
    this.upstream?.terminate();
    this.socket.destroy();
    this.endHandshake(clientAborted('left before the WebSocket handshake completed'));
  }

  private endHandshake(error: FlowError | null): void {
    clearTimeout(this.timer);
    this.phase = 'ended';
    this.flow.error = error;
    this.flow.endedAt = now();
    this.ctx.tap.emit('exchangeEnded', this.flow.snapshot());
    this.ctx.flows.delete(this.flow);
  }

  stop(): void {
    if (this.phase === 'handshake' || this.phase === 'refused') {
      this.upstream?.terminate();
      this.socket.destroy();
      this.endHandshake(endedByShutdown(this.ctx.graceMs));
      return;
    }
    if (this.phase !== 'open') return;
    this.stoppedByProxy = true;
    this.firstClose ??= { by: 'proxy', code: 1001, reason: 'proxy shutting down' };
    this.client!.close(1001, 'proxy shutting down');
    this.upstream!.close(1001, 'proxy shutting down');
    this.timer = setTimeout(() => {
      this.client!.terminate();
      this.upstream!.terminate();
    }, SHUTDOWN_CLOSE_MS);
  }
}

/** Closes `target` the way its peer closed: same code and reason, or just as abruptly. */
function relayClose(target: WebSocket, code: number, reason: Buffer): void {
  if (code === 1006) {
    target.terminate();
  } else if (code === 1005) {
    target.close();
  } else {
    try {
      target.close(code, reason);
    } catch {
      // A code that may only be reported, never sent (1015): close without one.
      target.close();
    }
  }
}
