// Forwards one HTTP exchange — /exec or any other path — to the upstream and back,
// unchanged, telling the tap what crossed the wire. Bodies stream through with
// backpressure in both directions; capture only keeps references to the chunks.

import { STATUS_CODES, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ExchangeKind } from '../model/types.ts';
import { BodyCapture } from './capture.ts';
import type { ProxyContext } from './context.ts';
import { clientAborted, endedByShutdown, upstreamFailure, upstreamSwitched, upstreamTimeout, type Failure } from './errors.ts';
import { type FlowRecord, type Stoppable, now } from './flows.ts';
import { forwardedRequestHeaders, forwardedResponseHeaders, headerList, withLength } from './headers.ts';
import type { FlowError } from '../model/flow.ts';
import type { HeaderList } from '../model/types.ts';
import type { Decided, HttpFailure, InterceptHead, InterceptStage, StagePoint } from './intercept.ts';

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
  private upstreamReq: ClientRequest | undefined;
  private upstreamRes: IncomingMessage | null = null;
  private ended = false;
  /** Set when the interception stage sees this exchange whole. */
  private held: Held | null = null;
  /** Why the exchange waits with no answer coming (a rule's fail: timeout), for the record when the client leaves. */
  private unanswered: string | null = null;

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
    req.on('error', () => this.clientGone());
    res.on('error', () => this.clientGone());
    res.on('close', () => {
      if (!res.writableFinished) this.clientGone();
    });
    res.on('finish', () => this.end(null));

    // One property read when no rule is armed: the exchange then streams as it always did.
    if (ctx.intercept !== null && ctx.intercept.armed.http) this.held = holding(ctx.intercept, flow, req);
    if (this.held?.request) {
      readWhole(req, (body) => void this.decideRequest(this.held!, body));
      return;
    }
    const up = this.openUpstream(null);
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
  }

  /** The request to the upstream; with `body`, the whole of it, sent at once. */
  private openUpstream(body: Uint8Array | null): ClientRequest {
    const { ctx, req } = this;
    const headers = forwardedRequestHeaders(req.rawHeaders, ctx.upstream.host);
    const up = ctx.upstream.request(req.method ?? 'GET', req.url ?? '/', body === null ? headers : withLength(headers, body.byteLength));
    this.upstreamReq = up;
    up.setTimeout(ctx.upstreamTimeoutMs, () => this.fail(upstreamTimeout(ctx.upstream.host, ctx.upstreamTimeoutMs, this.upstreamRes !== null)));
    up.on('error', (err) => this.fail(upstreamFailure(err, ctx.upstream.host, this.upstreamRes !== null)));
    up.on('response', (upRes) => (this.held?.response && this.stillHeld(this.held, upRes) ? this.holdResponse(this.held, upRes) : this.relayResponse(upRes)));
    // Node hands a 101 with Upgrade over as an upgrade, not a response: unheard, the client waited forever.
    up.on('upgrade', (upRes, socket) => {
      socket.destroy();
      this.fail(upstreamSwitched(ctx.upstream.host, upRes.statusMessage));
    });
    if (body !== null) up.end(body);
    return up;
  }

  /** The client's whole request, through the rules: sent upstream as they leave it, answered by them, or failed. */
  private async decideRequest(held: Held, body: Uint8Array): Promise<void> {
    if (this.ended) return;
    const { flow } = this;
    const { verdict, rules, atBreakpoint } = await decideSafely(held.stage, 'request', () => held.stage.request(held.head, body), { action: 'forward', body });
    if (this.ended) return;
    if (rules.length > 0) flow.ruled(rules);
    if (atBreakpoint) flow.ruled([]).editedAtBreakpoint.push(verdict.action === 'respond' ? 'response' : 'request');
    if (verdict.action === 'fail') return this.failOnPurpose(verdict, rules);
    if (verdict.action === 'respond') {
      flow.requestBody.add(body);
      return this.answer(verdict.status, verdict.headers, verdict.body);
    }
    if (verdict.body !== body) flow.ruled([]).original.request = { ...flow.snapshot().request, body, size: body.byteLength, truncated: false };
    flow.requestBody.add(verdict.body);
    this.held = { ...held, request: false, sent: verdict.body };
    this.openUpstream(verdict.body);
  }

  /** Whether the rules could act on this response, now that its status and the request are known; if not, it streams. */
  private stillHeld(held: Held, upRes: IncomingMessage): boolean {
    try {
      return held.stage.wantsResponse(held.head, held.sent ?? this.flow.requestBody.bytes(), upRes.statusCode ?? 502);
    } catch (err) {
      held.stage.failed('response', err);
      return false;
    }
  }

  /** The upstream's whole response, through the rules, then to the client as they leave it. */
  private holdResponse(held: Held, upRes: IncomingMessage): void {
    const { ctx, flow } = this;
    if (this.ended) {
      upRes.destroy();
      return;
    }
    if (upRes.statusCode === 101) return this.fail(upstreamSwitched(ctx.upstream.host, upRes.statusMessage));
    this.upstreamRes = upRes;
    upRes.on('error', (err) => this.fail(upstreamFailure(err, ctx.upstream.host, true)));
    readWhole(upRes, async (body) => {
      if (this.ended) return;
      // The upstream has answered: what the rules take now is not the upstream's time.
      this.upstreamReq!.setTimeout(0);
      const status = upRes.statusCode ?? 502;
      const headers = headerList(upRes.rawHeaders);
      const { verdict, rules, atBreakpoint } = await decideSafely(held.stage, 'response', () => held.stage.response(held.head, held.sent ?? flow.requestBody.bytes(), status, headers, body), { action: 'forward', status, body });
      if (this.ended) return;
      if (rules.length > 0) flow.ruled(rules);
      if (atBreakpoint) flow.ruled([]).editedAtBreakpoint.push('response');
      if (verdict.action === 'fail') return this.failOnPurpose(verdict, rules);
      const changed = verdict.body !== body || verdict.status !== status;
      if (changed) flow.ruled([]).original.response = { status, statusMessage: upRes.statusMessage ?? '', headers, body, size: body.byteLength, truncated: false };
      const forwarded = forwardedResponseHeaders(upRes.rawHeaders);
      this.answer(verdict.status, changed ? withLength(forwarded, verdict.body.byteLength) : forwarded, verdict.body, verdict.status === status ? upRes.statusMessage : undefined);
    });
  }

  /** Answers the client with a whole response: a rule's, or the upstream's as the rules left it. */
  private answer(status: number, headers: HeaderList | string[], body: Uint8Array, statusMessage?: string): void {
    const { ctx, res, flow } = this;
    const list = Array.isArray(headers[0]) ? (headers as HeaderList) : headerList(headers as string[]);
    flow.response = { status, statusMessage: statusMessage ?? STATUS_CODES[status] ?? '', headers: list };
    const capture = new BodyCapture(ctx.maxBody);
    capture.add(body);
    flow.responseBody = capture;
    try {
      res.sendDate = false;
      res.writeHead(status, flow.response.statusMessage, list.flat());
      res.end(body);
    } catch (err) {
      this.fail({ kind: 'proxy-error', status: 502, message: `a rule's answer cannot be sent: ${(err as Error).message}` });
    }
  }

  /** A rule ends the exchange: the client's connection reset, or left unanswered until the client gives up. */
  private failOnPurpose(failure: HttpFailure, rules: string[]): void {
    const by = rules.map((r) => `"${r}"`).join(', ');
    this.upstreamReq?.destroy();
    this.upstreamRes?.destroy();
    if (failure.how === 'timeout') {
      this.unanswered = `rule ${by} left the exchange unanswered`;
      return;
    }
    this.end({ kind: 'proxy-error', message: `rule ${by} reset the client's connection` });
    this.req.socket.resetAndDestroy();
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
        this.upstreamReq!.setTimeout(0);
      }
    });
    res.on('drain', () => {
      upRes.resume();
      this.upstreamReq!.setTimeout(ctx.upstreamTimeoutMs);
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
    this.upstreamReq?.destroy();
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
    this.upstreamReq?.destroy();
    this.upstreamRes?.destroy();
    this.res.destroy();
    if (this.unanswered !== null) return this.end({ kind: 'client-aborted', message: `${this.unanswered} until the client gave up` });
    const detail = this.req.complete
      ? 'closed the connection before the response was complete'
      : 'aborted the request before sending all of it';
    this.end(clientAborted(detail));
  }

  stop(): void {
    if (this.ended) return;
    this.upstreamReq?.destroy();
    this.upstreamRes?.destroy();
    this.res.destroy();
    this.end(endedByShutdown(this.ctx.graceMs));
  }

  private end(error: FlowError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.held?.gone.abort();
    this.flow.error = error;
    this.flow.endedAt = now();
    this.ctx.tap.emit('exchangeEnded', this.flow.snapshot());
    this.ctx.flows.delete(this.flow);
  }
}


