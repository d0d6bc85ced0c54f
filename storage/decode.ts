// Stored flows read through the codec loaded now: the decoded messages of a detail, the
// texts bare words search, and the summary facts again for rows an older schema summarised.
// The bytes are the record; everything here can be recomputed from them.

import { decodedSearchText, summarySearchText } from '../model/filter-match.ts';
import { noFacts, type Flow, type FlowFacts, type FlowFrame } from '../model/flow.ts';
import type { DecodeResult, ExchangeSummary, FrameDirection, JsonObject } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { execFacts, execFactsOf, frameType, requestType, responseType, WsFacts } from '../proto/exchange-facts.ts';
import type { DecodedFlow } from './views.ts';

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

/** A flow worked out again: its facts, its texts but the summary's (which follows from the facts), and what field: terms test. */
export interface Redone {
  facts: FlowFacts;
  texts: Omit<ExchangeTexts, 'summary'>;
  frameTexts: FrameText[];
  /** The decoded JSON of the request, the response and each frame, those that decode. */
  messages: JsonObject[];
}

export class FlowDecoder {
  constructor(readonly codec: Codec) {}

  /** Every body and frame decoded; with spans for the detail pane's hex view. */
  decode(flow: Flow, spans: boolean): DecodedFlow {
    const decoded: DecodedFlow = {
      request: this.request(flow, spans),
      response: this.response(flow, spans),
      frames: flow.frames.map((f) => this.frame(f, spans)),
    };
    const original = flow.original;
    if (original?.request) decoded.originalRequest = this.request({ ...flow, request: original.request }, spans);
    if (original?.response) decoded.originalResponse = this.response({ ...flow, response: original.response }, spans);
    if (flow.frames.some((f) => f.original !== undefined)) {
      decoded.originalFrames = flow.frames.map((f) => (f.original === undefined ? null : this.frame({ ...f, body: f.original }, spans)));
    }
    return decoded;
  }

  request(flow: Pick<Flow, 'kind' | 'request' | 'startedAt'>, spans = false): DecodeResult | null {
    const type = requestType(flow.kind);
    return type && this.codec.decode(type, flow.request.body, { spans, now: flow.startedAt });
  }

  response(flow: Pick<Flow, 'kind' | 'response' | 'startedAt'>, spans = false): DecodeResult | null {
    if (flow.response === null) return null;
    const type = responseType(flow.kind, flow.response.headers, flow.response.body);
    return type && this.codec.decode(type, flow.response.body, { spans, now: flow.startedAt });
  }

  frame(frame: Pick<FlowFrame, 'direction' | 'opcode' | 'body' | 'at'>, spans = false): DecodeResult | null {
    const type = frameType(frame.direction, frame.opcode);
    return type && this.codec.decode(type, frame.body, { spans, now: frame.at });
  }

  /** The summary facts the recorder would have computed for this flow under the schema loaded now. */
  facts(flow: Flow): FlowFacts {
    // An /exec exchange's facts need no texts: execFacts decodes only what they need, as the recorder does.
    if (flow.kind === 'exec') {
      const response = flow.response && { headers: flow.response.headers, body: flow.response.body };
      return execFacts(this.codec, { requestHeaders: flow.request.headers, requestBody: flow.request.body, status: flow.response?.status ?? null, response, at: flow.startedAt });
    }
    return this.redo(flow).facts;
  }

  /** The facts, every search text and the messages of a flow, each body and frame decoded once. */
  redo(flow: Flow): Redone {
    const request = this.request(flow);
    const response = this.response(flow);
    const texts = { error: flow.error?.message ?? null, request: decodedSearchText(request), response: decodedSearchText(response) };
    const frames: (DecodeResult | null)[] = [];
    let facts: FlowFacts;
    if (flow.kind === 'exec' && request !== null) {
      facts = execFactsOf(flow.request.headers, flow.response?.status ?? null, request, response);
      frames.push(...flow.frames.map((f) => this.frame(f)));
    } else if (flow.kind !== 'ws') {
      facts = noFacts();
      frames.push(...flow.frames.map((f) => this.frame(f)));
    } else {
      const ws = new WsFacts(this.codec);
      if (flow.response?.status === 101) ws.upgrade(flow.request.headers, flow.response.headers);
      // A frame a rule dropped never reached the other side: the conversation's checks go on without it, as the recorder's did.
      frames.push(...flow.frames.map((f) => (f.mark === 'dropped' ? ws.decode(f) : ws.frame(f).decoded)));
      if (flow.close) ws.close({ by: flow.close.by, at: flow.close.at });
      facts = ws.facts;
    }
    const frameTexts = flow.frames.map((f, i) => ({ seq: f.seq, direction: f.direction, text: decodedSearchText(frames[i]) }));
    const messages = [request, response, ...frames].flatMap((m) => (m === null ? [] : [m.json]));
    return { facts, texts, frameTexts, messages };
  }

  exchangeTexts(summary: ExchangeSummary, flow: Flow): ExchangeTexts {
    return {
      summary: summarySearchText(summary),
      error: flow.error?.message ?? null,
      request: decodedSearchText(this.request(flow)),
      response: decodedSearchText(this.response(flow)),
    };
  }

  frameText(frame: Pick<FlowFrame, 'seq' | 'direction' | 'opcode' | 'body' | 'at'>): FrameText {
    return { seq: frame.seq, direction: frame.direction, text: decodedSearchText(this.frame(frame)) };
  }
}
