// Stored rows read through the codec loaded now: the decoded messages of a detail, the
// texts bare words search, and the summary facts again for rows an older schema summarised.
// The bytes are the record; everything here can be recomputed from them.

import { decodedSearchText, summarySearchText } from '../model/filter-match.ts';
import type { DecodeResult, ExchangeSummary, FrameDirection, HeaderList } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { execFactsOf, frameType, noFacts, requestType, responseType, WsFacts, type ExchangeFacts } from '../proto/exchange-facts.ts';
import { summaryFromRow, type DecodedDetail, type DetailRow, type FrameRow } from './rows.ts';

/** One exchange's searchable texts, as search_text holds them (see migrations.ts, version 2). */
export interface ExchangeTexts {
  summary: string;
  error: string | null;
  request: string | null;
  response: string | null;
}

export interface FrameText {
  seq: number;
  direction: FrameDirection;
  text: string | null;
}

/** A row worked out again: its facts, and its texts but the summary's (which follows from the facts). */
export interface Redone {
  facts: ExchangeFacts;
  texts: Omit<ExchangeTexts, 'summary'>;
  frameTexts: FrameText[];
}

export class RowDecoder {
  constructor(readonly codec: Codec) {}

  /** Every body and frame decoded; with spans for the detail pane's hex view. */
  detail(row: DetailRow, frames: FrameRow[], spans: boolean): DecodedDetail {
    return {
      request: this.request(row, spans),
      response: this.response(row, spans),
      frames: frames.map((f) => this.frame(f, spans)),
    };
  }

  request(row: DetailRow, spans = false): DecodeResult | null {
    const type = requestType(row.kind);
    return type && this.codec.decode(type, row.request_body, { spans, now: row.started_at });
  }

  response(row: DetailRow, spans = false): DecodeResult | null {
    if (row.response_body === null || row.response_headers === null) return null;
    const type = responseType(row.kind, JSON.parse(row.response_headers) as HeaderList, row.response_body);
    return type && this.codec.decode(type, row.response_body, { spans, now: row.started_at });
  }

  frame(frame: Pick<FrameRow, 'direction' | 'opcode' | 'body' | 'at'>, spans = false): DecodeResult | null {
    const type = frameType(frame.direction, frame.opcode);
    return type && this.codec.decode(type, frame.body, { spans, now: frame.at });
  }

  /** The summary facts the recorder would have computed for this row under the schema loaded now. */
  facts(row: DetailRow, frames: FrameRow[]): ExchangeFacts {
    return this.redo(row, frames).facts;
  }

  /** The facts and every search text of a row, each body and frame decoded once. */
  redo(row: DetailRow, frames: FrameRow[]): Redone {
    const request = this.request(row);
    const response = this.response(row);
    const error = row.error;
    const texts = { error, request: decodedSearchText(request), response: decodedSearchText(response) };
    if (row.kind === 'exec' && request !== null) {
      const facts = execFactsOf(JSON.parse(row.request_headers) as HeaderList, row.status, request, response);
      return { facts, texts, frameTexts: frames.map((f) => this.frameText(f)) };
    }
    if (row.kind !== 'ws') return { facts: noFacts(), texts, frameTexts: frames.map((f) => this.frameText(f)) };
    const ws = new WsFacts(this.codec);
    if (row.status === 101 && row.response_headers !== null) ws.upgrade(JSON.parse(row.request_headers) as HeaderList, JSON.parse(row.response_headers) as HeaderList);
    const frameTexts = frames.map((f) => ({ seq: f.seq, direction: f.direction, text: decodedSearchText(ws.frame(f).decoded) }));
    if (row.close_by !== null && row.close_at !== null) ws.close({ by: row.close_by, at: row.close_at });
    return { facts: ws.facts, texts, frameTexts };
  }

  exchangeTexts(summary: ExchangeSummary, row: DetailRow): ExchangeTexts {
    return {
      summary: summarySearchText(summary),
      error: row.error,
      request: decodedSearchText(this.request(row)),
      response: decodedSearchText(this.response(row)),
    };
  }

  frameText(frame: Pick<FrameRow, 'seq' | 'direction' | 'opcode' | 'body' | 'at'>): FrameText {
    return { seq: frame.seq, direction: frame.direction, text: decodedSearchText(this.frame(frame)) };
  }
}

/** The row's summary with facts put in place of its stored columns. */
export function withFacts(row: DetailRow, facts: ExchangeFacts | null): ExchangeSummary {
  const summary = summaryFromRow(row);
  if (facts === null) return summary;
  return { ...summary, ...facts };
}
