// HAR files from this tool, Chrome, Playwright, mitmproxy and HTTP Toolkit, as captured
// exchanges. The whole file is checked before anything is stored: a malformed entry is an
// error naming its index and field. Where the writer lost bytes (a binary body written
// as text), the exchange carries a problem saying so instead of a silent garbage decode.

import { UserError } from '../model/user-error.ts';
import type { FrameDirection, HeaderList } from '../model/types.ts';
import { exchangeKind } from '../proxy/http.ts';
import type { FlowError, TappedClose, TappedFrame } from '../proxy/tap.ts';
import type { CapturedExchange } from './captured.ts';

export class HarError extends UserError {}

type Json = Record<string, unknown>;

/** Playwright writes WebSocket message times in ms, the others in seconds: anything past this is ms. */
const LATEST_EPOCH_SECONDS = 1e11;

export function parseHar(text: string, label: string): CapturedExchange[] {
  let har: unknown;
  try {
    har = JSON.parse(text);
  } catch (err) {
    throw new HarError(`${label}: not JSON (${(err as Error).message}); a HAR file is the JSON that "Save all as HAR" or an export writes.`);
  }
  const log = isObject(har) ? har.log : undefined;
  if (!isObject(log) || !Array.isArray(log.entries)) {
    throw new HarError(`${label}: log.entries is missing, so this is not a HAR file; pass a .har file or a capture.`);
  }
  return log.entries.map((entry, index) => new EntryReader(label, index).read(entry));
}

class EntryReader {
  private readonly problems: string[] = [];
  /** Chrome's error message on a WebSocket, which becomes the exchange's error. */
  private wsError: string | null = null;

  constructor(
    private readonly label: string,
    private readonly index: number,
  ) {}

  read(entry: unknown): CapturedExchange {
    const e = this.object(entry, '');
    const startedAt = Date.parse(this.string(e.startedDateTime, 'startedDateTime'));
    if (Number.isNaN(startedAt)) this.fail('startedDateTime', 'is not an ISO 8601 date');
    const time = e.time === undefined ? 0 : this.number(e.time, 'time');
    const ca2 = isObject(e._ca2) ? e._ca2 : {};
    const request = this.object(e.request, 'request');
    const method = this.string(request.method, 'request.method');
    const url = this.url(this.string(request.url, 'request.url'));
    const path = url.pathname + url.search;
    const headers = this.headers(request.headers, 'request.headers');
    const responseJson = e.response === undefined ? null : this.object(e.response, 'response');
    const status = responseJson ? this.number(responseJson.status, 'response.status') : 0;
    const ws = e._resourceType === 'websocket' || status === 101 || url.protocol === 'ws:' || url.protocol === 'wss:';
    const kind = ws ? 'ws' : exchangeKind({ method, url: path });
    const flowId = this.index;

    const requestBody = this.requestBody(request, kind === 'exec');
    const durationMs = typeof ca2.durationMs === 'number' || ca2.durationMs === null ? (ca2.durationMs as number | null) : time;
    const response =
      responseJson && status > 0
        ? {
            status,
            statusMessage: typeof responseJson.statusText === 'string' ? responseJson.statusText : '',
            headers: this.headers(responseJson.headers, 'response.headers'),
            ...this.responseBody(responseJson, kind === 'exec'),
            truncated: ca2.responseTruncated === true,
          }
        : null;
    const frames = ws ? this.frames(e._webSocketMessages, flowId) : [];
    const close = ws ? this.close(e._webSocketClose, ca2.closedBy, flowId) : null;
    let error: FlowError | null = typeof ca2.error === 'string' ? { kind: ca2.state === 'aborted' ? 'client-aborted' : 'proxy-error', message: ca2.error } : null;
    const failure = isObject(responseJson) && typeof responseJson._failureText === 'string' ? responseJson._failureText : null;
    if (!error && failure) error = { kind: 'proxy-error', message: failure };
    if (!error && this.wsError) error = { kind: 'proxy-error', message: this.wsError };
    if (!error && e._webSocketClose === 'aborted') error = { kind: 'upstream-reset', message: 'the connection was aborted (as the HAR file records it)' };
    const endedAt = durationMs === null ? null : close?.at ?? startedAt + durationMs;
    return {
      flow: {
        id: flowId,
        kind,
        startedAt,
        endedAt,
        clientAddress: '',
        request: { method, path, httpVersion: httpVersion(request.httpVersion), headers, ...requestBody, truncated: ca2.requestTruncated === true },
        response,
        error,
        ...(this.problems.length ? { captureProblems: this.problems } : {}),
      },
      frames,
      close,
    };
  }

