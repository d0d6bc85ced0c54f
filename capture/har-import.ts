// HAR files from this tool, Chrome, Playwright, mitmproxy and HTTP Toolkit, as captured
// exchanges, entry by entry (capture/har-read.ts reads them): a malformed entry is an
// error naming its index and field, and the import that reads it stores nothing of the
// file (capture/record.ts). Where the writer lost bytes (a binary body written
// as text), the exchange carries a problem saying so instead of a silent garbage decode.

import type { HarReader } from './har-read.ts';
import { SourceError } from './source-error.ts';
import type { FrameDirection, HeaderList } from '../model/types.ts';
import { exchangeKind } from '../proxy/http.ts';
import { isExchangeName } from '../storage/content-keys.ts';
import { LATEST_TIME_MS } from '../storage/value-check.ts';
import { noFacts, type Flow, type FlowClose, type FlowError, type FlowFrame, type FlowOriginal, type FrameMark, type BreakpointEdit } from '../model/flow.ts';

type Json = Record<string, unknown>;

/** Playwright writes WebSocket message times in ms, the others in seconds: anything past this is ms. */
const LATEST_EPOCH_SECONDS = 1e11;
/** A frame's seq is part of its search row id (storage/migrations.ts, version 2), which leaves it 32 bits. */
const MAX_SEQ = 2 ** 31 - 1;
/** RFC 6455: a close frame's payload is at most 125 bytes, two of them the code. */
const MAX_CLOSE_REASON_BYTES = 123;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** HTTP/2's request line as Chrome lists it among the headers (`:authority`, `:path` …); the entry's method and URL hold it. */
const PSEUDO_HEADER = /^:[a-z]+$/;
/** What an HTTP field value may not hold (Node refuses to send it): control characters other than tab. */
const NOT_IN_HEADER_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;
const OPCODES = [1, 2, 9, 10];

/** The entries of a HAR file as flows, read from the reader as they are asked for; a malformed one throws SourceError naming it. */
export function* harFlows(reader: HarReader): Generator<Flow> {
  let index = 0;
  for (const entry of reader.entries()) yield new EntryReader(reader.label, index++).read(entry);
}

class EntryReader {
  private readonly problems: string[] = [];
  /** Chrome's error message on a WebSocket, which becomes the exchange's error. */
  private wsError: string | null = null;

  constructor(
    private readonly label: string,
    private readonly index: number,
  ) {}

  read(entry: unknown): Flow {
    const e = this.object(entry, '');
    const startedAt = this.startedAt(this.string(e.startedDateTime, 'startedDateTime'));
    const time = e.time === undefined ? 0 : this.duration(e.time, 'time', startedAt);
    const ca2 = isObject(e._ca2) ? e._ca2 : {};
    const request = this.object(e.request, 'request');
    const method = this.string(request.method, 'request.method');
    if (!HEADER_NAME.test(method)) this.fail('request.method', `is ${JSON.stringify(method)}, not an HTTP method`);
    const url = this.url(this.string(request.url, 'request.url'));
    const path = url.pathname + url.search;
    const headers = this.headers(request.headers, 'request.headers');
    const responseJson = e.response === undefined ? null : this.object(e.response, 'response');
    const status = responseJson ? this.status(responseJson.status, 'response.status') : 0;
    const ws = e._resourceType === 'websocket' || status === 101 || url.protocol === 'ws:' || url.protocol === 'wss:';
    const kind = ws ? 'ws' : exchangeKind({ method, url: path });

    const binary = kind === 'exec';
    const requestBody = this.requestBody(request, binary, 'request', 'request body');
    const durationMs = ca2.durationMs === null ? null : ca2.durationMs === undefined ? time : this.duration(ca2.durationMs, '_ca2.durationMs', startedAt);
    const response =
      responseJson && status > 0
        ? {
            status,
            statusMessage: typeof responseJson.statusText === 'string' ? responseJson.statusText : '',
            headers: this.headers(responseJson.headers, 'response.headers'),
            ...this.responseBody(responseJson, binary, 'response', 'response body'),
            truncated: ca2.responseTruncated === true,
          }
        : null;
    const frames = ws ? this.frames(e._webSocketMessages) : [];
    const close = ws ? this.close(e._webSocketClose, ca2.closedBy) : null;
    let error: FlowError | null = typeof ca2.error === 'string' ? { kind: ca2.state === 'aborted' ? 'client-aborted' : 'proxy-error', message: ca2.error } : null;
    const failure = isObject(responseJson) && typeof responseJson._failureText === 'string' ? responseJson._failureText : null;
    if (!error && failure) error = { kind: 'proxy-error', message: failure };
    if (!error && this.wsError) error = { kind: 'proxy-error', message: this.wsError };
    if (!error && e._webSocketClose === 'aborted') error = { kind: 'upstream-reset', message: 'the connection was aborted (as the HAR file records it)' };
    const endedAt = durationMs === null ? null : close?.at ?? startedAt + durationMs;
    const identity = ca2.id === undefined ? undefined : this.string(ca2.id, '_ca2.id');
    if (identity !== undefined && !isExchangeName(identity)) this.fail('_ca2.id', `is ${JSON.stringify(identity)}, not the id ca2-inspector gives an exchange`);
    const rules = ca2.rules === undefined ? [] : this.strings(ca2.rules, '_ca2.rules');
    const editedAtBreakpoint = ca2.editedAtBreakpoint === undefined ? [] : this.breakpointEdits(ca2.editedAtBreakpoint, '_ca2.editedAtBreakpoint');
    const sent = request._original === undefined ? null : this.object(request._original, 'request._original');
    const answered = responseJson?._original === undefined ? null : this.object(responseJson._original, 'response._original');
    const original: FlowOriginal = {
      request: sent && {
        method,
        path,
        httpVersion: httpVersion(request.httpVersion),
        headers: this.headers(sent.headers, 'request._original.headers'),
        ...this.requestBody(sent, binary, 'request._original', 'original request body'),
        truncated: false,
      },
      response: answered && {
        status: this.status(answered.status, 'response._original.status'),
        statusMessage: '',
        headers: this.headers(answered.headers, 'response._original.headers'),
        ...this.responseBody(answered, binary, 'response._original', 'original response body'),
        truncated: false,
      },
    };
    return {
      // Imported flows get their ids, state and facts as they are recorded (capture/record.ts).
      id: this.index,
      kind,
      startedAt,
      endedAt,
      clientAddress: '',
      request: { method, path, httpVersion: httpVersion(request.httpVersion), headers, ...requestBody, truncated: ca2.requestTruncated === true },
      response,
      error,
      state: 'complete',
      ...noFacts(),
      close,
      replayOf: null,
      frames,
      ...(this.problems.length ? { captureProblems: this.problems } : {}),
      ...(identity ? { identity } : {}),
      ...(rules.length ? { rules } : {}),
      ...(original.request || original.response ? { original } : {}),
      ...(editedAtBreakpoint.length ? { editedAtBreakpoint } : {}),
    };
  }

