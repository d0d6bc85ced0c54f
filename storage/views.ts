// What the REST API and the live stream send of a flow, built here only: the list row
// (ExchangeSummary) of a flow or of a list page's row, and the detail (ExchangeDetail),
// bodies in base64 beside what the codec made of them. So the list shows the same numbers
// before and after a reload, and only the detail pays for the hex view's byte spans.

import type { Flow, FlowFrame, FlowHead } from '../model/flow.ts';
import type { DecodeResult, ExchangeDetail, ExchangeSummary, HttpMessage, WsFrame } from '../model/types.ts';
import { durationMs, noFrames, tokenFromRow, totalsFromRow, type FrameTotals, type SummaryRow } from './rows.ts';

/** What the codec made of a flow's bodies and frames (storage/decode.ts). */
export interface DecodedFlow {
  request: DecodeResult | null;
  response: DecodeResult | null;
  frames: (DecodeResult | null)[];
  /** The versions rules replaced (FlowOriginal), and the frames' originals by index. */
  originalRequest?: DecodeResult | null;
  originalResponse?: DecodeResult | null;
  originalFrames?: (DecodeResult | null)[];
}

/**
 * The list row of a flow. For a WebSocket the sizes include the frames relayed so far:
 * client frames count toward the request, server frames toward the response.
 */
export function summaryOf(head: FlowHead, frames: FrameTotals = noFrames): ExchangeSummary {
  return {
    id: head.id,
    kind: head.kind,
    startedAt: isoTime(head.startedAt),
    durationMs: durationMs(head),
    method: head.request.method,
    path: head.request.path,
    status: head.response?.status ?? null,
    service: head.service,
    operation: head.operation,
    trx: head.trx,
    errors: head.errors,
    requestSize: head.request.size + frames.clientBytes,
    responseSize: (head.response?.size ?? 0) + frames.serverBytes,
    frames: frames.clientFrames + frames.serverFrames,
    problems: head.problems,
    state: head.state,
    token: head.token,
    replayOf: head.replayOf,
    rules: head.rules ?? [],
  };
}

/** The list row of a list page's row, the same fields from the summary columns. */
export function summaryFromRow(row: SummaryRow): ExchangeSummary {
  const frames = totalsFromRow(row);
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
    requestSize: row.request_size + frames.clientBytes,
    responseSize: (row.response_size ?? 0) + frames.serverBytes,
    frames: frames.clientFrames + frames.serverFrames,
    problems: JSON.parse(row.problems) as string[],
    state: row.state,
    token: tokenFromRow(row),
    replayOf: row.replay_of,
    rules: JSON.parse(row.rules) as string[],
  };
}

export function frameTotals(frames: readonly Pick<FlowFrame, 'direction' | 'size'>[]): FrameTotals {
  const totals = { ...noFrames };
  for (const frame of frames) countFrame(totals, frame);
  return totals;
}

export function countFrame(totals: FrameTotals, frame: Pick<FlowFrame, 'direction' | 'size'>): void {
  if (frame.direction === 'client') {
    totals.clientFrames += 1;
    totals.clientBytes += frame.size;
  } else {
    totals.serverFrames += 1;
    totals.serverBytes += frame.size;
  }
}

/** Everything recorded of a flow, as GET /api/exchanges/:id answers it. */
export function detailOf(flow: Flow, decoded: DecodedFlow): ExchangeDetail {
  const { frames: _count, ...summary } = summaryOf(flow, frameTotals(flow.frames));
  return {
    ...summary,
    request: message(flow.request, decoded.request),
    response: flow.response && message(flow.response, decoded.response),
    error: flow.error?.message ?? null,
    frames: flow.frames.map((frame, i) => viewFrame(frame, decoded.frames[i] ?? null, decoded.originalFrames?.[i] ?? null)),
    close: flow.close && { code: flow.close.code, reason: flow.close.reason, by: flow.close.by, at: isoTime(flow.close.at) },
    original: flow.original
      ? {
          request: flow.original.request && message(flow.original.request, decoded.originalRequest ?? null),
          response: flow.original.response && { ...message(flow.original.response, decoded.originalResponse ?? null), status: flow.original.response.status },
        }
      : null,
    editedAtBreakpoint: flow.editedAtBreakpoint ?? [],
  };
}

/** A frame as a detail and the live stream send it. */
export function viewFrame(frame: FlowFrame, decoded: DecodeResult | null, decodedOriginal: DecodeResult | null = null): WsFrame {
  const view: WsFrame = {
    seq: frame.seq,
    direction: frame.direction,
    at: isoTime(frame.at),
    opcode: frame.opcode,
    size: frame.size,
    body: base64(frame.body),
    decoded,
    truncated: frame.truncated,
  };
  if (frame.rule !== undefined) view.rule = frame.rule;
  if (frame.mark !== undefined) view.mark = frame.mark;
  if (frame.original !== undefined) view.original = { body: base64(frame.original), decoded: decodedOriginal };
  return view;
}

function message(m: Flow['request'] | NonNullable<Flow['response']>, decoded: DecodeResult | null): HttpMessage {
  return { headers: m.headers, body: base64(m.body), decoded, truncated: m.truncated };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The furthest a JavaScript date reaches either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/** The first ms of year 10000. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_800_000;
/** The second isoTime last wrote: its first ms and its text up to the milliseconds ("2026-12-07T05:38:25."). */
let lastSecond = { start: Infinity, text: '' };

/**
 * A time as the API writes it. A file from elsewhere may hold one no date can (1e300): it
 * reads as the nearest one that can, so its exchange still lists and opens.
 */
export function isoTime(ms: number): string {
  // Summaries come in time order, many a second: the second's text is kept, and only the milliseconds written.
  if (ms >= lastSecond.start && ms < lastSecond.start + 1000) {
    const millis = Math.trunc(ms) - lastSecond.start;
    return lastSecond.text + (millis < 10 ? '00' : millis < 100 ? '0' : '') + millis + 'Z';
  }
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return new Date(ms > 0 ? MAX_DATE_MS : ms < 0 ? -MAX_DATE_MS : 0).toISOString();
  const text = date.toISOString();
  const start = Math.floor(date.getTime() / 1000) * 1000;
  // Four-digit years only: the ISO text of others is longer (+012345-…).
  if (start >= 0 && start < LAST_FOUR_DIGIT_YEAR_MS) lastSecond = { start, text: text.slice(0, 20) };
  return text;
}
