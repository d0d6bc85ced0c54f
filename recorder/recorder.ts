// The recorder: a tap listener that decodes each exchange with the codec, runs the
// protocol checks, hands the records to storage and tells its own listeners
// (live stream, terminal printer) what it recorded.

import { tokenPrefixLength, type DecodeResult, type ExchangeSummary, type JsonObject, type TokenRef, type WsFrame } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { checkExec, WsConversationCheck } from '../proto/checks.ts';
import type { TapListener, TappedClose, TappedFlow, TappedFrame, TappedRequest, TappedResponse } from '../proxy/tap.ts';
import type { ExchangeRecord, FrameRecord, MessageRecord } from '../storage/records.ts';
import type { Store } from '../storage/store.ts';
import { liveFrame, summarize, type FrameTotals } from '../storage/rows.ts';

export interface RecorderListener {
  /** A new exchange or a change to one already reported (same id). */
  exchange?(summary: ExchangeSummary): void;
  frame?(exchangeId: number, frame: WsFrame): void;
}

interface OpenExchange {
  record: ExchangeRecord;
  /** Whether storage has a row for it yet. */
  stored: boolean;
  wsCheck?: WsConversationCheck;
  frames: FrameTotals;
}

/**
 * Most exchanges end within milliseconds; writing their pending row too would double the
 * SQLite work. The live stream shows pending rows at once; storage gets one only for an
 * exchange still running after this long.
 */
const PENDING_ROW_DELAY_MS = 1_000;