/** An exchange the interception stage sees: which sides it holds whole, and the request as it went upstream. */
interface Held {
  stage: InterceptStage;
  head: InterceptHead;
  request: boolean;
  response: boolean;
  /** The request body as the rules sent it upstream; null when it streamed (the flow's capture has it). */
  sent: Uint8Array | null;
  /** Aborted when the exchange ends, so a message the stage still holds (a breakpoint) ends with it. */
  gone: AbortController;
}

function holding(stage: InterceptStage, flow: FlowRecord, req: IncomingMessage): Held | null {
  const gone = new AbortController();
  const head: InterceptHead = { flowId: flow.id, kind: flow.kind, method: req.method ?? 'GET', path: req.url ?? '/', headers: flow.requestHeaders, gone: gone.signal };
  let holds;
  try {
    holds = stage.holds(head);
  } catch (err) {
    stage.failed('holds', err);
    return null;
  }
  return holds.request || holds.response ? { stage, head, request: holds.request, response: holds.response, sent: null, gone } : null;
}

/** Calls back with the whole body once it has all arrived. */
function readWhole(from: IncomingMessage, done: (body: Uint8Array) => void): void {
  const chunks: Buffer[] = [];
  from.on('data', (chunk: Buffer) => chunks.push(chunk));
  from.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

/** The stage's decision; a stage that fails lets the message go on unchanged, since traffic must flow whatever a rule does, and says so. */
async function decideSafely<V>(stage: InterceptStage, point: StagePoint, decide: () => Promise<Decided<V>>, unchanged: V): Promise<Decided<V>> {
  try {
    return await decide();
  } catch (err) {
    stage.failed(point, err);
    return { verdict: unchanged, rules: [] };
  }
}
