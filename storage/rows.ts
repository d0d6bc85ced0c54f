// Between database rows and flows (model/flow.ts), one mapper each way: a flow's head is
// written with exchangeParams and its frames with frameParams, and read back whole with
// flowFromRows. The list reads only the summary columns (SummaryRow; its view is built in
// storage/views.ts). Bodies and frames over what a read can hold are read cut short.

import type { Flow, FlowFrame, FlowHead, FlowOriginal, FlowRequest, FlowResponse, FrameMark, StoredFrame } from '../model/flow.ts';
import { breakpointBits, breakpointEditsOf, storedError } from '../model/flow.ts';
import type { ExchangeSummary, HeaderList, TokenRef, WsFrame } from '../model/types.ts';
import type { BodyReader, packedColumns } from './body-packing.ts';
import type { headerPairsOf } from './header-pairs.ts';

/** Per-direction frame counts and bytes of a WebSocket exchange. */
export interface FrameTotals {
  clientFrames: number;
  serverFrames: number;
  clientBytes: number;
  serverBytes: number;
}

export const noFrames: FrameTotals = { clientFrames: 0, serverFrames: 0, clientBytes: 0, serverBytes: 0 };

/** To the microsecond: the clock's sub-millisecond digits past that are noise, not data. */
export function durationMs(head: Pick<FlowHead, 'startedAt' | 'endedAt'>): number | null {
  return head.endedAt === null ? null : Math.round((head.endedAt - head.startedAt) * 1000) / 1000;
}

/** Columns of `exchanges` that a list page reads. */
export const summaryColumns = `e.id, e.kind, e.started_at, e.duration_ms, e.method, e.path, e.status, e.service,
  e.operation, e.trx, e.errors, e.request_size, e.response_size, e.client_frames, e.server_frames,
  e.client_frame_bytes, e.server_frame_bytes, e.problems, e.state, e.token_sub, e.token_prefix,
  e.token_exp, e.token_expired, e.replay_of, e.rules`;

export interface SummaryRow {
  id: number;
  kind: ExchangeSummary['kind'];
  started_at: number;
  duration_ms: number | null;
  method: string;
  path: string;
  status: number | null;
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string;
  request_size: number;
  response_size: number | null;
  client_frames: number;
  server_frames: number;
  client_frame_bytes: number;
  server_frame_bytes: number;
  problems: string;
  state: ExchangeSummary['state'];
  token_sub: string | null;
  token_prefix: string | null;
  token_exp: number | null;
  token_expired: number | null;
  replay_of: number | null;
  /** JSON array of rule names. */
  rules: string;
}

export function tokenFromRow(row: Pick<SummaryRow, 'token_sub' | 'token_prefix' | 'token_exp' | 'token_expired'>): TokenRef | null {
  if (row.token_prefix === null) return null;
  const token: TokenRef = { prefix: row.token_prefix };
  if (row.token_sub !== null) token.sub = row.token_sub;
  if (row.token_exp !== null) token.exp = row.token_exp;
  if (row.token_expired !== null) token.expired = row.token_expired === 1;
  return token;
}

export function totalsFromRow(row: Pick<SummaryRow, 'client_frames' | 'server_frames' | 'client_frame_bytes' | 'server_frame_bytes'>): FrameTotals {
  return { clientFrames: row.client_frames, serverFrames: row.server_frames, clientBytes: row.client_frame_bytes, serverBytes: row.server_frame_bytes };
}

/** The columns of `exchanges` a flow's head is written to (besides id), as exchangeParams names them. */
export const exchangeColumns = [
  'kind', 'started_at', 'ended_at', 'duration_ms', 'method', 'path', 'status', 'service', 'operation', 'trx',
  'errors', 'error_count', 'token_sub', 'token_prefix', 'token_exp', 'token_expired', 'client_address', 'state',
  'problems', 'problem_count', 'error', 'request_size', 'response_size', 'close_code', 'close_reason', 'close_by', 'close_at',
  'replay_of', 'rules',
] as const;
/** The columns of `exchange_bodies` it is written to (besides id). */
export const bodyColumns = [
  'request_headers', 'request_body', 'request_truncated', 'response_headers', 'response_body', 'response_truncated',
  'original_request_headers', 'original_request_body', 'original_response_status', 'original_response_headers', 'original_response_body',
  'breakpoint_edits', 'packed',
] as const;

type RowColumn = 'id' | (typeof exchangeColumns)[number] | (typeof bodyColumns)[number];

type PackedColumn = (typeof packedColumns)[number]['column'];

