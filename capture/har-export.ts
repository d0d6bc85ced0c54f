// Stored exchanges as HAR 1.2 entries. /exec bodies and binary frames go in base64, so
// nothing is lost; `_decoded` beside each body holds the decoded JSON and `_ca2` the
// summary, and WebSockets are written as Chrome and HTTP Toolkit write them.

import type { ExchangeDetail, HeaderList, HttpMessage, WsFrame } from '../model/types.ts';
import type { HarContent, HarEntry, HarNameValue, HarPostData, HarWebSocketMessage } from './har.ts';
import { headerValue } from '../model/headers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `identity` names the exchange (storage/content-keys.ts), so importing the file twice adds it once. */
export function harEntry(detail: ExchangeDetail, identity: string | undefined): HarEntry {
  const host = headerValue(detail.request.headers, 'host') ?? 'localhost';
  const scheme = detail.kind === 'ws' ? 'ws' : 'http';
  const url = `${scheme}://${host}${detail.path}`;
  const response = detail.response;
  const entry: HarEntry = {
    startedDateTime: detail.startedAt,
    time: detail.durationMs ?? 0,
    request: {
      method: detail.method,
      url,
      httpVersion: 'HTTP/1.1',
      cookies: requestCookies(detail.request.headers),
      headers: nameValues(detail.request.headers),
      queryString: queryString(url),
      headersSize: -1,
      bodySize: detail.requestSize - framesSize(detail, 'client'),
    },
    response: {
      status: detail.status ?? 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: response ? responseCookies(response.headers) : [],
      headers: response ? nameValues(response.headers) : [],
      content: response ? content(response, detail) : { size: 0, mimeType: 'x-unknown' },
      redirectURL: (response && headerValue(response.headers, 'location')) ?? '',
      headersSize: -1,
      bodySize: response ? detail.responseSize - framesSize(detail, 'server') : -1,
    },
    cache: {},
    timings: { send: 0, wait: detail.durationMs ?? 0, receive: 0 },
    _ca2: {
      ...(identity ? { id: identity } : {}),
      kind: detail.kind,
      service: detail.service,
      operation: detail.operation,
      trx: detail.trx,
      errors: detail.errors,
      problems: detail.problems,
      state: detail.state,
      error: detail.error,
      durationMs: detail.durationMs,
      ...(detail.request.truncated ? { requestTruncated: true } : {}),
      ...(response?.truncated ? { responseTruncated: true } : {}),
      ...(detail.close ? { closedBy: detail.close.by } : {}),
    },
  };
  const body = Buffer.from(detail.request.body, 'base64');
  if (body.length > 0 || detail.kind === 'exec') entry.request.postData = postData(detail.request, body, detail.kind === 'exec');
  if (detail.kind === 'ws') {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = detail.frames.map(webSocketMessage);
    if (detail.close) entry._webSocketClose = { code: detail.close.code, reason: detail.close.reason, timestamp: Date.parse(detail.close.at) / 1000 };
  }
  return entry;
}

function postData(message: HttpMessage, body: Buffer, binary: boolean): HarPostData {
  const mimeType = headerValue(message.headers, 'content-type') ?? 'application/octet-stream';
  const text = binary ? null : asText(body);
  const data: HarPostData = text === null ? { mimeType, text: body.toString('base64'), _encoding: 'base64' } : { mimeType, text };
  if (message.decoded) data._decoded = message.decoded.json;
  return data;
}

function content(message: HttpMessage, detail: ExchangeDetail): HarContent {
  const body = Buffer.from(message.body, 'base64');
  const mimeType = headerValue(message.headers, 'content-type') ?? (body.length ? 'application/octet-stream' : 'x-unknown');
  const text = detail.kind === 'exec' ? null : asText(body);
  const size = body.length;
  const out: HarContent = text === null ? { size, mimeType, text: body.toString('base64'), encoding: 'base64' } : { size, mimeType, text };
  if (message.decoded) out._decoded = message.decoded.json;
  return out;
}

function webSocketMessage(frame: WsFrame, index: number): HarWebSocketMessage {
  const body = Buffer.from(frame.body, 'base64');
  const text = frame.opcode === 1 ? asText(body) : null;
  const message: HarWebSocketMessage = {
    type: frame.direction === 'client' ? 'send' : 'receive',
    time: Date.parse(frame.at) / 1000,
    opcode: text === null && frame.opcode === 1 ? 2 : frame.opcode,
    data: text ?? frame.body,
  };
  if (frame.decoded) message._decoded = frame.decoded.json;
  if (frame.seq !== index) message._seq = frame.seq;
  if (frame.size !== body.length) message._size = frame.size;
  if (frame.truncated) message._truncated = true;
  return message;
}

/** The summary's sizes include a WebSocket's frames; the message's own size is what is left. */
function framesSize(detail: ExchangeDetail, direction: WsFrame['direction']): number {
  return detail.frames.filter((f) => f.direction === direction).reduce((sum, f) => sum + f.size, 0);
}

/** The body as text when UTF-8 holds it exactly; null when only base64 does. */
function asText(body: Buffer): string | null {
  try {
    return utf8.decode(body);
  } catch {
    return null;
  }
}


function nameValues(headers: HeaderList): HarNameValue[] {
  return headers.map(([name, value]) => ({ name, value }));
}

function queryString(url: string): HarNameValue[] {
  return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
}

function requestCookies(headers: HeaderList): HarNameValue[] {
  return headers
    .filter(([name]) => name.toLowerCase() === 'cookie')
    .flatMap(([, value]) => value.split(/;\s*/))
    .filter((pair) => pair.includes('='))
    .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));
}

function responseCookies(headers: HeaderList): HarNameValue[] {
  return headers
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .map(([, value]) => value.split(';')[0])
    .filter((pair) => pair.includes('='))
    .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));
}
