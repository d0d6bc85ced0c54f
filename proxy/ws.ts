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
import { WebSocket, WebSocketServer } from 'ws';
import type { FrameDirection } from '../model/types.ts';
import { BodyCapture, captureWhole } from './capture.ts';
import type { ProxyContext } from './context.ts';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamTimeout, type Failure } from './errors.ts';
import { type FlowRecord, type Stoppable, now } from './flows.ts';
import { extraHandshakeResponseHeaders, forwardedResponseHeaders, headerList, webSocketHandshakeHeaders } from './headers.ts';
import { endAndClose, plainResponse, responseHead } from './raw-http.ts';
import type { TappedClose, TappedFrame } from './tap.ts';
import type { FrameVerdict, InterceptHead, InterceptStage } from './intercept.ts';
import type { FlowError } from '../model/flow.ts';

/**
 * Bytes queued towards one side before the proxy stops reading the other side. Above it a
 * slow reader holds back its peer through TCP instead of growing the proxy's memory.
 */
const HIGH_WATER = 1024 * 1024;
/** How long closing handshakes may take at shutdown before the sockets are cut. */
const SHUTDOWN_CLOSE_MS = 1000;

const KEY = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

/**
 * Whether the upgrade is a WebSocket handshake the relay can complete with the client
 * (RFC 6455 §4.2.1). Anything else is tunnelled so the upstream answers it.
 */
export function isRelayableWebSocket(req: IncomingMessage): boolean {
  const { upgrade, 'sec-websocket-key': key, 'sec-websocket-version': version } = req.headers;
  if (req.method !== 'GET' || upgrade?.toLowerCase() !== 'websocket') return false;
  if (!key || !KEY.test(key) || (version !== '13' && version !== '8')) return false;
  const protocols = offeredProtocols(req);
  return protocols.every((p) => TOKEN.test(p)) && new Set(protocols).size === protocols.length;
}

/** The ws servers that complete client handshakes: one per compression choice, so the client gets permessage-deflate exactly when the upstream agreed to it. */
export class ClientHandshakes {
  private readonly plain: WebSocketServer;
  private readonly deflate: WebSocketServer;
  private readonly pending = new WeakMap<IncomingMessage, { protocol: string; headers: string[] }>();

  constructor() {
    const options = {
      noServer: true,
      clientTracking: false,
      maxPayload: 0,
      autoPong: false,
      handleProtocols: (_offered: Set<string>, req: IncomingMessage) => this.pending.get(req)?.protocol || false,
    };
    this.plain = new WebSocketServer({ ...options, perMessageDeflate: false });
    this.deflate = new WebSocketServer({ ...options, perMessageDeflate: true });
    for (const server of [this.plain, this.deflate]) {
      server.on('headers', (lines: string[], req: IncomingMessage) => lines.push(...(this.pending.get(req)?.headers ?? [])));
    }
  }

  /** Answers the client's handshake like the upstream answered ours; null if the client has already gone. */
  complete(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: WebSocket, upstreamRes: IncomingMessage): WebSocket | null {
    const server = upstream.extensions.includes('permessage-deflate') ? this.deflate : this.plain;
    this.pending.set(req, { protocol: selectedProtocol(upstreamRes) ?? '', headers: extraHandshakeResponseHeaders(upstreamRes.rawHeaders) });
    let client: WebSocket | null = null;
    // Synchronous without verifyClient; it calls back only if the handshake went out.
    server.handleUpgrade(req, socket, head, (ws) => (client = ws));
    this.pending.delete(req);
    return client;
  }
}

export function relayWebSocket(ctx: ProxyContext, handshakes: ClientHandshakes, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  new WebSocketRelay(ctx, handshakes, ctx.flows.create('ws', req), req, socket, head).start();
}

type Phase = 'handshake' | 'refused' | 'open' | 'ended';

class WebSocketRelay implements Stoppable {
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
  /** Per direction, the last frame the rules are still deciding on; those after it wait for it. */
  private readonly held: Record<FrameDirection, Promise<void> | null> = { client: null, server: null };
  /** Bytes of frames from each side waiting behind a held one: past HIGH_WATER that side is not read until they go. */
  private readonly heldBytes: Record<FrameDirection, number> = { client: 0, server: 0 };
  /** Aborted once the connection has ended, so that whatever the stage still holds of it ends too. */
  private readonly gone = new AbortController();
  /** What the rules are told of this connection, made at its first frame and shared by the rest. */
  private interceptHead: InterceptHead | null = null;

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
    if (stage !== null && stage.armed.ws) return this.interceptMessage(stage, direction, data, isBinary, from, to);
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