/** A header list as its column stores it (storage/header-pairs.ts). */
export type StoreHeaders = (headers: HeaderList) => string;
/** The connection's header pairs, which read a stored list back. */
export type HeaderReader = Pick<ReturnType<typeof headerPairsOf>, 'list'>;

/**
 * Named parameters for writing a flow's exchange row and its bodies: the one place a
 * field of the flow becomes a column (flowFromRows reads it back), so a new field is
 * written here and in the column lists above, which the type holds to these keys.
 */
export type ExchangeParams = Record<RowColumn, unknown>;

export function exchangeParams(head: FlowHead, storeHeaders: StoreHeaders): ExchangeParams {
  const { request, response } = head;
  // Written out, not spread from a helper's object: the spread was a fifth of this function, 0.12 µs a row.
  const originalRequest = head.original?.request ?? null;
  const originalResponse = head.original?.response ?? null;
  return {
    id: head.id,
    kind: head.kind,
    started_at: head.startedAt,
    ended_at: head.endedAt,
    duration_ms: durationMs(head),
    method: request.method,
    path: request.path,
    status: response?.status ?? null,
    service: head.service,
    operation: head.operation,
    trx: head.trx,
    errors: JSON.stringify(head.errors),
    error_count: head.errors.length,
    token_sub: head.token?.sub ?? null,
    token_prefix: head.token?.prefix ?? null,
    token_exp: head.token?.exp ?? null,
    token_expired: head.token?.expired === undefined ? null : head.token.expired ? 1 : 0,
    client_address: head.clientAddress,
    state: head.state,
    problems: JSON.stringify(head.problems),
    problem_count: head.problems.length,
    error: head.error?.message ?? null,
    request_size: request.size,
    response_size: response?.size ?? null,
    close_code: head.close?.code ?? null,
    close_reason: head.close?.reason ?? null,
    close_by: head.close?.by ?? null,
    close_at: head.close?.at ?? null,
    replay_of: head.replayOf,
    rules: JSON.stringify(head.rules ?? []),
    request_headers: storeHeaders(request.headers),
    request_body: bytes(request.body),
    request_truncated: request.truncated ? 1 : 0,
    response_headers: response === null ? null : storeHeaders(response.headers),
    response_body: response === null ? null : bytes(response.body),
    response_truncated: response === null ? null : response.truncated ? 1 : 0,
    original_request_headers: originalRequest === null ? null : storeHeaders(originalRequest.headers),
    original_request_body: originalRequest === null ? null : bytes(originalRequest.body),
    original_response_status: originalResponse?.status ?? null,
    original_response_headers: originalResponse === null ? null : storeHeaders(originalResponse.headers),
    original_response_body: originalResponse === null ? null : bytes(originalResponse.body),
    breakpoint_edits: breakpointBits(head.editedAtBreakpoint),
    // Bodies as they are; a recording's writes pack them (storage/body-packing.ts).
    packed: 0,
  } satisfies Record<RowColumn, unknown>;
}

export function frameParams(frame: StoredFrame) {
  return {
    exchange_id: frame.exchangeId,
    seq: frame.seq,
    direction: frame.direction,
    at: frame.at,
    opcode: frame.opcode,
    size: frame.size,
    body: bytes(frame.body),
    truncated: frame.truncated ? 1 : 0,
    rule: frame.rule ?? null,
    mark: frame.mark ?? null,
    original: frame.original === undefined ? null : bytes(frame.original),
  };
}

