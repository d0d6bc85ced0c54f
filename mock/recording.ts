// A recording loaded into the lookups the mock answers from: /exec answers by request key
// (mock/key.ts), the recorded requests of each service.operation for --match closest and
// for explaining a miss, the WebSocket sessions with each server frame tied to what made it,
// and the answers of other paths by method and path. Read through the Store and decoded
// with the one codec, so a key means the same for the recording and for live requests.

import type { HeaderList, JsonObject } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import type { Store } from '../storage/store.ts';
import { canonicalKey, normalizeRequest, type IgnorePattern } from './key.ts';
import { mendAnswer, mendClose } from './mend.ts';
import { AnswerQueue } from './queue.ts';

export interface RecordedAnswer {
  /** The recorded exchange's id. */
  id: number;
  /** Status and headers as recorded, or in their nearest valid form (mock/mend.ts). */
  status: number;
  headers: HeaderList;
  body: Buffer;
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
  body: Buffer;
  /** ms epoch. */
  at: number;
  /**
   * The /exec exchange (same token subject) that ended last before this frame, while the
   * connection was open: the frame is sent when that call is answered live. null for a frame
   * that came before any, played at its time since WsAuth.
   */
  after: { execId: number; endedAt: number } | null;
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

export function loadRecording(store: Store, codec: Codec, options: { filter?: string; ignore: readonly IgnorePattern[] }): Recording {
  const execAnswers = new Map<string, RecordedExec[]>();
  const byOperation = new Map<string, RecordedExec[]>();
  const httpAnswers = new Map<string, RecordedAnswer[]>();
  const execEnds = new Map<string, { execId: number; endedAt: number }[]>();
  const sessionIds: number[] = [];
  const mended: Recording['mended'] = [];
  let skipped = 0;
  let execExchanges = 0;

  for (const exchange of store.recordedExchanges({ filter: options.filter })) {
    const response = exchange.response;
    if (exchange.kind === 'ws') {
      if (exchange.status === 101) sessionIds.push(exchange.id);
      else skipped++;
      continue;
    }
    if (response === null || exchange.status === null || response.truncated || exchange.request.truncated || exchange.state !== 'complete') {
      skipped++;
      continue;
    }
    const valid = mendAnswer(exchange.status, response.headers);
    if (valid.changes.length > 0) mended.push({ id: exchange.id, changes: valid.changes });
    const answer: RecordedAnswer = { id: exchange.id, ...valid.value, body: response.body };
    if (exchange.kind === 'http') {
      push(httpAnswers, `${exchange.method} ${exchange.path}`, answer);
      continue;
    }
    execExchanges++;
    const decoded = codec.decode('ClientRequest', exchange.request.body);
    const content = normalizeRequest(decoded.json, options.ignore);
    const operation = decoded.summary.service ? `${decoded.summary.service}.${decoded.summary.operation ?? ''}` : '';
    const recorded: RecordedExec = { id: exchange.id, operation, content, answer };
    push(execAnswers, canonicalKey(content), recorded);
    push(byOperation, operation, recorded);
    if (exchange.tokenSub !== null && exchange.endedAt !== null) push(execEnds, exchange.tokenSub, { execId: exchange.id, endedAt: exchange.endedAt });
  }
  for (const ends of execEnds.values()) ends.sort((a, b) => a.endedAt - b.endedAt);

  const sessions: RecordedSession[] = [];
  for (const id of sessionIds) {
    const session = loadSession(store, codec, id, execEnds, mended);
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

function loadSession(
  store: Store,
  codec: Codec,
  id: number,
  execEnds: Map<string, { execId: number; endedAt: number }[]>,
  mended: Recording['mended'],
): RecordedSession | null {
  const detail = store.getExchange(id);
  const auth = detail?.frames.find((f) => f.direction === 'client' && f.opcode === 2);
  if (!detail || !auth) return null;
  const decodedAuth = codec.decode('WsAuth', Buffer.from(auth.body, 'base64'));
  const token = typeof decodedAuth.json.token === 'string' ? decodedAuth.json.token : null;
  const sub = decodedAuth.summary.token?.jwt?.sub ?? detail.token?.sub ?? null;
  const authAt = Date.parse(auth.at);
  const ends = sub === null ? [] : (execEnds.get(sub) ?? []);
  const frames: RecordedFrame[] = [];
  for (const frame of detail.frames) {
    if (frame.direction !== 'server' || (frame.opcode !== 1 && frame.opcode !== 2) || frame.truncated) continue;
    const at = Date.parse(frame.at);
    frames.push({ opcode: frame.opcode, body: Buffer.from(frame.body, 'base64'), at, after: latestEndBefore(ends, authAt, at) });
  }
  let close: RecordedSession['close'] = null;
  if (detail.close?.by === 'server') {
    const valid = mendClose(detail.close.code, detail.close.reason);
    if (valid.changes.length > 0) mended.push({ id, changes: valid.changes });
    close = { ...valid.value, at: Date.parse(detail.close.at) };
  }
  return { id, token, sub, authAt, frames, close };
}

/** The last of `ends` (sorted by endedAt) inside [from, before), or null. */
function latestEndBefore(ends: { execId: number; endedAt: number }[], from: number, before: number): { execId: number; endedAt: number } | null {
  let low = 0;
  let high = ends.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ends[mid].endedAt < before) low = mid + 1;
    else high = mid;
  }
  const found = ends[low - 1];
  return found !== undefined && found.endedAt >= from ? found : null;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
