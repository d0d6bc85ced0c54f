// Forwards one HTTP exchange — /exec or any other path — to the upstream and back,
// unchanged, telling the tap what crossed the wire. Bodies stream through with
// backpressure in both directions; capture only keeps references to the chunks.

import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { ExchangeKind } from '../model/types.ts';
import { BodyCapture } from './capture.ts';
import type { ProxyContext } from './context.ts';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamSwitched, upstreamTimeout, type Failure } from './errors.ts';
import { type FlowRecord, type Stoppable, now } from './flows.ts';
import { forwardedRequestHeaders, forwardedResponseHeaders, headerList } from './headers.ts';
import type { FlowError } from '../model/flow.ts';

export function forwardHttp(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  new HttpExchange(ctx, ctx.flows.create(exchangeKind(req), req), req, res).start();
}

/** POST /exec is the ca2 API call; everything else is recorded as plain HTTP. */
export function exchangeKind(req: Pick<IncomingMessage, 'method' | 'url'>): ExchangeKind {
  const url = req.url ?? '';
  return req.method === 'POST' && (url === '/exec' || url.startsWith('/exec?')) ? 'exec' : 'http';
}

class HttpExchange implements Stoppable {
  readonly connection = false;
  private upstreamReq!: ClientRequest;
  private upstreamRes: IncomingMessage | null = null;
  private ended = false;

  constructor(
    private readonly ctx: ProxyContext,
    readonly flow: FlowRecord,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {}

  start(): void {
    const { ctx, req, res, flow } = this;
    ctx.flows.add(this);
    ctx.tap.emit('requestStarted', flow.snapshot());
    if (ctx.closing) res.shouldKeepAlive = false;

    const up = ctx.upstream.request(req.method ?? 'GET', req.url ?? '/', forwardedRequestHeaders(req.rawHeaders, ctx.upstream.host));
    this.upstreamReq = up;
    up.setTimeout(ctx.upstreamTimeoutMs, () => this.fail(upstreamTimeout(ctx.upstream.host, ctx.upstreamTimeoutMs, this.upstreamRes !== null)));
    up.on('error', (err) => this.fail(upstreamFailure(err, ctx.upstream.host, this.upstreamRes !== null)));
    up.on('response', (upRes) => this.relayResponse(upRes));
    // Node hands a 101 with Upgrade over as an upgrade, not a response: unheard, the client waited forever.
    up.on('upgrade', (upRes, socket) => {
      socket.destroy();
      this.fail(upstreamSwitched(ctx.upstream.host, upRes.statusMessage));
    });
    up.on('drain', () => req.resume());

    req.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      flow.requestBody.add(chunk);
      if (!up.write(chunk)) req.pause();
    });
    req.on('end', () => {
      if (this.ended) return;
      if (req.rawTrailers.length > 0) up.addTrailers(headerList(req.rawTrailers));
      up.end();
    });
    req.on('error', () => this.clientGone());
    res.on('error', () => this.clientGone());
    res.on('close', () => {
      if (!res.writableFinished) this.clientGone();
    });
    res.on('finish', () => this.end(null));
  }

  private relayResponse(upRes: IncomingMessage): void {
    const { ctx, res, flow } = this;
    if (this.ended) {
      upRes.destroy();
      return;
    }
    // Without Upgrade it comes as a response, which no client can take as a final answer.
    if (upRes.statusCode === 101) return this.fail(upstreamSwitched(ctx.upstream.host, upRes.statusMessage));
    this.upstreamRes = upRes;
    flow.response = { status: upRes.statusCode ?? 0, statusMessage: upRes.statusMessage ?? '', headers: headerList(upRes.rawHeaders) };
    const body = new BodyCapture(ctx.maxBody);
    flow.responseBody = body;
    upRes.on('error', (err) => this.fail(upstreamFailure(err, ctx.upstream.host, true)));
    try {
      // The upstream's Date, or none: the client sees what the server sent.
      res.sendDate = false;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardedResponseHeaders(upRes.rawHeaders));
    } catch (err) {
      this.fail({ kind: 'proxy-error', status: 502, message: `upstream ${ctx.upstream.host} sent a response the proxy cannot relay: ${(err as Error).message}` });
      return;
    }
    upRes.on('data', (chunk: Buffer) => {
      body.add(chunk);
      if (!res.write(chunk)) {
        upRes.pause();
        // A client reading slowly is not an upstream timing out.
        this.upstreamReq.setTimeout(0);
      }
    });
    res.on('drain', () => {
      upRes.resume();
      this.upstreamReq.setTimeout(ctx.upstreamTimeoutMs);
    });
    upRes.on('end', () => {
      if (this.ended) return;
      if (upRes.rawTrailers.length > 0) res.addTrailers(headerList(upRes.rawTrailers));
      res.end();
    });
  }

  /** The upstream failed: answer 502/504 if nothing was sent yet, else cut the client off mid-response. */
  private fail(failure: Failure): void {
    if (this.ended) return;
    const { res, req } = this;
    this.upstreamReq.destroy();
    this.upstreamRes?.destroy();
    if (res.headersSent) {
      res.destroy();
    } else {
      const text = failure.message + '\n';
      res.writeHead(failure.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      // The rest of an upload nobody will read: let it drain so the connection can be reused.
      req.resume();
    }
    this.end({ kind: failure.kind, message: failure.message });
  }

  private clientGone(): void {
    if (this.ended) return;
    this.upstreamReq.destroy();
    this.upstreamRes?.destroy();
    this.res.destroy();
    const detail = this.req.complete
      ? 'closed the connection before the response was complete'
      : 'aborted the request before sending all of it';
    this.end(clientAborted(detail));
  }

  stop(): void {
    if (this.ended) return;
    this.upstreamReq.destroy();
    this.upstreamRes?.destroy();
    this.res.destroy();
    this.end(endedByShutdown(this.ctx.graceMs));
  }

  private end(error: FlowError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.flow.error = error;
    this.flow.endedAt = now();
    this.ctx.tap.emit('exchangeEnded', this.flow.snapshot());
    this.ctx.flows.delete(this.flow);
  }
}