  /** The body of `request` (the entry's, or its `_original` at `field`), and what `what` lost, as a problem. */
  private requestBody(request: Json, binary: boolean, field: string, what: string): { body: Uint8Array; size: number } {
    const bodySize = this.size(request.bodySize, `${field}.bodySize`);
    const postData = request.postData === undefined ? null : this.object(request.postData, `${field}.postData`);
    // HTTP Toolkit keeps a body it could not write as text in _content, base64.
    const status = postData?._requestBodyStatus ?? request._requestBodyStatus;
    const kept = postData?._content ?? request._content;
    if (status === 'discarded:not-representable' && isObject(kept)) {
      const where = postData?._content ? `${field}.postData._content` : `${field}._content`;
      const body = this.base64(this.string(kept.text, `${where}.text`), `${where}.text`);
      return { body, size: bodySize ?? body.length };
    }
    if (typeof status === 'string' && status.startsWith('discarded')) {
      this.problems.push(`${what}: not in the HAR file (${status}), so it is not decoded`);
      return { body: new Uint8Array(0), size: bodySize ?? 0 };
    }
    if (!postData || postData.text === undefined) {
      if (bodySize) this.problems.push(`${what}: not in the HAR file (${bodySize} bytes were sent), so it is not decoded`);
      return { body: new Uint8Array(0), size: bodySize ?? 0 };
    }
    const text = this.string(postData.text, `${field}.postData.text`);
    if (postData._encoding === 'base64') {
      const body = this.base64(text, `${field}.postData.text`);
      return { body, size: bodySize ?? body.length };
    }
    const body = Buffer.from(text, 'utf8');
    this.textLoss(what, text, binary);
    return { body, size: bodySize ?? body.length };
  }

  /** The body of `response` (the entry's, or its `_original` at `field`), and what `what` lost, as a problem. */
  private responseBody(response: Json, binary: boolean, field: string, what: string): { body: Uint8Array; size: number } {
    const content = this.object(response.content, `${field}.content`);
    const bodySize = this.size(response.bodySize, `${field}.bodySize`);
    const size = this.size(content.size, `${field}.content.size`);
    if (content.text === undefined) {
      const sent = bodySize || size;
      if (sent) this.problems.push(`${what}: not in the HAR file (${sent} bytes were received), so it is not decoded`);
      return { body: new Uint8Array(0), size: sent ?? 0 };
    }
    const text = this.string(content.text, `${field}.content.text`);
    if (content.encoding === 'base64') {
      const body = this.base64(text, `${field}.content.text`);
      return { body, size: bodySize ?? body.length };
    }
    if (content.encoding !== undefined) this.fail(`${field}.content.encoding`, `is "${String(content.encoding)}"; only base64 is read`);
    this.textLoss(what, text, binary);
    const body = Buffer.from(text, 'utf8');
    return { body, size: bodySize ?? body.length };
  }