export class Recorder implements TapListener {
  private readonly open = new Map<number, OpenExchange>();
  private readonly listeners: RecorderListener[] = [];

  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly codec: Codec,
    private readonly store: Store,
  ) {
    this.sweep = setInterval(() => this.storeLongRunning(Date.now()), PENDING_ROW_DELAY_MS / 2);
    this.sweep.unref();
  }

  /** Stops the background write of long-running exchanges; the store is the caller's to close. */
  stop(): void {
    clearInterval(this.sweep);
  }

  addListener(listener: RecorderListener): void {
    this.listeners.push(listener);
  }

  requestStarted(flow: TappedFlow): void {
    const record: ExchangeRecord = {
      id: this.store.allocateExchangeId(),
      kind: flow.kind,
      startedAt: flow.startedAt,
      endedAt: null,
      method: flow.request.method,
      path: flow.request.path,
      status: null,
      service: null,
      operation: null,
      trx: null,
      errors: [],
      token: null,
      clientAddress: flow.clientAddress,
      state: 'pending',
      problems: [],
      error: null,
      request: messageRecord(flow.request, null),
      response: null,
      close: null,
    };
    this.open.set(flow.id, {
      record,
      stored: false,
      wsCheck: flow.kind === 'ws' ? new WsConversationCheck() : undefined,
      frames: { clientFrames: 0, serverFrames: 0, clientBytes: 0, serverBytes: 0 },
    });
    this.announce(record);
  }

  exchangeEnded(flow: TappedFlow): void {
    const entry = this.open.get(flow.id) ?? this.adopt(flow);
    const { record } = entry;
    record.request = messageRecord(flow.request, flow.kind === 'exec' ? this.decode('ClientRequest', flow.request.body) : null);
    record.response = flow.response ? messageRecord(flow.response, this.decodeResponse(flow)) : null;
    record.status = flow.response?.status ?? null;
    record.error = flow.error?.message ?? null;

    if (flow.kind === 'exec') {
      const request = record.request.decoded;
      const response = record.response?.decoded ?? null;
      record.service = request?.summary.service ?? null;
      record.operation = request?.summary.operation ?? null;
      record.trx = request?.summary.trx ?? response?.summary.trx ?? null;
      record.errors = response?.summary.errors ?? [];
      record.token = tokenRef(request);
      record.problems = [
        ...problemTexts('request', request),
        ...problemTexts('response', response),
        ...checkExec({
          contentType: headerValue(flow.request.headers, 'content-type'),
          httpStatus: record.status,
          request,
          response,
        }),
      ];
    }

    const upgraded = flow.kind === 'ws' && flow.response?.status === 101 && !flow.error;
    if (upgraded) {
      record.problems.push(
        ...(entry.wsCheck?.onUpgrade({
          offeredProtocols: headerValues(flow.request.headers, 'sec-websocket-protocol').flatMap((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== '')),
          selectedProtocol: headerValue(flow.response!.headers, 'sec-websocket-protocol'),
        }) ?? []),
      );
      // The connection stays open: the exchange ends at wsClosed.
      entry.stored = true;
      this.save(record);
      return;
    }
    record.endedAt = flow.endedAt;
    record.state = stateOf(flow);
    this.open.delete(flow.id);
    this.save(record);
  }

  wsFrame(frame: TappedFrame): void {
    const entry = this.open.get(frame.flowId);
    if (!entry) return;
    const { record } = entry;
    const binary = frame.opcode === 2;
    const decoded = binary ? this.decode(frame.direction === 'client' ? 'WsAuth' : 'WsEvent', frame.body) : null;
    const problems = [
      ...problemTexts(`frame ${frame.seq}`, decoded),
      ...(entry.wsCheck?.onFrame({ direction: frame.direction, opcode: frame.opcode, decoded, at: frame.at }) ?? []),
    ];
    const frameRecord: FrameRecord = {
      exchangeId: record.id,
      seq: frame.seq,
      direction: frame.direction,
      at: frame.at,
      opcode: frame.opcode,
      size: frame.size,
      body: frame.body,
      decoded,
      truncated: frame.truncated,
      problems,
    };
    this.store.putFrame(frameRecord);
    for (const l of this.listeners) l.frame?.(record.id, liveFrame(frameRecord));

    // Only what changes the row's summary rewrites the exchange; other frames just add to the count.
    let changed = problems.length > 0;
    record.problems.push(...problems);
    if (decoded && frame.direction === 'client' && !record.token) {
      record.token = tokenRef(decoded);
      changed ||= record.token !== null;
    }
    for (const error of decoded?.summary.errors ?? []) {
      if (frame.direction === 'server' && !record.errors.includes(error)) {
        record.errors.push(error);
        changed = true;
      }
    }
    if (frame.direction === 'client') {
      entry.frames.clientFrames += 1;
      entry.frames.clientBytes += frame.size;
    } else {
      entry.frames.serverFrames += 1;
      entry.frames.serverBytes += frame.size;
    }
    if (changed) this.save(record, entry.frames);
  }

  wsClosed(flow: TappedFlow, close: TappedClose): void {
    const entry = this.open.get(flow.id);
    if (!entry) return;
    const { record } = entry;
    record.problems.push(...(entry.wsCheck?.onClose({ by: close.by, at: close.at }) ?? []));
    record.close = { code: close.code, reason: close.reason, by: close.by, at: close.at };
    record.endedAt = flow.endedAt ?? close.at;
    record.error = flow.error?.message ?? record.error;
    record.state = stateOf(flow);
    this.open.delete(flow.id);
    this.save(record, entry.frames);
  }

  /** A flow whose start never reached the recorder (it ended quickly, see worker-bridge.ts): record it from its end. */
  private adopt(flow: TappedFlow): OpenExchange {
    this.requestStarted(flow);
    return this.open.get(flow.id)!;
  }

  private decodeResponse(flow: TappedFlow): DecodeResult | null {
    if (flow.kind !== 'exec' || !flow.response) return null;
    // The proxy's own 502/504 and upstream error pages are plain text, not ServerResponse.
    const type = headerValue(flow.response.headers, 'content-type') ?? '';
    if (!type.includes('protobuf') && !(type === '' && flow.response.body.length > 0)) return null;
    return this.decode('ServerResponse', flow.response.body);
  }

  private decode(type: 'ClientRequest' | 'ServerResponse' | 'WsAuth' | 'WsEvent', body: Uint8Array): DecodeResult {
    return this.codec.decode(type, body, { spans: true });
  }

  private save(record: ExchangeRecord, frames?: FrameTotals): void {
    this.store.putExchange(record);
    this.announce(record, frames);
  }

  private announce(record: ExchangeRecord, frames?: FrameTotals): void {
    const summary = summarize(record, frames);
    for (const l of this.listeners) l.exchange?.(summary);
  }

  private storeLongRunning(now: number): void {
    for (const entry of this.open.values()) {
      if (!entry.stored && now - entry.record.startedAt >= PENDING_ROW_DELAY_MS) {
        entry.stored = true;
        this.store.putExchange(entry.record);
      }
    }
  }
}

function messageRecord(message: TappedRequest | TappedResponse, decoded: DecodeResult | null): MessageRecord {
  return { headers: message.headers, body: message.body, decoded, truncated: message.truncated, size: message.size };
}

function stateOf(flow: TappedFlow): ExchangeSummary['state'] {
  if (!flow.error) return 'complete';
  return flow.error.kind === 'client-aborted' ? 'aborted' : 'error';
}

function headerValue(headers: [string, string][], name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return undefined;
}

function headerValues(headers: [string, string][], name: string): string[] {
  return headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
}

function problemTexts(where: string, decoded: DecodeResult | null): string[] {
  return (decoded?.problems ?? []).map((p) => `${where}: at byte ${p.offset}${p.path ? ` (${p.path})` : ''}: ${p.reason}`);
}

function tokenRef(decoded: DecodeResult | null): TokenRef | null {
  const facts = decoded?.summary.token;
  const token = (decoded?.json as JsonObject | undefined)?.token;
  if (!facts?.present || typeof token !== 'string') return null;
  return {
    prefix: token.slice(0, tokenPrefixLength),
    ...(facts.jwt?.sub !== undefined ? { sub: facts.jwt.sub } : {}),
    ...(facts.jwt?.exp !== undefined ? { exp: facts.jwt.exp } : {}),
    ...(facts.jwt?.expired !== undefined ? { expired: facts.jwt.expired } : {}),
  };
}