/** better-sqlite3 stores a Buffer as a blob; a plain Uint8Array view is wrapped without copying. */
function bytes(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * better-sqlite3 limits every value a statement reads to v8's longest string, 536,870,888
 * bytes on 64-bit: SQLite then answers "string or blob too big" for the value, and for any
 * substr() of it too. A body or frame over this is read empty.
 */
export const sqliteReadLimit = 536_870_888;

/**
 * Bodies and frames are read at most this long, marked truncated past it; the summary
 * keeps their full size. Base64 in the REST API makes a body a third longer, so this
 * stays well under sqliteReadLimit. CA2_INSPECTOR_MAX_READ_BODY (bytes) lowers it.
 */
export const maxReadBody = Math.min(Number(process.env.CA2_INSPECTOR_MAX_READ_BODY) || 256 * 1024 * 1024, 256 * 1024 * 1024);

/** A blob read at most maxReadBody long. */
export function cutBody(body: string): string {
  return `CASE WHEN length(${body}) > ${sqliteReadLimit} THEN x'' WHEN length(${body}) > ${maxReadBody} THEN substr(${body}, 1, ${maxReadBody}) ELSE ${body} END`;
}

/** A truncated flag, set too when cutBody() cuts its body. */
function cutFlag(flag: string, body: string): string {
  return `CASE WHEN length(${body}) > ${maxReadBody} THEN 1 ELSE ${flag} END`;
}

/** The body columns of exchange_bodies `b`, the request and response bodies as given. */
export function bodyColumnsWith(requestBody: string, responseBody: string): string {
  return `b.request_headers, ${requestBody} AS request_body, ${cutFlag('b.request_truncated', 'b.request_body')} AS request_truncated,
    b.response_headers, ${responseBody} AS response_body, ${cutFlag('b.response_truncated', 'b.response_body')} AS response_truncated,
    b.original_request_headers, ${cutBody('b.original_request_body')} AS original_request_body,
    b.original_response_status, b.original_response_headers, ${cutBody('b.original_response_body')} AS original_response_body,
    b.breakpoint_edits, b.packed`;
}

/** The body columns of exchange_bodies `b`, as reads give them. */
export const bodyColumnsSql = bodyColumnsWith(cutBody('b.request_body'), cutBody('b.response_body'));

/** The columns of frames as reads give them. */
export const frameColumnsSql = `seq, direction, at, opcode, size, ${cutBody('body')} AS body, ${cutFlag('truncated', 'body')} AS truncated, rule, mark, ${cutBody('original')} AS original`;

const bodiesOf: Record<string, [body: string, flag: string][]> = {
  exchange_bodies: [
    ['request_body', 'request_truncated'],
    ['response_body', 'response_truncated'],
    ['original_request_body', ''],
    ['original_response_body', ''],
  ],
  frames: [['body', 'truncated'], ['original', '']],
};

/** A column of `table` as copying a recording reads it (storage/row-copy.ts): bodies and frames cut as any read cuts them. */
export function readableColumn(table: string, column: string): string {
  for (const [body, flag] of bodiesOf[table] ?? []) {
    if (column === body) return cutBody(`"${body}"`);
    if (column === flag) return cutFlag(`"${flag}"`, `"${body}"`);
  }
  return `"${column}"`;
}

/** A flow's row (FlowRow) with these body columns, for the rows `where` selects: by default the one of an exchange id. */
export const flowSelect = (bodyColumns: string, more = '', where = 'e.id = ?') => `SELECT ${summaryColumns}, e.ended_at, e.client_address, e.error, e.close_code, e.close_reason, e.close_by, e.close_at, e.content_key,
    ${bodyColumns}${more}
  FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE ${where}`;

/** Every column of a flow's row, by exchange id: a FlowRow. */
export const flowSql = flowSelect(bodyColumnsSql);

/** An exchange's FrameRows in seq order. */
export const framesSql = `SELECT ${frameColumnsSql} FROM frames WHERE exchange_id = ? ORDER BY seq`;

export interface FlowRow extends SummaryRow {
  ended_at: number | null;
  client_address: string;
  error: string | null;
  close_code: number | null;
  close_reason: string | null;
  close_by: 'client' | 'server' | 'proxy' | null;
  close_at: number | null;
  /** The key an imported exchange keeps (storage/content-keys.ts). */
  content_key: string | null;
  request_headers: string;
  request_body: Buffer;
  request_truncated: number;
  response_headers: string | null;
  response_body: Buffer | null;
  response_truncated: number | null;
  original_request_headers: string | null;
  original_request_body: Buffer | null;
  original_response_status: number | null;
  original_response_headers: string | null;
  original_response_body: Buffer | null;
  /** breakpointBits of the messages edited at a breakpoint. */
  breakpoint_edits: number;
  /** Which bodies are packed, and with what (storage/body-packing.ts). */
  packed: number;
}

export interface FrameRow {
  seq: number;
  direction: WsFrame['direction'];
  at: number;
  opcode: number;
  size: number;
  body: Buffer;
  truncated: number;
  rule: string | null;
  mark: FrameMark | null;
  original: Buffer | null;
}

/** A stored exchange as the flow that wrote it: the inverse of exchangeParams and frameParams. */
export function flowFromRows(row: FlowRow, frames: readonly FrameRow[], headers: HeaderReader, bodies: BodyReader): Flow {
  const problems = JSON.parse(row.problems) as string[];
  const requestBody = readBody(bodies, row, 'request_body', problems)!;
  const responseBody = readBody(bodies, row, 'response_body', problems);
  const flow: Flow = {
    id: row.id,
    kind: row.kind,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    clientAddress: row.client_address,
    request: {
      method: row.method,
      path: row.path,
      httpVersion: '1.1',
      headers: headers.list(row.request_headers),
      body: requestBody.body,
      size: row.request_size,
      truncated: row.request_truncated === 1 || requestBody.cut,
    },
    response:
      row.response_headers === null || responseBody === null
        ? null
        : {
            status: row.status ?? 0,
            statusMessage: '',
            headers: headers.list(row.response_headers),
            body: responseBody.body,
            size: row.response_size ?? 0,
            truncated: row.response_truncated === 1 || responseBody.cut,
          },
    error: storedError(row.error, row.state),
    state: row.state,
    service: row.service,
    operation: row.operation,
    trx: row.trx,
    errors: JSON.parse(row.errors) as string[],
    token: tokenFromRow(row),
    problems,
    close: row.close_by === null || row.close_at === null ? null : { code: row.close_code, reason: row.close_reason ?? '', by: row.close_by, at: row.close_at },
    replayOf: row.replay_of,
    frames: frames.map(frameFromRow),
  };
  const rules = JSON.parse(row.rules) as string[];
  if (rules.length > 0) flow.rules = rules;
  const original = originalFromRow(row, headers, bodies, problems);
  if (original) flow.original = original;
  if (row.breakpoint_edits !== 0) flow.editedAtBreakpoint = breakpointEditsOf(row.breakpoint_edits);
  return flow;
}

/**
 * A stored body unpacked, and cut as cutBody() cuts a raw one: a packed body is short in
 * the file but may be longer than maxReadBody once unpacked.
 */
function readBody(bodies: BodyReader, row: FlowRow, column: PackedColumn, problems: string[]): { body: Buffer; cut: boolean } | null {
  const stored = row[column];
  if (stored === null) return null;
  let body: Buffer;
  try {
    body = bodies.unpack(stored, row.packed, column);
  } catch (err) {
    // A damaged file: the exchange still reads, and says what it lacks, so that a page, an export or the background work that reads it goes on.
    problems.push(`the stored ${column.replaceAll('_', ' ')} cannot be unpacked (${(err as Error).message}), so it reads as empty`);
    return { body: Buffer.alloc(0), cut: true };
  }
  return body.length > maxReadBody ? { body: body.subarray(0, maxReadBody), cut: true } : { body, cut: false };
}

/** A header list in the form rows before version 11 hold it, the pairs themselves: for a flow that never meets the database. */
const headersAsPairs = { store: (headers: HeaderList) => JSON.stringify(headers), list: (stored: string) => JSON.parse(stored) as HeaderList };
/** Bodies as they are: for a flow that never meets the database. */
const unpackedBodies: BodyReader = { unpack: (stored) => stored };

/**
 * What a read gives back of a flow written with exchangeParams and frameParams (frames in
 * seq order), without the database: an export builds its entries from what it records.
 */
export function flowAsStored(head: FlowHead, frames: readonly StoredFrame[]): Flow {
  return flowFromRows(exchangeParams(head, headersAsPairs.store) as unknown as FlowRow, frames.map(frameParams) as FrameRow[], headersAsPairs, unpackedBodies);
}

function originalFromRow(row: FlowRow, headers: HeaderReader, bodies: BodyReader, problems: string[]): FlowOriginal | undefined {
  let request: FlowRequest | null = null;
  let response: FlowResponse | null = null;
  if (row.original_request_headers !== null && row.original_request_body !== null) {
    const { body, cut } = readBody(bodies, row, 'original_request_body', problems)!;
    request = { method: row.method, path: row.path, httpVersion: '1.1', headers: headers.list(row.original_request_headers), body, size: body.byteLength, truncated: cut };
  }
  if (row.original_response_headers !== null && row.original_response_body !== null) {
    const { body, cut } = readBody(bodies, row, 'original_response_body', problems)!;
    response = { status: row.original_response_status ?? 0, statusMessage: '', headers: headers.list(row.original_response_headers), body, size: body.byteLength, truncated: cut };
  }
  return request === null && response === null ? undefined : { request, response };
}

export function frameFromRow(row: FrameRow): FlowFrame {
  const frame: FlowFrame = { seq: row.seq, direction: row.direction, at: row.at, opcode: row.opcode, body: row.body, size: row.size, truncated: row.truncated === 1 };
  if (row.rule !== null) frame.rule = row.rule;
  if (row.mark !== null) frame.mark = row.mark;
  if (row.original !== null) frame.original = row.original;
  return frame;
}