  /** A binary body written as text lost every byte that was not valid UTF-8: say so. */
  private textLoss(what: string, text: string, binary: boolean): void {
    if (text.includes('\uFFFD')) {
      this.problems.push(
        `${what}: the HAR file holds it as text with replacement characters (U+FFFD), so bytes were lost and the decode is of damaged bytes`,
      );
    } else if (binary && /[\u0080-\uFFFF]/.test(text)) {
      this.problems.push(`${what}: the HAR file holds binary protobuf as text, so its bytes may differ from those sent`);
    }
  }

  private frames(messages: unknown): FlowFrame[] {
    if (messages === undefined) return [];
    if (!Array.isArray(messages)) this.fail('_webSocketMessages', 'is not an array');
    const frames: FlowFrame[] = [];
    const seqs = new Map<number, number>();
    (messages as unknown[]).forEach((raw, i) => {
      const where = `_webSocketMessages[${i}]`;
      const m = this.object(raw, where);
      const type = this.string(m.type, `${where}.type`);
      const at = this.epochTime(m.time, `${where}.time`);
      const data = m.data === undefined ? '' : this.string(m.data, `${where}.data`);
      if (type === 'error') {
        // Chrome reports a failed connection as a message of its own; it is the exchange's error here.
        this.wsError ??= data || 'the browser reported a WebSocket error';
        this.problems.push(`frame ${i}: the browser reported a WebSocket error: ${data}`);
        return;
      }
      if (type !== 'send' && type !== 'receive') this.fail(`${where}.type`, `is "${type}"; expected send, receive or error`);
      const opcode = this.number(m.opcode, `${where}.opcode`);
      if (!OPCODES.includes(opcode)) this.fail(`${where}.opcode`, `is ${opcode}, not a WebSocket opcode (1 text, 2 binary, 9 ping, 10 pong)`);
      const body = opcode === 1 ? Buffer.from(data, 'utf8') : this.base64(data, `${where}.data`);
      const direction: FrameDirection = type === 'send' ? 'client' : 'server';
      const seq = m._seq === undefined ? frames.length : this.whole(m._seq, `${where}._seq`, MAX_SEQ);
      const twin = seqs.get(seq);
      if (twin !== undefined) this.fail(`${where}._seq`, `is ${seq}, as is _webSocketMessages[${twin}]._seq; each frame needs its own`);
      seqs.set(seq, i);
      const size = this.size(m._size, `${where}._size`) ?? body.length;
      if (size < body.length) this.fail(`${where}._size`, `is ${size}, less than the ${body.length} bytes of its data`);
      const frame: FlowFrame = { seq, direction, at, opcode, body, size, truncated: m._truncated === true };
      if (m._rule !== undefined) frame.rule = this.string(m._rule, `${where}._rule`);
      if (m._mark !== undefined) frame.mark = this.mark(m._mark, `${where}._mark`);
      if (m._original !== undefined) frame.original = this.base64(this.string(m._original, `${where}._original`), `${where}._original`);
      frames.push(frame);
    });
    return frames;
  }

  private close(raw: unknown, closedBy: unknown): FlowClose | null {
    if (!isObject(raw)) return null;
    const code = raw.code === null || raw.code === undefined ? null : this.number(raw.code, '_webSocketClose.code');
    if (code !== null && !(Number.isInteger(code) && code >= 1000 && code <= 4999)) {
      this.fail('_webSocketClose.code', `is ${code}, not a close code (a whole number from 1000 to 4999)`);
    }
    const reason = raw.reason === undefined ? '' : this.string(raw.reason, '_webSocketClose.reason');
    const reasonBytes = Buffer.byteLength(reason);
    if (reasonBytes > MAX_CLOSE_REASON_BYTES) this.fail('_webSocketClose.reason', `is ${reasonBytes} bytes; a close reason is at most ${MAX_CLOSE_REASON_BYTES}`);
    if (raw.timestamp === undefined) return null;
    const at = this.epochTime(raw.timestamp, '_webSocketClose.timestamp');
    const by = closedBy === 'client' || closedBy === 'server' || closedBy === 'proxy' ? closedBy : 'server';
    return { code, reason, by, at };
  }

