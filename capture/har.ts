// The HAR 1.2 shapes this tool writes and reads, with the custom fields browsers and
// HTTP Toolkit add for WebSockets and those this tool adds for lossless bodies.

import type { ExchangeState, JsonValue } from '../model/types.ts';

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarPostData {
  mimeType: string;
  text?: string;
  /** This tool's: "base64" when text holds the bytes in base64 (HAR 1.2 has no encoding here). */
  _encoding?: 'base64';
  _decoded?: JsonValue;
}

export interface HarContent {
  size: number;
  mimeType: string;
  text?: string;
  encoding?: 'base64';
  _decoded?: JsonValue;
}

export interface HarWebSocketMessage {
  type: 'send' | 'receive' | 'error';
  /** Epoch seconds, fractional (Chrome, HTTP Toolkit); Playwright writes milliseconds. */
  time: number;
  opcode: number;
  /** UTF-8 text for opcode 1, base64 otherwise. */
  data: string;
  _decoded?: JsonValue;
  /** This tool's, only where they differ from what data and the message's place say. */
  _seq?: number;
  _size?: number;
  _truncated?: boolean;
}

/** This tool's summary of an entry, and what a round trip needs that HAR has no field for. */
export interface HarCa2 {
  /** Which exchange of which recording this is (storage/content-keys.ts): an import skips one the recording has. */
  id?: string;
  kind: 'exec' | 'ws' | 'http';
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string[];
  problems: string[];
  state: ExchangeState;
  error: string | null;
  durationMs: number | null;
  requestTruncated?: boolean;
  responseTruncated?: boolean;
  closedBy?: 'client' | 'server' | 'proxy';
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: HarPostData;
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    content: HarContent;
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  _resourceType?: string;
  _webSocketMessages?: HarWebSocketMessage[];
  _webSocketClose?: { code: number | null; reason: string; timestamp: number };
  _ca2?: HarCa2;
}

export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    entries: HarEntry[];
    _ca2?: { madeAt: string; filter: string; redacted: boolean };
  };
}
