// Conversions between records, database rows and the summaries and details the API
// sends. Summaries are built here only, for stored rows and live ones alike, so the
// list shows the same numbers before and after a reload.

import type { DecodeResult, ExchangeDetail, ExchangeSummary, HeaderList, HttpMessage, TokenRef, WsFrame } from '../model/types.ts';
import type { ExchangeRecord, FrameRecord } from './records.ts';

/** Per-direction frame counts and bytes of a WebSocket exchange. */
export interface FrameTotals {
  clientFrames: number;
  serverFrames: number;
  clientBytes: number;
  serverBytes: number;
}

export const noFrames: FrameTotals = { clientFrames: 0, serverFrames: 0, clientBytes: 0, serverBytes: 0 };

/** To the microsecond: the clock's sub-millisecond digits past that are noise, not data. */
export function durationMs(record: Pick<ExchangeRecord, 'startedAt' | 'endedAt'>): number | null {
  return record.endedAt === null ? null : Math.round((record.endedAt - record.startedAt) * 1000) / 1000;
}

/**
 * A time as the API writes it. A file from elsewhere may hold one no date can (1e300): it
 * reads as the nearest one that can, so its exchange still lists and opens.
 */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  if (!Number.isNaN(date.getTime())) return date.toISOString();
  return new Date(ms > 0 ? MAX_DATE_MS : ms < 0 ? -MAX_DATE_MS : 0).toISOString();
}

/** The furthest a JavaScript date reaches either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * The list row for a record. For a WebSocket the sizes include the frames relayed so
 * far: client frames count toward the request, server frames toward the response.
 */
export function summarize(record: ExchangeRecord, frames: FrameTotals = noFrames): ExchangeSummary {
  return {
    id: record.id,
    kind: record.kind,
    startedAt: isoTime(record.startedAt),
    durationMs: durationMs(record),
    method: record.method,
    path: record.path,
    status: record.status,
    service: record.service,
    operation: record.operation,
    trx: record.trx,
    errors: record.errors,
    requestSize: record.request.size + frames.clientBytes,
    responseSize: (record.response?.size ?? 0) + frames.serverBytes,
    frames: frames.clientFrames + frames.serverFrames,
    problems: record.problems,
    state: record.state,
    token: record.token,
    replayOf: record.replayOf ?? null,
  };
}

/** Columns of `exchanges` that summaryFromRow reads. */
export const summaryColumns = `e.id, e.kind, e.started_at, e.duration_ms, e.method, e.path, e.status, e.service,
  e.operation, e.trx, e.errors, e.request_size, e.response_size, e.client_frames, e.server_frames,
  e.client_frame_bytes, e.server_frame_bytes, e.problems, e.state, e.token_sub, e.token_prefix,
  e.token_exp, e.token_expired, e.replay_of`;

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
}

function tokenFromRow(row: Pick<SummaryRow, 'token_sub' | 'token_prefix' | 'token_exp' | 'token_expired'>): TokenRef | null {
  if (row.token_prefix === null) return null;
  const token: TokenRef = { prefix: row.token_prefix };
  if (row.token_sub !== null) token.sub = row.token_sub;
  if (row.token_exp !== null) token.exp = row.token_exp;
  if (row.token_expired !== null) token.expired = row.token_expired === 1;
  return token;
}

export function summaryFromRow(row: SummaryRow): ExchangeSummary {
  return {
    id: row.id,
    kind: row.kind,
    startedAt: isoTime(row.started_at),
    durationMs: row.duration_ms,
    method: row.method,
    path: row.path,
    status: row.status,
    service: row.service,
    operation: row.operation,
    trx: row.trx,
    errors: JSON.parse(row.errors) as string[],
    requestSize: row.request_size + row.client_frame_bytes,
    responseSize: (row.response_size ?? 0) + row.server_frame_bytes,
    frames: row.client_frames + row.server_frames,
    problems: JSON.parse(row.problems) as string[],
    state: row.state,
    token: tokenFromRow(row),
    replayOf: row.replay_of,
  };
}

