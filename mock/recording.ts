// A recording loaded into the lookups the mock answers from: /exec answers by request key
// (mock/key.ts), the recorded requests of each service.operation for --match closest and
// for explaining a miss, the WebSocket sessions with each server frame tied to what made it,
// and the answers of other paths by method and path. Read through the Store and decoded
// with the one codec, so a key means the same for the recording and for live requests.
// Where rules changed traffic in flight, requests are matched as the client sent them and
// answered as the client got them (model/client-view.ts): the mock stands in for the
// server and the rules together.

import type { HeaderList, JsonObject } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import type { Store } from '../storage/store.ts';
import { canonicalKey, normalizeRequest } from './key.ts';
import type { IgnorePath } from '../model/ignore-path.ts';
import { mendAnswer, mendClose } from './mend.ts';
import { AnswerQueue } from './queue.ts';
import { operationLabel } from '../model/format.ts';
import type { Flow } from '../model/flow.ts';
import { framesGot, framesSent, requestSent } from '../model/client-view.ts';

export interface RecordedAnswer {
  /** The recorded exchange's id. */
  id: number;
  /** Status and headers as recorded, or in their nearest valid form (mock/mend.ts). */
  status: number;
  headers: HeaderList;
  body: Uint8Array;
}

export interface RecordedExec {
  id: number;
  /** "instances.list", or "" when the request named no service. */
  operation: string;
  /** The request's content as matched (see normalizeRequest). */
  content: JsonObject;
  answer: RecordedAnswer;
}

export interface RecordedFrame {
  opcode: number;
  body: Uint8Array;
  /** ms epoch. */
  at: number;
  /**
   * The /exec call (same JWT subject, or same token when it is no JWT) that started last
   * before this frame, after the WsAuth: the frame is sent when that call arrives live, since
   * a server pushes an event while handling the call or after. null for a frame that came
   * before any, played at its time since WsAuth.
   */
  after: RecordedCall | null;
}

/** An /exec call a server frame may have been pushed by; times in whole ms, as frames have them. */
export interface RecordedCall {
  execId: number;
  startedAt: number;
  endedAt: number;
}

export interface RecordedSession {
  id: number;
  /** The WsAuth's token and its JWT subject. */
  token: string | null;
  sub: string | null;
  /** ms epoch of the client's WsAuth. */
  authAt: number;
  frames: RecordedFrame[];
  /**
   * The server's close (in its nearest valid form, mock/mend.ts), when the server closed; a
   * session the client ended is left for the client to end.
   */
  close: { code: number | null; reason: string; at: number } | null;
}

export interface Recording {
  exec: Map<string, AnswerQueue<RecordedExec>>;
  byOperation: Map<string, RecordedExec[]>;
  sessions: RecordedSession[];
  /** Keyed by "METHOD path". */
  http: Map<string, AnswerQueue<RecordedAnswer>>;
  /** Exchanges that cannot be served (no answer, cut short, truncated bodies). */
  skipped: number;
  execExchanges: number;
  /** Exchanges served in a form other than recorded, and what was changed. */
  mended: { id: number; changes: string[] }[];
}