  private headers(value: unknown, field: string): HeaderList {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(field, 'is not an array');
    const headers: HeaderList = [];
    (value as unknown[]).forEach((raw, i) => {
      const h = this.object(raw, `${field}[${i}]`);
      const name = this.string(h.name, `${field}[${i}].name`);
      const text = this.string(h.value, `${field}[${i}].value`);
      if (PSEUDO_HEADER.test(name)) return;
      if (!HEADER_NAME.test(name)) this.fail(`${field}[${i}].name`, `is ${JSON.stringify(name)}, not a header name`);
      if (NOT_IN_HEADER_VALUE.test(text)) this.fail(`${field}[${i}].value`, 'holds a line break or another control character, which no header can');
      // The bytes as they crossed the wire, which is how the proxy records a header (latin-1, byte for byte).
      headers.push([name, /[^\0-\xff]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text]);
    });
    return headers;
  }

  private url(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.fail('request.url', `"${text}" is not an absolute URL`);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) this.fail('request.url', `"${text}" is not an http, https, ws or wss URL`);
    return url;
  }

  /** An ISO 8601 date, to the microsecond where it has the digits (mitmproxy writes them). */
  private startedAt(text: string): number {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) this.fail('startedDateTime', 'is not an ISO 8601 date');
    if (!inTimeRange(ms)) this.fail('startedDateTime', `is ${JSON.stringify(text)}, not a time between 1970 and 9999`);
    const micros = /T[\d:]+\.\d{3}(\d{1,3})/.exec(text)?.[1];
    return micros === undefined ? ms : ms + Number(micros.padEnd(3, '0')) / 1000;
  }

  /** Epoch seconds, or milliseconds as Playwright writes them, as ms. */
  private epochTime(value: unknown, field: string): number {
    const time = this.number(value, field);
    const ms = Math.round((time > LATEST_EPOCH_SECONDS ? time : time * 1000) * 1000) / 1000;
    if (!inTimeRange(ms)) this.fail(field, `is ${time}, not a time between 1970 and 9999 (epoch seconds, or milliseconds)`);
    return ms;
  }

  private duration(value: unknown, field: string, startedAt: number): number {
    const ms = this.number(value, field);
    if (ms < 0 || !inTimeRange(startedAt + ms)) this.fail(field, `is ${ms}, not a duration in milliseconds (0 or more, ending before the year 10000)`);
    return ms;
  }

  private status(value: unknown, field: string): number {
    const status = this.number(value, field);
    if (!(Number.isInteger(status) && (status === 0 || (status >= 100 && status <= 999)))) {
      this.fail(field, `is ${status}, not an HTTP status (a whole number from 100 to 999, or 0 for no response)`);
    }
    return status;
  }

  private mark(value: unknown, field: string): FrameMark {
    if (value !== 'dropped' && value !== 'injected' && value !== 'breakpoint') this.fail(field, `is ${JSON.stringify(value)}; expected "dropped", "injected" or "breakpoint"`);
    return value;
  }

  private breakpointEdits(value: unknown, field: string): BreakpointEdit[] {
    return this.strings(value, field).map((edit, i) => {
      if (edit !== 'request' && edit !== 'response') this.fail(`${field}[${i}]`, `is ${JSON.stringify(edit)}; expected "request" or "response"`);
      return edit;
    });
  }

  private strings(value: unknown, field: string): string[] {
    if (!Array.isArray(value)) this.fail(field, 'is not an array');
    return value.map((item, i) => this.string(item, `${field}[${i}]`));
  }

  /** A size in bytes, or null where the writer says it does not know (-1, or no field). */
  private size(value: unknown, field: string): number | null {
    if (value === undefined || value === -1) return null;
    const size = this.number(value, field);
    if (!Number.isSafeInteger(size) || size < 0) this.fail(field, `is ${size}, not a size in bytes (a whole number, or -1 for unknown)`);
    return size;
  }

  private whole(value: unknown, field: string, max: number): number {
    const n = this.number(value, field);
    if (!Number.isInteger(n) || n < 0 || n > max) this.fail(field, `is ${n}, not a whole number from 0 to ${max}`);
    return n;
  }

  private base64(text: string, field: string): Buffer {
    const compact = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) this.fail(field, 'is not base64');
    return Buffer.from(compact, 'base64');
  }

  private object(value: unknown, field: string): Json {
    if (!isObject(value)) this.fail(field, `is ${value === undefined ? 'missing' : 'not an object'}`);
    return value as Json;
  }

  private string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, value === undefined ? 'is missing' : 'is not a string');
    return value as string;
  }

  private number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, value === undefined ? 'is missing' : 'is not a number');
    return value as number;
  }

  private fail(field: string, what: string): never {
    const where = field ? `entries[${this.index}].${field}` : `entries[${this.index}]`;
    throw new SourceError(`${this.label}: ${where} ${what}; fix or remove that entry, nothing from this file was imported.`);
  }
}

function inTimeRange(ms: number): boolean {
  return ms >= 0 && ms <= LATEST_TIME_MS;
}

function httpVersion(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^HTTP\//i, '') : '1.1';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
