// The HAR 1.2 shapes this tool writes and reads, with the custom fields browsers and
// HTTP Toolkit add for WebSockets and those this tool adds for lossless bodies and for
// what rules changed in flight.

import type { BreakpointEdit, FrameMark } from '../model/flow.ts';
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
  /** The rule that changed, dropped or injected the frame. */
  _rule?: string;
  /** dropped: the sender's frame, which a rule kept from the other side; injected: a rule's, which no side sent; breakpoint: edited by a user at a breakpoint. */
  _mark?: FrameMark;
  /** The bytes the side sent, in base64, where a rule relayed others (data) in their place. */
  _original?: string;
  _originalDecoded?: JsonValue;
}

/** The request as the client sent it, where a rule changed what went upstream (the entry's request). */
export interface HarOriginalRequest {
  headers: HarNameValue[];
  bodySize: number;
  postData?: HarPostData;
}

/** The response as the upstream answered it, where a rule changed what the client got (the entry's response). */
export interface HarOriginalResponse {
  status: number;
  headers: HarNameValue[];
  bodySize: number;
  content: HarContent;
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
  /** The rules that changed the exchange or its frames, in the order they first did. */
  rules?: string[];
  /** Which messages a user edited (or, for the response, wrote) at a breakpoint. */
  editedAtBreakpoint?: BreakpointEdit[];
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
    _original?: HarOriginalRequest;
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
    _original?: HarOriginalResponse;
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
