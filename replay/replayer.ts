// Resending one recorded exchange: an /exec call with a fresh trx (or the recorded one),
// another token, or an edited body; or a WebSocket connection with its recorded client
// frames. It goes out through the replay target (the proxy's own forwarding and tap), is
// recorded as a replay of the original, and its answer is compared field by field. What
// is sent is what the client sent, and the answer is compared with what the client got
// (model/client-view.ts): where a rule changed either in flight, the client's side.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';
import { UserError } from '../model/user-error.ts';
import type { Difference, HeaderList, JsonObject, JsonValue } from '../model/types.ts';
import type { Flow, FlowFrame } from '../model/flow.ts';
import { EncodeError, type Codec, type EncodeProblem } from '../proto/codec.ts';
import type { Store } from '../storage/store.ts';
import { diffJson } from '../model/field-diff.ts';
import type { ReplayTarget } from './target.ts';
import { headerValue } from '../model/headers.ts';
import { BASE64_RULE, isPaddedBase64 } from '../model/base64.ts';
import { responseType } from '../proto/exchange-facts.ts';
import { framesGot, framesSent, requestSent } from '../model/client-view.ts';

export interface ReplayOptions {
  /** "new" (default): a random 16-byte trx; "keep": the recorded one (or the one in `body.json`). */
  trx?: 'new' | 'keep';
  /** Sent instead of the recorded token (in the ClientRequest, or in WsAuth). */
  token?: string;
  /** The request to send instead of the recorded one: decoded JSON as the detail pane shows it, or the bytes. */
  body?: { json: JsonValue } | { base64: string };
  /** WebSocket client frames at their recorded gaps (default) or all at once. */
  timing?: 'recorded' | 'none';
  /** Paths left out of the comparison, with * for any index or key. */
  ignore?: readonly string[];
  /** Where the recorded token goes when no `token` is given: the session's carried-forward one. */
  tokenFor?: (recorded: string) => string;
}

export interface ReplayOutcome {
  /** The new exchange, recorded like any other. */
  id: number;
  replayOf: number;
  diff: Difference[];
  /** Set when the replay got no answer: "upstream 127.0.0.1:9 refused the connection …". */
  error: string | null;
  /** The decoded answers, recorded and replayed, for carrying tokens forward. */
  recordedAnswer?: JsonValue;
  replayedAnswer?: JsonValue;
}

/** A replay that cannot be sent; nothing was sent. `status` is the HTTP answer the REST API gives. */
export class ReplayError extends UserError {
  constructor(
    status: 400 | 404,
    message: string,
    readonly problems: EncodeProblem[] = [],
  ) {
    super(message, { status, details: problems.length ? { problems } : {} });
  }
}