  /**
   * A frame through the rules. Their verdicts are applied in the order the frames came,
   * per direction: one a rule delays holds back those after it, so order is kept.
   */
  private interceptMessage(stage: InterceptStage, direction: FrameDirection, data: Buffer, isBinary: boolean, from: WebSocket, to: WebSocket): void {
    const opcode = isBinary ? 2 : 1;
    this.interceptHead ??= {
      flowId: this.flow.id,
      kind: this.flow.kind,
      method: this.req.method ?? 'GET',
      path: this.req.url ?? '/',
      headers: this.flow.requestHeaders,
      inject: (side, frame, rule) => this.injectFrame(side, frame, rule),
      gone: this.gone.signal,
    };
    const waiting = this.held[direction];
    let verdict: FrameVerdict | Promise<FrameVerdict>;
    try {
      if (waiting !== null) stage.queued(this.interceptHead, direction);
      verdict = stage.frame(this.interceptHead, direction, opcode, data);
    } catch (err) {
      stage.failed('frame', err);
      verdict = unchangedFrame(data);
    }
    if (waiting === null && !(verdict instanceof Promise)) return this.applyVerdict(direction, opcode, data, verdict, to);
    this.heldBytes[direction] += data.length;
    if (this.heldBytes[direction] > HIGH_WATER && !from.isPaused) from.pause();
    const next = (waiting ?? Promise.resolve())
      .then(() => verdict)
      .catch((err: unknown) => {
        stage.failed('frame', err);
        return unchangedFrame(data);
      })
      .then((v) => {
        this.heldBytes[direction] -= data.length;
        if (this.phase === 'open') this.applyVerdict(direction, opcode, data, v, to);
        if (from.isPaused && this.heldBytes[direction] <= HIGH_WATER / 2) from.resume();
      })
      .finally(() => {
        if (this.held[direction] === next) this.held[direction] = null;
      });
    this.held[direction] = next;
  }

  /** A frame of the stage's own, sent now to the side `from` did not come from (a breakpoint's inject). */
  private injectFrame(from: FrameDirection, data: Uint8Array, rule: string): boolean {
    const to = from === 'server' ? this.client : this.upstream;
    if (this.phase !== 'open' || to === null || to.readyState !== WebSocket.OPEN) return false;
    this.tapFrame(from, 2, data, { rule, mark: 'injected' });
    to.send(data, { binary: true });
    return true;
  }

  private applyVerdict(direction: FrameDirection, opcode: number, data: Buffer, verdict: FrameVerdict, to: WebSocket): void {
    const rule = verdict.rule ?? undefined;
    const { send } = verdict;
    if (send === null) this.tapFrame(direction, opcode, data, { rule, mark: 'dropped' });
    else if (send !== data) this.tapFrame(direction, opcode, send, { rule, original: data, ...(verdict.atBreakpoint && { mark: 'breakpoint' as const }) });
    else this.tapFrame(direction, opcode, data, rule === undefined ? undefined : { rule });
    const open = to.readyState === WebSocket.OPEN;
    if (open) this.batchWrites(direction);
    if (open && send !== null) to.send(send, { binary: opcode === 2 });
    for (const frame of verdict.inject) {
      this.tapFrame(direction, opcode, frame, { rule, mark: 'injected' });
      if (open) to.send(frame, { binary: opcode === 2 });
    }
    if (verdict.end !== null) this.endOnPurpose(verdict.end, rule ?? 'a rule');
  }

  /** A rule ends the connection: both sides get its close code and reason, or are cut off. */
  private endOnPurpose(end: NonNullable<FrameVerdict['end']>, rule: string): void {
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
  private batchWrites(from: FrameDirection): void {
    const socket = from === 'client' ? this.upstreamRes!.socket : this.socket;
    if (socket.writableCorked > 0) return;
    socket.cork();
    process.nextTick(() => socket.uncork());
  }

  private tapFrame(direction: FrameDirection, opcode: number, data: Uint8Array, ruled?: Pick<TappedFrame, 'rule' | 'mark' | 'original'>): void {
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
      const held = this.held[side];
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
    this.gone.abort();
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

/** The subprotocol a 101 selected, read from the raw headers (the parsed ones are edited in upgraded()). */
function selectedProtocol(res: IncomingMessage): string | undefined {
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]!.toLowerCase() === 'sec-websocket-protocol') return res.rawHeaders[i + 1]!.trim();
  }
  return undefined;
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? header.split(',').map((p) => p.trim()).filter((p) => p !== '') : [];
}

/** ws reports handshake problems it found itself (a bad accept key, an extension never offered) without a code. */
function handshakeFailure(err: Error & { code?: string }, upstream: string): Failure {
  if (err.code) return upstreamFailure(err, upstream);
  return { kind: 'proxy-error', status: 502, message: `upstream ${upstream} answered the WebSocket handshake in a way the proxy cannot relay: ${err.message}` };
}

function unchangedFrame(data: Uint8Array): FrameVerdict {
  return { send: data, inject: [], end: null, rule: null };
}