export function loadRecording(store: Store, codec: Codec, options: { filter?: string; ignore: readonly IgnorePath[] }): Recording {
  const execAnswers = new Map<string, RecordedExec[]>();
  const byOperation = new Map<string, RecordedExec[]>();
  const httpAnswers = new Map<string, RecordedAnswer[]>();
  /** Keyed by who made them: "sub …" for a JWT's subject, "token …" for any other token. */
  const calls = new Map<string, RecordedCall[]>();
  const sessionFlows: Flow[] = [];
  const mended: Recording['mended'] = [];
  let skipped = 0;
  let execExchanges = 0;

  for (const exchange of store.flows({ filter: options.filter, order: 'oldest' })) {
    const request = requestSent(exchange);
    const response = exchange.response;
    if (exchange.kind === 'ws') {
      if (response?.status === 101) sessionFlows.push(exchange);
      else skipped++;
      continue;
    }
    if (response === null || response.truncated || request.truncated || exchange.state !== 'complete') {
      skipped++;
      continue;
    }
    const valid = mendAnswer(response.status, response.headers);
    if (valid.changes.length > 0) mended.push({ id: exchange.id, changes: valid.changes });
    const answer: RecordedAnswer = { id: exchange.id, ...valid.value, body: response.body };
    if (exchange.kind === 'http') {
      push(httpAnswers, `${request.method} ${request.path}`, answer);
      continue;
    }
    execExchanges++;
    const decoded = codec.decode('ClientRequest', request.body);
    const content = normalizeRequest(decoded.json, options.ignore);
    const operation = operationLabel(decoded.summary) ?? '';
    const recorded: RecordedExec = { id: exchange.id, operation, content, answer };
    push(execAnswers, canonicalKey(content), recorded);
    push(byOperation, operation, recorded);
    const caller = callerKey(exchange.token?.sub ?? null, typeof decoded.json.token === 'string' ? decoded.json.token : null);
    if (caller !== null && exchange.endedAt !== null) {
      push(calls, caller, { execId: exchange.id, startedAt: Math.floor(exchange.startedAt), endedAt: Math.floor(exchange.endedAt) });
    }
  }
  for (const list of calls.values()) list.sort((a, b) => a.startedAt - b.startedAt);

  const sessions: RecordedSession[] = [];
  for (const flow of sessionFlows) {
    const session = loadSession(codec, flow, calls, mended);
    if (session) sessions.push(session);
    else skipped++;
  }

  return {
    exec: new Map([...execAnswers].map(([key, list]) => [key, new AnswerQueue(list)])),
    byOperation,
    sessions,
    http: new Map([...httpAnswers].map(([key, list]) => [key, new AnswerQueue(list)])),
    skipped,
    execExchanges,
    mended,
  };
}

function loadSession(codec: Codec, flow: Flow, calls: Map<string, RecordedCall[]>, mended: Recording['mended']): RecordedSession | null {
  const auth = framesSent(flow).find((f) => f.opcode === 2);
  if (!auth) return null;
  const decodedAuth = codec.decode('WsAuth', auth.body);
  const token = typeof decodedAuth.json.token === 'string' ? decodedAuth.json.token : null;
  const sub = decodedAuth.summary.token?.jwt?.sub ?? flow.token?.sub ?? null;
  // Times are compared in whole milliseconds, as calls are: an event and its call can share one.
  const authAt = Math.floor(auth.at);
  const caller = callerKey(sub, token);
  const made = caller === null ? [] : (calls.get(caller) ?? []);
  const frames: RecordedFrame[] = [];
  for (const frame of framesGot(flow)) {
    if ((frame.opcode !== 1 && frame.opcode !== 2) || frame.truncated) continue;
    const at = Math.floor(frame.at);
    frames.push({ opcode: frame.opcode, body: frame.body, at, after: latestStartedBefore(made, authAt, at) });
  }
  let close: RecordedSession['close'] = null;
  if (flow.close?.by === 'server') {
    const valid = mendClose(flow.close.code, flow.close.reason);
    if (valid.changes.length > 0) mended.push({ id: flow.id, changes: valid.changes });
    close = { ...valid.value, at: Math.floor(flow.close.at) };
  }
  return { id: flow.id, token, sub, authAt, frames, close };
}

/** A JWT's calls share its subject whatever token carried it; a token that is no JWT is its own. */
function callerKey(sub: string | null, token: string | null): string | null {
  if (sub !== null) return `sub ${sub}`;
  return token !== null ? `token ${token}` : null;
}

/**
 * The last of `calls` (sorted by startedAt) that started in [from, at], or null. Inclusive:
 * a call and the event it pushed can fall in the same millisecond.
 */
function latestStartedBefore(calls: readonly RecordedCall[], from: number, at: number): RecordedCall | null {
  let low = 0;
  let high = calls.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (calls[mid].startedAt <= at) low = mid + 1;
    else high = mid;
  }
  const found = calls[low - 1];
  return found !== undefined && found.startedAt >= from ? found : null;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