/** Named parameters for writing an exchange row and its bodies. */
export function exchangeParams(record: ExchangeRecord) {
  const response = record.response;
  return {
    id: record.id,
    kind: record.kind,
    started_at: record.startedAt,
    ended_at: record.endedAt,
    duration_ms: durationMs(record),
    method: record.method,
    path: record.path,
    status: record.status,
    service: record.service,
    operation: record.operation,
    trx: record.trx,
    errors: JSON.stringify(record.errors),
    error_count: record.errors.length,
    token_sub: record.token?.sub ?? null,
    token_prefix: record.token?.prefix ?? null,
    token_exp: record.token?.exp ?? null,
    token_expired: record.token?.expired === undefined ? null : record.token.expired ? 1 : 0,
    client_address: record.clientAddress,
    state: record.state,
    problems: JSON.stringify(record.problems),
    problem_count: record.problems.length,
    error: record.error,
    request_size: record.request.size,
    response_size: response?.size ?? null,
    close_code: record.close?.code ?? null,
    close_reason: record.close?.reason ?? null,
    close_by: record.close?.by ?? null,
    close_at: record.close?.at ?? null,
    replay_of: record.replayOf ?? null,
    request_headers: JSON.stringify(record.request.headers),
    request_body: bytes(record.request.body),
    request_truncated: record.request.truncated ? 1 : 0,
    response_headers: response === null ? null : JSON.stringify(response.headers),
    response_body: response === null ? null : bytes(response.body),
    response_truncated: response === null ? null : response.truncated ? 1 : 0,
  };
}

/** A frame as the live stream sends it: the shape of a stored frame in a detail, decoded without spans. */
export function liveFrame(frame: FrameRecord, decoded: DecodeResult | null): WsFrame {
  return {
    seq: frame.seq,
    direction: frame.direction,
    at: isoTime(frame.at),
    opcode: frame.opcode,
    size: frame.size,
    body: bytes(frame.body).toString('base64'),
    decoded,
    truncated: frame.truncated,
  };
}

