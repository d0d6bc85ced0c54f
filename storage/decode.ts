// Stored rows read through the codec loaded now: the decoded messages of a detail, the
// texts bare words search, and the summary facts again for rows an older schema summarised.
// The bytes are the record; everything here can be recomputed from them.

import { decodedSearchText, summarySearchText } from '../model/filter-match.ts';
import type { DecodeResult, ExchangeSummary, FrameDirection, HeaderList } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { execFacts, frameType, noFacts, requestType, responseType, WsFacts, type ExchangeFacts } from '../proto/exchange-facts.ts';
import { summaryFromRow, type DecodedDetail, type DetailRow, type FrameRow } from './rows.ts';

/** One exchange's searchable texts, as search_text holds them (see migrations.ts, version 2). */
export interface ExchangeTexts {
  summary: string;
  error: string | null;
  request: string | null;
  response: string | null;
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
    if (row.kind === 'exec') {
      const response = row.response_body === null || row.response_headers === null ? null : { headers: JSON.parse(row.response_headers) as HeaderList, body: row.response_body };
      return execFacts(this.codec, {
        requestHeaders: JSON.parse(row.request_headers) as HeaderList,
        requestBody: row.request_body,
        status: row.status,
        response,
        at: row.started_at,
      });
    }
    if (row.kind !== 'ws') return noFacts();
    const ws = new WsFacts(this.codec);
    for (const f of frames) ws.frame(f);
    if (row.close_by !== null && row.close_at !== null) ws.close({ by: row.close_by, at: row.close_at });
    return ws.facts;
  }

  exchangeTexts(summary: ExchangeSummary, row: DetailRow): ExchangeTexts {
    return {
      summary: summarySearchText(summary),
      error: row.error,
      request: decodedSearchText(this.request(row)),
      response: decodedSearchText(this.response(row)),
    };
  }

  frameText(frame: Pick<FrameRow, 'direction' | 'opcode' | 'body' | 'at'>): { direction: FrameDirection; text: string | null } {
    return { direction: frame.direction, text: decodedSearchText(this.frame(frame)) };
  }
}

/** The row's summary with facts put in place of its stored columns. */
export function withFacts(row: DetailRow, facts: ExchangeFacts | null): ExchangeSummary {
  const summary = summaryFromRow(row);
  if (facts === null) return summary;
  return { ...summary, ...facts };
}