  private requestBody(request: Json, binary: boolean): { body: Uint8Array; size: number } {
    const bodySize = typeof request.bodySize === 'number' && request.bodySize >= 0 ? request.bodySize : null;
    const postData = request.postData === undefined ? null : this.object(request.postData, 'request.postData');
    // HTTP Toolkit keeps a body it could not write as text in _content, base64.
    const status = postData?._requestBodyStatus ?? request._requestBodyStatus;
    const kept = postData?._content ?? request._content;
    if (status === 'discarded:not-representable' && isObject(kept)) {
      const where = postData?._content ? 'request.postData._content' : 'request._content';
      const body = this.base64(this.string(kept.text, `${where}.text`), `${where}.text`);
      return { body, size: bodySize ?? body.length };
    }
    if (typeof status === 'string' && status.startsWith('discarded')) {
      this.problems.push(`request body: not in the HAR file (${status}), so it is not decoded`);
      return { body: new Uint8Array(0), size: bodySize ?? 0 };
    }
    if (!postData || postData.text === undefined) {
      if (bodySize) this.problems.push(`request body: not in the HAR file (${bodySize} bytes were sent), so it is not decoded`);
      return { body: new Uint8Array(0), size: bodySize ?? 0 };
    }
    const text = this.string(postData.text, 'request.postData.text');
    if (postData._encoding === 'base64') {
      const body = this.base64(text, 'request.postData.text');
      return { body, size: bodySize ?? body.length };
    }
    const body = Buffer.from(text, 'utf8');
    this.textLoss('request body', text, binary);
    return { body, size: bodySize ?? body.length };
  }

  private responseBody(response: Json, binary: boolean): { body: Uint8Array; size: number } {
    const content = this.object(response.content, 'response.content');
    const bodySize = typeof response.bodySize === 'number' && response.bodySize >= 0 ? response.bodySize : null;
    const size = typeof content.size === 'number' && content.size >= 0 ? content.size : null;
    if (content.text === undefined) {
      const sent = bodySize || size;
      if (sent) this.problems.push(`response body: not in the HAR file (${sent} bytes were received), so it is not decoded`);
      return { body: new Uint8Array(0), size: sent ?? 0 };
    }
    const text = this.string(content.text, 'response.content.text');
    if (content.encoding === 'base64') {
      const body = this.base64(text, 'response.content.text');
      return { body, size: bodySize ?? body.length };
    }
    if (content.encoding !== undefined) this.fail('response.content.encoding', `is "${String(content.encoding)}"; only base64 is read`);
    this.textLoss('response body', text, binary);
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

  private frames(messages: unknown, flowId: number): TappedFrame[] {
    if (messages === undefined) return [];
    if (!Array.isArray(messages)) this.fail('_webSocketMessages', 'is not an array');
    const frames: TappedFrame[] = [];
    (messages as unknown[]).forEach((raw, i) => {
      const where = `_webSocketMessages[${i}]`;
      const m = this.object(raw, where);
      const type = this.string(m.type, `${where}.type`);
      const time = this.number(m.time, `${where}.time`);
      const at = Math.round((time > LATEST_EPOCH_SECONDS ? time : time * 1000) * 1000) / 1000;
      const data = m.data === undefined ? '' : this.string(m.data, `${where}.data`);
      if (type === 'error') {
        // Chrome reports a failed connection as a message of its own; it is the exchange's error here.
        this.wsError ??= data || 'the browser reported a WebSocket error';
        this.problems.push(`frame ${i}: the browser reported a WebSocket error: ${data}`);
        return;
      }
      if (type !== 'send' && type !== 'receive') this.fail(`${where}.type`, `is "${type}"; expected send, receive or error`);
      const opcode = this.number(m.opcode, `${where}.opcode`);
      const body = opcode === 1 ? Buffer.from(data, 'utf8') : this.base64(data, `${where}.data`);
      const direction: FrameDirection = type === 'send' ? 'client' : 'server';
      frames.push({
        flowId,
        seq: typeof m._seq === 'number' ? m._seq : frames.length,
        direction,
        at,
        opcode,
        body,
        size: typeof m._size === 'number' ? m._size : body.length,
        truncated: m._truncated === true,
      });
    });
    return frames;
  }

  private close(raw: unknown, closedBy: unknown, flowId: number): TappedClose | null {
    if (!isObject(raw)) return null;
    const code = raw.code === null || raw.code === undefined ? null : this.number(raw.code, '_webSocketClose.code');
    const reason = raw.reason === undefined ? '' : this.string(raw.reason, '_webSocketClose.reason');
    const timestamp = raw.timestamp === undefined ? null : this.number(raw.timestamp, '_webSocketClose.timestamp');
    if (timestamp === null) return null;
    const at = Math.round((timestamp > LATEST_EPOCH_SECONDS ? timestamp : timestamp * 1000) * 1000) / 1000;
    const by = closedBy === 'client' || closedBy === 'server' || closedBy === 'proxy' ? closedBy : 'server';
    return { flowId, code, reason, by, at };
  }

  private headers(value: unknown, field: string): HeaderList {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(field, 'is not an array');
    return (value as unknown[]).map((raw, i) => {
      const h = this.object(raw, `${field}[${i}]`);
      return [this.string(h.name, `${field}[${i}].name`), this.string(h.value, `${field}[${i}].value`)];
    });
  }

  private url(text: string): URL {
    try {
      return new URL(text);
    } catch {
      this.fail('request.url', `"${text}" is not an absolute URL`);
    }
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
    throw new HarError(`${this.label}: ${where} ${what}; fix or remove that entry, nothing from this file was imported.`);
  }
}

function httpVersion(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^HTTP\//i, '') : '1.1';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