export function frameParams(frame: FrameRecord) {
  return {
    exchange_id: frame.exchangeId,
    seq: frame.seq,
    direction: frame.direction,
    at: frame.at,
    opcode: frame.opcode,
    size: frame.size,
    body: bytes(frame.body),
    truncated: frame.truncated ? 1 : 0,
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
function cutBody(body: string): string {
  return `CASE WHEN length(${body}) > ${sqliteReadLimit} THEN x'' WHEN length(${body}) > ${maxReadBody} THEN substr(${body}, 1, ${maxReadBody}) ELSE ${body} END`;
}

/** A truncated flag, set too when cutBody() cuts its body. */
function cutFlag(flag: string, body: string): string {
  return `CASE WHEN length(${body}) > ${maxReadBody} THEN 1 ELSE ${flag} END`;
}

/** The body columns of exchange_bodies `b`, as reads give them. */
export const bodyColumnsSql = `b.request_headers, ${cutBody('b.request_body')} AS request_body, ${cutFlag('b.request_truncated', 'b.request_body')} AS request_truncated,
    b.response_headers, ${cutBody('b.response_body')} AS response_body, ${cutFlag('b.response_truncated', 'b.response_body')} AS response_truncated`;

/** The columns of frames as reads give them. */
export const frameColumnsSql = `seq, direction, at, opcode, size, ${cutBody('body')} AS body, ${cutFlag('truncated', 'body')} AS truncated`;

const bodiesOf: Record<string, [body: string, flag: string][]> = {
  exchange_bodies: [['request_body', 'request_truncated'], ['response_body', 'response_truncated']],
  frames: [['body', 'truncated']],
};

/** A column of `table` as copying a recording reads it (storage/row-copy.ts): bodies and frames cut as any read cuts them. */
export function readableColumn(table: string, column: string): string {
  for (const [body, flag] of bodiesOf[table] ?? []) {
    if (column === body) return cutBody(`"${body}"`);
    if (column === flag) return cutFlag(`"${flag}"`, `"${body}"`);
  }
  return `"${column}"`;
}

/** A DetailRow by exchange id. */
export const detailSql = `SELECT ${summaryColumns}, e.error, e.close_code, e.close_reason, e.close_by, e.close_at,
    ${bodyColumnsSql}
  FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE e.id = ?`;

/** An exchange's FrameRows in seq order. */
export const framesSql = `SELECT ${frameColumnsSql} FROM frames WHERE exchange_id = ? ORDER BY seq`;

export interface DetailRow extends SummaryRow {
  error: string | null;
  close_code: number | null;
  close_reason: string | null;
  close_by: 'client' | 'server' | 'proxy' | null;
  close_at: number | null;
  request_headers: string;
  request_body: Buffer;
  request_truncated: number;
  response_headers: string | null;
  response_body: Buffer | null;
  response_truncated: number | null;
}

export interface FrameRow {
  seq: number;
  direction: WsFrame['direction'];
  at: number;
  opcode: number;
  size: number;
  body: Buffer;
  truncated: number;
}

/** What the codec made of a detail's bodies and frames (storage/decode.ts). */
export interface DecodedDetail {
  request: DecodeResult | null;
  response: DecodeResult | null;
  frames: (DecodeResult | null)[];
}

function message(headers: string, body: Buffer, decoded: DecodeResult | null, truncated: number): HttpMessage {
  return {
    headers: JSON.parse(headers) as HttpMessage['headers'],
    body: body.toString('base64'),
    decoded,
    truncated: truncated === 1,
  };
}

export function detailFromRows(row: DetailRow, frames: FrameRow[], decoded: DecodedDetail): ExchangeDetail {
  const { frames: _count, ...summary } = summaryFromRow(row);
  return {
    ...summary,
    request: message(row.request_headers, row.request_body, decoded.request, row.request_truncated),
    response:
      row.response_headers === null || row.response_body === null
        ? null
        : message(row.response_headers, row.response_body, decoded.response, row.response_truncated ?? 0),
    error: row.error,
    frames: frames.map((f, i) => ({
      seq: f.seq,
      direction: f.direction,
      at: isoTime(f.at),
      opcode: f.opcode,
      size: f.size,
      body: f.body.toString('base64'),
      decoded: decoded.frames[i],
      truncated: f.truncated === 1,
    })),
    close:
      row.close_by === null || row.close_at === null
        ? null
        : { code: row.close_code, reason: row.close_reason ?? '', by: row.close_by, at: isoTime(row.close_at) },
  };
}

/** A RecordRow by exchange id: every column the recorder writes. */
export const recordSql = `SELECT e.id, e.kind, e.started_at, e.ended_at, e.method, e.path, e.status, e.service, e.operation, e.trx,
    e.errors, e.token_sub, e.token_prefix, e.token_exp, e.token_expired, e.client_address, e.state, e.problems, e.error,
    e.request_size, e.response_size, e.close_code, e.close_reason, e.close_by, e.close_at, e.replay_of,
    ${bodyColumnsSql}
  FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE e.id = ?`;

export interface RecordRow extends Omit<DetailRow, 'duration_ms' | 'client_frames' | 'server_frames' | 'client_frame_bytes' | 'server_frame_bytes'> {
  ended_at: number | null;
  client_address: string;
}

/** A stored row as the record that wrote it: the inverse of exchangeParams. */
export function recordFromRow(row: RecordRow): ExchangeRecord {
  return {
    id: row.id,
    kind: row.kind,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    method: row.method,
    path: row.path,
    status: row.status,
    service: row.service,
    operation: row.operation,
    trx: row.trx,
    errors: JSON.parse(row.errors) as string[],
    token: tokenFromRow(row),
    clientAddress: row.client_address,
    state: row.state,
    problems: JSON.parse(row.problems) as string[],
    error: row.error,
    request: { headers: JSON.parse(row.request_headers) as HeaderList, body: row.request_body, truncated: row.request_truncated === 1, size: row.request_size },
    response:
      row.response_headers === null || row.response_body === null
        ? null
        : { headers: JSON.parse(row.response_headers) as HeaderList, body: row.response_body, truncated: row.response_truncated === 1, size: row.response_size ?? 0 },
    close: row.close_by === null || row.close_at === null ? null : { code: row.close_code, reason: row.close_reason ?? '', by: row.close_by, at: row.close_at },
    ...(row.replay_of !== null ? { replayOf: row.replay_of } : {}),
  };
}
