// Types shared by the Node side (codec, recorder, storage, REST) and the browser app.
// Nothing here may import a Node module: esbuild bundles this file for the browser.

import type { RuleView } from './rules.ts';
import type { PausedView, ResumedView, WaitingView } from './pauses.ts';
import type { BreakpointEdit, FrameMark } from './flow.ts';

/** The four top-level ca2 messages the codec decodes. */
export type MessageType = 'ClientRequest' | 'ServerResponse' | 'WsAuth' | 'WsEvent';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Something the codec could not read, with where it happened. */
export interface DecodeProblem {
  /** Byte offset into the decoded buffer where the problem starts. */
  offset: number;
  /** A sentence a user can act on: "truncated varint", "length 2147483648 runs past the end (12 bytes left)". */
  reason: string;
  /** JSON path of the field being read when it happened, e.g. "auth" or "instances.1". */
  path?: string;
}

/**
 * Where each decoded JSON value came from in the wire bytes, for the hex view: one
 * entry per field read, in the order the decoder read them. Kept as two flat lists,
 * not an object per field: a 50 KB message has some 7,000 fields, and an object each
 * was most of what decoding with spans cost (and three keys each in the detail JSON).
 */
export interface FieldSpans {
  /** JSON path of each field in dotted form with [i] for repeated entries: "auth.login.email", "errors[1]". */
  paths: string[];
  /** Byte range of each field (tag included), [start, end) of paths[i] at ranges[2i] and ranges[2i + 1]. */
  ranges: number[];
}

/** One field's span, as model/json-path.ts's SpanIndex answers a lookup. */
export interface FieldSpan {
  path: string;
  start: number;
  end: number;
}

export interface JwtFacts {
  sub?: string;
  /** Seconds since the epoch, as in the token. */
  iat?: number;
  exp?: number;
  /** Whether exp was already in the past when the message was seen. */
  expired?: boolean;
}

export interface TokenFacts {
  present: boolean;
  length: number;
  /** Present when the token parses as a JWT (claims decoded, signature not verified). */
  jwt?: JwtFacts;
}

export interface MessageSummary {
  /** Which service field is set: auth, billing, … (WsEvent: billing, instances, domain_check, domains). */
  service?: string;
  /** First field set inside the service message: its name where the schema knows it, its number otherwise. */
  operation?: string;
  /** trx for humans: UUID form for 16 bytes, the text when printable, hex otherwise. */
  trx?: string;
  /** ServerError names (a number the enum does not list stays as its decimal text). */
  errors: string[];
  token?: TokenFacts;
}

export interface DecodeResult {
  json: JsonObject;
  summary: MessageSummary;
  problems: DecodeProblem[];
  /** Present when decode was asked for spans. */
  spans?: FieldSpans;
}

export type ExchangeKind = 'exec' | 'ws' | 'http';
/** interrupted: still pending when the proxy that recorded it stopped without ending it (a crash or kill -9). */
export type ExchangeState = 'complete' | 'pending' | 'error' | 'aborted' | 'interrupted';

/** Headers in wire order, names as sent, duplicates kept. */
export type HeaderList = [name: string, value: string][];

/** How much of a token is kept in TokenRef.prefix: token: filters rely on no prefix being longer. */
export const tokenPrefixLength = 12;

/** What identifies the caller of an exchange, for grouping per token. */
export interface TokenRef {
  /** JWT subject, when the token is a JWT with a sub claim. */
  sub?: string;
  /** The first tokenPrefixLength characters of the token, enough to tell tokens apart in a list. */
  prefix: string;
  /** JWT exp in seconds since the epoch. */
  exp?: number;
  /** Whether the token had already expired when the exchange was seen. */
  expired?: boolean;
}