/** Headers that belong to one connection or one body's framing: the new request gets its own. */
const NOT_RESENT = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);
const NOT_RESENT_WS = new Set([...NOT_RESENT, 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);
/** After the frames the recording had, a WebSocket replay gives the server this long to send more. */
const WS_IDLE_MS = 1_500;
/** While frames the recording had have not come, it waits this long after each. */
const WS_MISSING_MS = 5_000;

export class Replayer {
  constructor(
    private readonly codec: Codec,
    private readonly store: Store,
    private readonly target: ReplayTarget,
  ) {}

  /** Throws ReplayError (nothing sent) for an exchange that cannot be replayed as asked. */
  async replay(id: number, options: ReplayOptions = {}): Promise<ReplayOutcome> {
    const original = this.store.flow(id);
    if (!original) throw new ReplayError(404, `No exchange has id ${id}.`);
    if (original.kind === 'exec') return this.exec(original, options);
    if (original.kind === 'ws') return this.ws(original, options);
    throw new ReplayError(400, `Exchange ${id} is a plain HTTP request (${original.request.method} ${original.request.path}); only /exec calls and WebSocket connections are replayed.`);
  }

  private tokenOf(recorded: string, options: ReplayOptions): string {
    if (options.token !== undefined) return options.token;
    return options.tokenFor ? options.tokenFor(recorded) : recorded;
  }

  /** The ClientRequest bytes to send. */
  private requestBody(original: Flow, options: ReplayOptions): Uint8Array {
    const sent = requestSent(original);
    const recorded = sent.body;
    if (options.body && 'base64' in options.body) {
      if (!isPaddedBase64(options.body.base64)) {
        throw new ReplayError(400, `body.base64 is not base64 (${BASE64_RULE}); send the request bytes in standard base64.`);
      }
      return Buffer.from(options.body.base64, 'base64');
    }
    if (!options.body && sent.truncated) {
      throw new ReplayError(400, `The request of exchange ${original.id} was recorded truncated (over --max-body), so it cannot be sent again as it was; send an edited body instead.`);
    }
    let json: JsonValue;
    if (options.body && 'json' in options.body) {
      json = options.body.json;
    } else {
      const decoded = this.codec.decode('ClientRequest', recorded);
      if (decoded.problems.length > 0) {
        // Nothing to replace: what was recorded goes out as it was.
        const token = decoded.json.token;
        if (options.trx === 'keep' && (typeof token !== 'string' ? options.token === undefined : this.tokenOf(token, options) === token)) return recorded;
        throw new ReplayError(400, `The request of exchange ${original.id} does not decode cleanly (${decoded.problems[0].reason}), so its trx and token cannot be replaced; replay it with trx "keep", or send an edited body.`);
      }
      json = decoded.json;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ReplayError(400, 'body.json must be an object: the decoded ClientRequest.');
    const edited: JsonObject = { ...json };
    if (options.trx !== 'keep') edited.trx = randomBytes(16).toString('base64');
    if (typeof edited.token === 'string' || options.token !== undefined) {
      const token = this.tokenOf(typeof edited.token === 'string' ? edited.token : '', options);
      if (token === '') delete edited.token;
      else edited.token = token;
    }
    try {
      return this.codec.encode('ClientRequest', edited, recorded);
    } catch (err) {
      if (err instanceof EncodeError) throw new ReplayError(400, `The request body does not fit the schema: ${err.message}.`, err.problems);
      throw err;
    }
  }

  private async exec(original: Flow, options: ReplayOptions): Promise<ReplayOutcome> {
    const body = this.requestBody(original, options);
    const sent = requestSent(original);
    const headers = resentHeaders(sent.headers, NOT_RESENT);
    const connection = await this.target.connect(original.id);
    // Raw header lists get no Host of their own; the proxy sets the upstream's anyway.
    headers.unshift('Host', connection.host);
    headers.push('Content-Length', String(body.length));
    await new Promise<void>((resolve) => {
      const req = http.request({ method: sent.method, path: sent.path, headers, createConnection: () => connection.socket });
      req.on('response', (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end(body);
    });
    const { exchangeId, flow } = await connection.recorded;
    connection.socket.destroy();
    const replay = this.store.flow(exchangeId);
    const outcome: ReplayOutcome = { id: exchangeId, replayOf: original.id, diff: [], error: flow.error?.message ?? null };
    if (!replay || outcome.error) return outcome;
    const before = this.answer(original);
    const after = this.answer(replay);
    outcome.recordedAnswer = before;
    outcome.replayedAnswer = after;
    pushStatusChange(outcome, original, replay);
    outcome.diff.push(...diffJson(before, after, options.ignore));
    return outcome;
  }

  /** The decoded ServerResponse, or the body as text when it is not protobuf (an error page). */
  private answer(exchange: Flow): JsonValue | undefined {
    const response = exchange.response;
    if (!response) return undefined;
    if (responseType('exec', response.headers, response.body) === null) return Buffer.from(response.body).toString('utf8');
    return this.codec.decode('ServerResponse', response.body).json;
  }

  private async ws(original: Flow, options: ReplayOptions): Promise<ReplayOutcome> {
    const clientFrames = framesSent(original).filter(isMessage);
    const outgoing = clientFrames.map((frame, i) => ({ frame, data: i === 0 && frame.opcode === 2 ? this.wsAuth(original, frame, options) : frame.body }));
    const recordedServer = framesGot(original).filter(isMessage);
    const upgrade = requestSent(original);
    const timing = options.timing ?? 'recorded';
    const connection = await this.target.connect(original.id);
    const protocols = headerValue(upgrade.headers, 'sec-websocket-protocol')?.split(',').map((p) => p.trim()).filter(Boolean);
    const socket = new WebSocket(`ws://${connection.host}${upgrade.path}`, protocols ?? [], {
      headers: Object.fromEntries(resentHeaderPairs(upgrade.headers, NOT_RESENT_WS)),
      createConnection: (() => connection.socket) as never,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve) => {
      let received = 0;
      let waiting = false;
      let idle: NodeJS.Timeout | undefined;
      const timers: NodeJS.Timeout[] = [];
      const finish = () => {
        for (const t of timers) clearTimeout(t);
        clearTimeout(idle);
        resolve();
      };
      // Once everything is sent (and, with recorded timing, the recorded connection's time is
      // up), the server gets a while after each frame to send more: longer while frames the
      // recording had are still missing.
      const armIdle = () => {
        clearTimeout(idle);
        if (!waiting) return;
        idle = setTimeout(() => closeAsRecorded(socket, original), received >= recordedServer.length ? WS_IDLE_MS : WS_MISSING_MS);
      };
      const startWaiting = () => {
        waiting = true;
        armIdle();
      };
      socket.on('error', finish);
      socket.on('unexpected-response', (_req, res) => {
        res.resume();
        res.on('end', finish);
        res.on('error', finish);
      });
      socket.on('close', finish);
      socket.on('message', () => {
        received++;
        armIdle();
      });
      socket.on('open', () => {
        if (outgoing.length === 0) return startWaiting();
        const first = outgoing[0].frame.at;
        outgoing.forEach(({ frame, data }, i) => {
          const send = () => {
            if (socket.readyState !== WebSocket.OPEN) return;
            socket.send(data, { binary: frame.opcode === 2 });
            if (i < outgoing.length - 1) return;
            if (timing === 'none') startWaiting();
            else timers.push(setTimeout(startWaiting, recordedRemainder(original, frame)));
          };
          if (timing === 'none' || i === 0) send();
          else timers.push(setTimeout(send, frame.at - first));
        });
      });
    });
    const { exchangeId, flow } = await connection.recorded;
    const replay = this.store.flow(exchangeId);
    const outcome: ReplayOutcome = { id: exchangeId, replayOf: original.id, diff: [], error: flow.error?.message ?? null };
    if (!replay || (outcome.error && flow.response === null)) return outcome;
    pushStatusChange(outcome, original, replay);
    const side = (exchange: Flow) => ({
      server_frames: framesGot(exchange).filter(isMessage).map((f) => this.frameValue(f)),
      close: { code: exchange.close?.code ?? null },
    });
    outcome.diff.push(...diffJson(side(original), side(replay), options.ignore));
    return outcome;
  }

  /** The first client frame, WsAuth, with the token to send. */
  private wsAuth(original: Flow, frame: FlowFrame, options: ReplayOptions): Uint8Array {
    const recorded = frame.body;
    if (options.token === undefined && !options.tokenFor) return recorded;
    const decoded = this.codec.decode('WsAuth', recorded);
    const token = typeof decoded.json.token === 'string' ? decoded.json.token : '';
    const wanted = this.tokenOf(token, options);
    if (wanted === token) return recorded;
    if (decoded.problems.length > 0) {
      throw new ReplayError(400, `The WsAuth of exchange ${original.id} does not decode cleanly (${decoded.problems[0].reason}), so its token cannot be replaced.`);
    }
    return this.codec.encode('WsAuth', { ...decoded.json, token: wanted }, recorded);
  }

  private frameValue(frame: FlowFrame): JsonValue {
    if (frame.opcode === 1) return Buffer.from(frame.body).toString('utf8');
    return this.codec.decode('WsEvent', frame.body).json;
  }
}

/** Text and binary frames: what a side sends, as against pings and pongs. */
function isMessage(frame: FlowFrame): boolean {
  return frame.opcode === 1 || frame.opcode === 2;
}

/** How long the recorded connection stayed open after its last client frame. */
function recordedRemainder(original: Flow, lastClientFrame: FlowFrame): number {
  const lastServer = framesGot(original).at(-1);
  const end = original.close ? original.close.at : lastServer ? lastServer.at : lastClientFrame.at;
  return Math.max(0, end - lastClientFrame.at);
}

/** An HTTP status that changed is the difference "(status)". */
function pushStatusChange(outcome: ReplayOutcome, original: Flow, replay: Flow): void {
  const before = original.response?.status ?? null;
  const after = replay.response?.status ?? null;
  if (before !== after) outcome.diff.push({ path: '(status)', change: 'changed', before, after });
}

/** Closes as the recorded client did (its code), or normally when the server or the proxy closed it. */
function closeAsRecorded(socket: WebSocket, original: Flow): void {
  const code = original.close?.by === 'client' ? original.close.code : null;
  const sendable = code !== null && (code === 1000 || (code >= 3000 && code <= 4999));
  socket.close(sendable ? code : 1000, sendable ? original.close!.reason : 'replay done');
}

function resentHeaderPairs(headers: HeaderList, leaveOut: Set<string>): HeaderList {
  return headers.filter(([name]) => !leaveOut.has(name.toLowerCase()));
}

function resentHeaders(headers: HeaderList, leaveOut: Set<string>): string[] {
  return resentHeaderPairs(headers, leaveOut).flat();
}