/** One row of the traffic list, as REST and the live stream send it. */
export interface ExchangeSummary {
  id: number;
  kind: ExchangeKind;
  /** ISO 8601 with milliseconds. */
  startedAt: string;
  durationMs: number | null;
  method: string;
  path: string;
  status: number | null;
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string[];
  requestSize: number;
  responseSize: number;
  /** WebSocket frames recorded so far (0 for exec and http). */
  frames: number;
  problems: string[];
  state: ExchangeState;
  token: TokenRef | null;
  /** The id of the recorded exchange this one replays (ca2-inspector replay, or Resend); null for live traffic. */
  replayOf: number | null;
  /** The rules that changed it in flight (ca2-inspector proxy --rules); empty when none did. */
  rules: string[];
}

export interface HttpMessage {
  headers: HeaderList;
  /** base64 of the bytes recorded (all of them unless truncated). */
  body: string;
  decoded: DecodeResult | null;
  truncated: boolean;
}

/** A response as its detail sends it, with the status that came with it. */
export interface HttpResponseMessage extends HttpMessage {
  status: number;
}

export type FrameDirection = 'client' | 'server';

export interface WsFrame {
  seq: number;
  direction: FrameDirection;
  /** ISO 8601 with milliseconds. */
  at: string;
  /** 1 text, 2 binary, 9 ping, 10 pong. */
  opcode: number;
  size: number;
  body: string;
  decoded: DecodeResult | null;
  truncated: boolean;
  /** The rule that changed, dropped or injected it. */
  rule?: string;
  /** dropped: not relayed; injected: sent by the rule; breakpoint: edited at a breakpoint. */
  mark?: FrameMark;
  /** What the side sent, when a rule relayed other bytes. */
  original?: { body: string; decoded: DecodeResult | null };
}

export interface WsClose {
  code: number | null;
  reason: string;
  /** Who closed first: a side, or the proxy when it ended the connection itself. */
  by: 'client' | 'server' | 'proxy';
  at: string;
}

/** The summary plus everything recorded; `frames` is the list itself here, not a count. */
export interface ExchangeDetail extends Omit<ExchangeSummary, 'frames'> {
  /** For ws, the upgrade request and the upstream's answer to it. */
  request: HttpMessage;
  response: HttpMessage | null;
  /** A plain sentence when the exchange failed: "upstream refused the connection (ECONNREFUSED)". */
  error: string | null;
  /** ws only; empty for exec and http. */
  frames: WsFrame[];
  /** ws only; null while open or for exec and http. */
  close: WsClose | null;
  /**
   * The versions a rule replaced: the request as the client sent it and the response as
   * the upstream answered it (request and response above are what went on). Null when no
   * rule changed the exchange's request or response.
   */
  original: { request: HttpMessage | null; response: HttpResponseMessage | null } | null;
  /** Which of request and response a user edited at a breakpoint (for a request answered there, the response); empty when none. */
  editedAtBreakpoint: BreakpointEdit[];
}

/** GET /api/export/preview: what an export would hold and redact. */
export interface ExportPreview {
  exchanges: number;
  /** Distinct tokens that would be replaced. */
  tokens: number;
  /** Where, and how often: "ClientRequest.token": 12, "Authorization header": 3, … */
  fields: Record<string, number>;
}

/** What an export covers: the current filter, or chosen exchanges. */
export type ExportSelection = { filter: string } | { ids: number[] };

export interface ExchangePage {
  items: ExchangeSummary[];
  /** Pass as `before` to get the next (older) page; null at the end. */
  next: number | null;
  /**
   * Present while tap calls journaled under load are being stored as rows in the
   * background: how many are left. Their exchanges are not on any page yet; they come
   * on the live stream as they are stored.
   */
  journaled?: number;
}

/** One field that answered differently in a replay; `path` in the JSON tree's notation ("billing.balances[1].amount_minor"). */
export interface Difference {
  path: string;
  change: 'changed' | 'added' | 'removed';
  /** null when added */
  before: JsonValue;
  /** null when removed */
  after: JsonValue;
}

/** The body of POST /api/exchanges/:id/replay. */
export interface ReplayRequest {
  trx?: 'new' | 'keep';
  token?: string;
  body?: { json: JsonValue } | { base64: string };
  upstream?: string;
  timing?: 'recorded' | 'none';
}

/** Its answer: the new exchange, the one it replays, and how the answers differ. */
export interface ReplayAnswer {
  id: number;
  replayOf: number;
  diff: Difference[];
  /** Present when the replay got no answer (the upstream refused, timed out, …). */
  error?: string;
}

/**
 * The body of POST /api/messages/check: decoded JSON to encode with the loaded schema, as
 * the proxy encodes an edit at a breakpoint and a resend encodes an edited request; with
 * `base64`, over those original bytes, so unchanged fields and fields known only by
 * number keep their bytes.
 */
export interface MessageCheckRequest {
  type: MessageType;
  json: JsonValue;
  base64?: string;
}

/** Its answer: the size of the bytes the JSON encodes to, or the codec's sentence naming each field that does not fit. */
export type MessageCheckAnswer = { ok: true; bytes: number } | { ok: false; error: string };

/** A WebSocket frame recorded on an exchange, as the live stream sends it. */
export interface LiveFrame {
  exchangeId: number;
  frame: WsFrame;
}

/**
 * What the live stream sends, one message per short interval however much happened in it.
 * A summary here counts every frame of the batch, so only the frames of exchanges without
 * a summary in the batch still have to be counted into the row the receiver holds.
 */
export interface LiveBatch {
  /** The latest summary of each exchange that is new or changed (one per id). */
  exchanges: ExchangeSummary[];
  /** Frames in the order they were recorded. */
  frames: LiveFrame[];
}

/** Live events sent over socket.io from the inspector server. */
export interface LiveEvents {
  /** What was recorded in the last interval, to a client that did not ask for it packed. */
  batch: (batch: LiveBatch) => void;
  /**
   * The same LiveBatch packed as model/live-wire.ts says, instead of `batch`, to a client whose
   * handshake asked with `auth: { packed: true }`: an ArrayBuffer in a browser, a Buffer in Node.
   */
  packedBatch: (packed: ArrayBuffer | Uint8Array) => void;
  /** The loaded rules (GET /api/rules), sent again whenever one is switched, hit or reloaded. */
  rules: (rules: RuleView[]) => void;
  /** A message paused at a breakpoint (GET /api/paused lists those paused when a browser connects). */
  paused: (pause: PausedView) => void;
  /** Frames from the same side are now held behind paused frame `id` (at most once per paused frame per turn). */
  waiting: (waiting: WaitingView) => void;
  /** A paused message went on, was answered or aborted, or its client went away. */
  resumed: (resumed: ResumedView) => void;
  /** How far an export asked for with a progress key has got (GET /api/export?progress=KEY). */
  exportProgress: (progress: ExportProgressView) => void;
}

/**
 * An export under way: reading the selection for its tokens, then writing; done once the
 * file is checked and its download begins, failed with the sentence the download answers.
 */
export interface ExportProgressView {
  key: string;
  phase: 'reading' | 'writing' | 'done' | 'failed';
  done: number;
  total: number;
  error?: string;
}

/** `GET /api/stats`: what the store holds and what waits. */
export interface StoreStats {
  exchanges: number;
  frames: number;
  queued: number;
  /** Commits that failed (each is retried). */
  writeFailures: number;
  /** Records given up on, by kind: queue overflow while failing, a record SQLite refused, or too far behind (noteDropped). */
  dropped: Dropped;
  /** Exchanges and frames written but not yet in the search index (bare words still find them, by decoding). */
  unindexed: number;
  /**
   * Tap calls recorded as raw bytes and not yet made into rows: made when the tap is
   * quiet, or when a reader asks (recorder/tap-journal.ts); while a large journal is
   * being made, list pages show the rows stored so far.
   */
  journaled: number;
  /** Rows an older schema summarised, redone in the background; null when all are current. */
  reindexing: { done: number; total: number } | null;
}

export interface Dropped {
  exchanges: number;
  frames: number;
}

/**
 * `GET /api/about`: what the inspector serves, so the browser offers only what works
 * there. live: a proxy records and can resend; read-only: `open` serves `file` (as it
 * was named to it) with no proxy.
 */
export type InspectorAbout = { mode: 'live'; version: string } | { mode: 'read-only'; file: string; version: string };
