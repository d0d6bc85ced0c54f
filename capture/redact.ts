// Redaction of credentials in exchanges about to leave the machine. It works on the raw
// bytes (decoded JSON is derived from them again afterwards), first learning every token
// the selection carries, then replacing each wherever it appears, in every form
// (capture/token-forms.ts), with a stable placeholder: the same token always gives the
// same one, so correlation survives.
//
// Learned: ClientRequest.token and WsAuth.token (field 2 of each, also from a message that
// breaks off after it); the credentials of Authorization-like headers, cookie values, and
// the values of headers, query and form parameters and JSON fields named for a credential
// (namesCredential), protobuf fields too when the schema names them; token-like text in
// the responses of the auth service; and every JWT found anywhere. Replaced: those fields
// and headers where they stand, whatever their length, and every learned token of 8
// characters or more wherever it appears.

import { createHmac, randomBytes } from 'node:crypto';
import type { HeaderList, JsonValue, MessageType } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import type { Flow, FlowFrame, FlowRequest, FlowResponse } from '../model/flow.ts';
import { rewriteMessage, wellFormedPrefix, type Replacer } from './protobuf-rewrite.ts';
import { formIndex, type FormIndex, type TokenForm } from './token-forms.ts';
import { isJwt, readJwt } from '../model/jwt.ts';
import { headerValue } from '../model/headers.ts';

/** Shorter learned values are replaced where they stand but not searched for elsewhere: "1" would match everywhere. */
export const MIN_SEARCHED_LENGTH = 8;

const TOKEN_FIELD = 2;
/** ServerResponse.auth: the answers to login and refresh, where the server hands out tokens. */
const AUTH_FIELD = 11;
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** An auth response's text that reads as a token: 16 or more characters of a token's alphabet, letters and digits both. */
const TOKEN_LIKE = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9._~+/=-]{16,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CREDENTIAL_NAME = /token|key|secret|session|credential|signature/i;
/** Names of what describes a credential rather than holds it: its id, type, name, size or expiry. */
const DESCRIBES_CREDENTIAL = /(ids?|type|name|count|size|length|expires?|expiry|ttl|at|ms|url|uri)$/i;
const SESSION_ID = /sess(ion)?[_-]?id$/i;
/** Header names that say "auth" or "key" but hold a challenge or a handshake nonce, not a credential. */
const NOT_CREDENTIAL_HEADERS = new Set(['www-authenticate', 'proxy-authenticate', 'authentication-info', 'proxy-authentication-info', 'sec-websocket-key', 'sec-websocket-accept']);

export interface RedactorOptions {
  /** Replace a JWT's claims too, with a pseudonymous sub only. */
  stripClaims?: boolean;
  /** The schema the bodies decode with: its field names say which fields hold credentials. */
  codec?: Codec;
}

/** What was replaced, for the user: how many distinct tokens, and where, how often. */
export interface RedactionReport {
  tokens: number;
  fields: Record<string, number>;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** A field, parameter or header name whose value is a credential: it names a token, key, secret, session or signature, and not only its id, type or expiry. */
export function namesCredential(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && (!DESCRIBES_CREDENTIAL.test(name) || SESSION_ID.test(name));
}

export class Redactor {
  private readonly key = randomBytes(32);
  private readonly placeholders = new Map<string, string>();
  private readonly sameLength = new Map<string, string>();
  private readonly made = new Set<string>();
  /** Learned tokens long enough to search for. */
  private readonly searched: string[] = [];
  /** Every form of every searched token; made again once more are learned. */
  private patterns: FormIndex | null = null;
  private readonly counts = new Map<string, number>();
  /**
   * Token-like text of auth responses that no field name vouches for, learned once every
   * exchange is: the user id a login answers is also the sub its JWT carries, and the
   * claims are kept on purpose, so such a value is no secret.
   */
  private readonly guessed = new Set<string>();

  constructor(private readonly options: RedactorOptions = {}) {}

  /**
   * First pass: remember every token this exchange carries, in both versions where a rule
   * changed it in flight: a token the client sent is the same secret whether or not a rule
   * sent another upstream.
   */
  learn(flow: Flow): void {
    const { frames, close, request } = flow;
    const requests = [request, flow.original?.request ?? null].filter((m) => m !== null);
    const responses = [flow.response, flow.original?.response ?? null].filter((m) => m !== null);
    for (const message of requests) {
      if (flow.kind === 'exec') this.learnMessage('ClientRequest', message.body);
      else this.learnText(message.body, message.headers);
    }
    for (const message of responses) {
      if (flow.kind === 'exec') this.learnMessage('ServerResponse', message.body);
      else this.learnText(message.body, message.headers);
    }
    for (const frame of frames) {
      for (const body of frame.original === undefined ? [frame.body] : [frame.body, frame.original]) {
        if (frame.opcode === 2) this.learnMessage(frame.direction === 'client' ? 'WsAuth' : 'WsEvent', body);
        else this.learnText(body, []);
      }
    }
    for (const [name, value] of [...requests, ...responses].flatMap((m) => m.headers)) {
      const span = credentialSpan(name, value);
      if (span) this.learnToken(value.slice(span[0], span[1]));
      for (const cookie of cookieValues(name, value)) this.learnToken(cookie);
      this.learnJwtsIn(value);
    }
    for (const [, value] of credentialParams(request.path)) this.learnToken(value);
    for (const text of [request.path, flow.error?.message ?? '', close?.reason ?? '']) this.learnJwtsIn(text);
  }

  /** Second pass: the exchange with every learned token and JWT replaced, in the versions rules replaced too. */
  redact(flow: Flow): Flow {
    this.settle();
    const redacted: Flow = {
      ...flow,
      request: this.redactRequest(flow, flow.request),
      response: flow.response && this.redactResponse(flow, flow.response),
      error: flow.error && { ...flow.error, message: this.redactString(flow.error.message, 'error') },
      frames: flow.frames.map((frame) => this.redactFrame(frame)),
      close: flow.close && { ...flow.close, reason: this.redactCloseReason(flow.close.reason) },
    };
    const original = flow.original;
    if (original) {
      redacted.original = {
        request: original.request && this.redactRequest(flow, original.request),
        response: original.response && this.redactResponse(flow, original.response),
      };
    }
    return redacted;
  }

  private redactRequest(flow: Flow, request: FlowRequest): FlowRequest {
    const body = flow.kind === 'exec' ? this.redactProtobuf(request.body, 'ClientRequest') : this.redactText(request.body, 'request body');
    const redacted = { ...request, path: this.redactPath(request.path), headers: this.redactHeaders(request.headers), ...resized(request, body) };
    return { ...redacted, headers: lengthFixed(redacted.headers, request.size, redacted.size) };
  }

  private redactResponse(flow: Flow, response: FlowResponse): FlowResponse {
    const body = flow.kind === 'exec' ? this.redactProtobuf(response.body, 'ServerResponse') : this.redactText(response.body, 'response body');
    const redacted = { ...response, headers: this.redactHeaders(response.headers), ...resized(response, body) };
    return { ...redacted, headers: lengthFixed(redacted.headers, response.size, redacted.size) };
  }

  /** Any other text bound for the output (a filter, a file name). */
  redactString(text: string, where: string): string {
    this.settle();
    return this.replace(text, where, false, false);
  }

  /** Every original token the output must not hold, in any form (the fail-closed check looks for these). */
  originals(): string[] {
    this.settle();
    return [...this.searched];
  }

  report(): RedactionReport {
    this.settle();
    return { tokens: this.placeholders.size, fields: Object.fromEntries(this.counts) };
  }

  /** A close reason never grows, so one of 123 bytes, all a close frame allows, stays sendable. */
  private redactCloseReason(reason: string): string {
    return this.replace(reason, 'close reason', false, true);
  }

  private redactFrame(frame: FlowFrame): FlowFrame {
    const redactBody = (body: Uint8Array) =>
      frame.opcode === 2 ? this.redactProtobuf(body, frame.direction === 'client' ? 'WsAuth' : 'WsEvent') : this.redactText(body, 'WebSocket text frame');
    const redacted = { ...frame, ...resized(frame, redactBody(frame.body)) };
    if (frame.original !== undefined) redacted.original = redactBody(frame.original);
    return redacted;
  }

  /**
   * Field by field, fixing every length prefix. A message that breaks off is rewritten up
   * to the break and the rest searched as bytes; bytes that are no message are text.
   */
  private redactProtobuf(bytes: Uint8Array, type: MessageType): Uint8Array {
    const hasTokenField = type === 'ClientRequest' || type === 'WsAuth';
    const replace: Replacer = (value, path, looksLikeMessage) => {
      const where = `${type} field ${path.join('.')}`;
      const text = utf8(value);
      if (hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD) {
        if (value.length === 0) return null;
        return Buffer.from(this.count(`${type}.token`, this.placeholder(text)));
      }
      if ((text.length >= MIN_SEARCHED_LENGTH && this.placeholders.has(text)) || (isJwt(text) && !this.made.has(text))) {
        return Buffer.from(this.count(where, this.placeholder(text)));
      }
      // A text that happens to parse as a message is still searched as text when its "fields" held nothing.
      if (looksLikeMessage) return rewriteMessage(value, replace, path) ?? this.replaceInBytes(value, where);
      return this.replaceInBytes(value, where);
    };
    const end = wellFormedPrefix(bytes);
    if (end === 0) return this.redactText(bytes, `${type} bytes`);
    const head = bytes.subarray(0, end);
    const rewritten = rewriteMessage(head, replace) ?? head;
    if (end === bytes.length) return rewritten;
    return Buffer.concat([rewritten, this.redactText(bytes.subarray(end), `${type} bytes`)]);
  }

  private redactText(bytes: Uint8Array, where: string): Uint8Array {
    return this.replaceInBytes(bytes, where) ?? bytes;
  }

  /** Learned tokens and JWTs inside the bytes, replaced in a latin-1 view so every other byte is kept. */
  private replaceInBytes(bytes: Uint8Array, where: string): Uint8Array | null {
    if (bytes.length === 0) return null;
    const text = latin1(bytes);
    const out = this.replace(text, where, true, false);
    return out === text ? null : Buffer.from(out, 'latin1');
  }

  /**
   * Every form of every learned token, and every JWT, replaced in one pass over `text`, so
   * a placeholder put in is never searched again. A second pass finds what overlapped a
   * replacement (two tokens side by side in base64) or sat in the claims a JWT placeholder
   * keeps. `sameLength` replaces each with a placeholder of its own length.
   */
  private replace(text: string, where: string, bytes: boolean, sameLength: boolean): string {
    let out = this.replacePass(text, where, bytes, sameLength, true);
    for (let pass = 0; pass < 3; pass++) {
      const next = this.replacePass(out, where, bytes, sameLength, false);
      if (next === out) break;
      out = next;
    }
    return out;
  }

  private replacePass(text: string, where: string, bytes: boolean, sameLength: boolean, jwts: boolean): string {
    const edits: Edit[] = [];
    const patterns = (this.patterns ??= formIndex(this.searched));
    if (patterns) {
      for (const match of text.matchAll(bytes ? patterns.bytes : patterns.text)) {
        const found = patterns.forms.get(match[0])!;
        const edit = this.edit(text, match.index!, match[0], found, sameLength);
        if (edit) edits.push(edit);
      }
    }
    if (jwts) {
      for (const match of text.matchAll(JWT)) {
        const jwt = match[0];
        if (!isJwt(jwt) || this.made.has(jwt)) continue;
        edits.push({ start: match.index!, end: match.index! + jwt.length, text: sameLength ? this.sameLengthPlaceholder(jwt) : this.placeholder(jwt) });
      }
    }
    if (edits.length === 0) return text;
    edits.sort((a, b) => a.start - b.start || b.end - a.end);
    let out = '';
    let pos = 0;
    for (const edit of edits) {
      if (edit.start < pos) continue;
      out += text.slice(pos, edit.start) + this.count(where, edit.text);
      pos = edit.end;
    }
    return out + text.slice(pos);
  }

  /** The replacement for one form found at `at`; null for base64 whose surroundings do not decode to the token. */
  private edit(text: string, at: number, found: string, { token, form }: { token: string; form: TokenForm }, sameLength: boolean): Edit | null {
    const end = at + found.length;
    switch (form.kind) {
      case 'plain':
        return { start: at, end, text: sameLength ? this.sameLengthPlaceholder(token) : this.placeholder(token) };
      case 'percent':
        return { start: at, end, text: encodeURIComponent(sameLength ? this.sameLengthPlaceholder(token) : this.placeholder(token)) };
      case 'hex': {
        const hex = Buffer.from(this.sameLengthPlaceholder(token)).toString('hex');
        return { start: at, end, text: found === found.toLowerCase() ? hex : hex.toUpperCase() };
      }
      case 'base64':
        return this.base64Edit(text, at, token, form);
    }
  }

  /**
   * The whole 4-character groups around a base64 form, decoded, the token's bytes swapped for
   * a placeholder of the same length, and encoded again in the same alphabet: every byte
   * around it, and the length of the text, stay as they were.
   */
  private base64Edit(text: string, at: number, token: string, form: TokenForm): Edit | null {
    const start = at - form.lead;
    if (start < 0) return null;
    const original = Buffer.from(token);
    const groups = Math.ceil((form.offset + original.length) / 3) * 4;
    let end = start;
    while (end < text.length && end - start < groups && /[A-Za-z0-9+/_=-]/.test(text[end])) end++;
    const window = text.slice(start, end);
    const unpadded = window.replace(/=+$/, '');
    const decoded = Buffer.from(unpadded, 'base64');
    if (!decoded.subarray(form.offset, form.offset + original.length).equals(original)) return null;
    Buffer.from(this.sameLengthPlaceholder(token)).copy(decoded, form.offset);
    const url = base64urlAround(text, start, end);
    const encoded = decoded.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
    if (encoded.length !== unpadded.length) return null;
    return { start, end, text: encoded + window.slice(unpadded.length) };
  }

  private redactHeaders(headers: HeaderList): HeaderList {
    return headers.map(([name, value]) => {
      const lower = name.toLowerCase();
      const where = `${name} header`;
      if (lower === 'cookie') return [name, this.redactCookies(value, '; ', where)];
      if (lower === 'set-cookie') {
        const semicolon = value.indexOf(';');
        const pair = semicolon < 0 ? value : value.slice(0, semicolon);
        return [name, this.redactCookies(pair, '', where) + (semicolon < 0 ? '' : value.slice(semicolon))];
      }
      const span = credentialSpan(name, value);
      if (span) {
        const placeholder = this.count(where, this.placeholder(value.slice(span[0], span[1])));
        return [name, value.slice(0, span[0]) + placeholder + value.slice(span[1])];
      }
      return [name, this.redactString(value, where)];
    });
  }

  private redactCookies(value: string, separator: string, where: string): string {
    const pairs = separator ? value.split(/;\s*/) : [value];
    return pairs
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0 || eq === pair.length - 1) return pair;
        return `${pair.slice(0, eq + 1)}${this.count(where, this.placeholder(pair.slice(eq + 1)))}`;
      })
      .join(separator || '; ');
  }

  private redactPath(path: string): string {
    const query = path.indexOf('?');
    let out = path;
    if (query >= 0) {
      const params = path
        .slice(query + 1)
        .split('&')
        .map((param) => {
          const eq = param.indexOf('=');
          if (eq < 0 || eq === param.length - 1 || !namesCredential(safeDecode(param.slice(0, eq)))) return param;
          const name = param.slice(0, eq);
          return `${name}=${encodeURIComponent(this.count(`${safeDecode(name)}= query`, this.placeholder(safeDecode(param.slice(eq + 1)))))}`;
        });
      out = path.slice(0, query + 1) + params.join('&');
    }
    return this.redactString(out, 'path');
  }

  /**
   * Protobuf is searched field by field: a JWT is a whole field, or inside a text one. A
   * search over the raw bytes would run a JWT on into the tag byte after it. The fields
   * before a break are read like any; the bytes after it are text.
   */
  private learnMessage(type: MessageType, bytes: Uint8Array): void {
    const hasTokenField = type === 'ClientRequest' || type === 'WsAuth';
    const end = wellFormedPrefix(bytes);
    rewriteMessage(bytes.subarray(0, end), (value, path, looksLikeMessage) => {
      const text = utf8(value);
      if (hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD) this.learnToken(text);
      else if (isJwt(text)) this.learnToken(text);
      else if (type === 'ServerResponse' && path[0] === AUTH_FIELD && TOKEN_LIKE.test(text) && !UUID.test(text)) this.guessed.add(text);
      else if (looksLikeMessage) return 'descend';
      else this.learnJwtsIn(text);
      return null;
    });
    if (end < bytes.length) this.learnText(bytes.subarray(end), []);
    if (this.options.codec) this.learnNamed(this.options.codec.decode(type, bytes).json);
  }

  /** A text body or frame: its JWTs, and when it is JSON or a form, the values of its credential fields. */
  private learnText(bytes: Uint8Array, headers: HeaderList): void {
    if (bytes.length === 0) return;
    this.learnJwtsIn(latin1(bytes));
    const text = utf8(bytes);
    if (/^\s*[[{]/.test(text)) {
      try {
        this.learnNamed(JSON.parse(text) as JsonValue);
      } catch {
        // Not JSON after all: its JWTs are learned above.
      }
    }
    const type = headerValue(headers, 'content-type') ?? '';
    if (/application\/x-www-form-urlencoded/i.test(type)) for (const [, value] of credentialParams(`?${text}`)) this.learnToken(value);
  }

  /** The text values of every field named for a credential, at any depth. */
  private learnNamed(json: JsonValue): void {
    if (Array.isArray(json)) {
      for (const item of json) this.learnNamed(item);
    } else if (json !== null && typeof json === 'object') {
      for (const [name, value] of Object.entries(json)) {
        if (namesCredential(name)) for (const text of [value].flat()) if (typeof text === 'string') this.learnToken(text);
        this.learnNamed(value);
      }
    }
  }

  /** Learns the guessed tokens that are not the claims of a JWT whose claims stay readable. */
  private settle(): void {
    if (this.guessed.size === 0) return;
    const claims = new Set<string>();
    if (!this.options.stripClaims) {
      for (const token of this.placeholders.keys()) if (isJwt(token)) for (const value of claimValues(token)) claims.add(value);
    }
    for (const text of this.guessed) if (!claims.has(text)) this.learnToken(text);
    this.guessed.clear();
  }

  private learnJwtsIn(text: string): void {
    for (const jwt of text.match(JWT) ?? []) if (isJwt(jwt)) this.learnToken(jwt);
  }

  private learnToken(token: string): void {
    if (token === '' || this.placeholders.has(token)) return;
    this.placeholder(token);
  }

  private placeholder(token: string): string {
    let found = this.placeholders.get(token);
    if (found === undefined) {
      found = this.makePlaceholder(token);
      this.placeholders.set(token, found);
      this.made.add(found);
      if (token.length >= MIN_SEARCHED_LENGTH) {
        this.searched.push(token);
        this.patterns = null;
      }
    }
    return found;
  }

  private makePlaceholder(token: string): string {
    const digest = this.digest(token);
    if (isJwt(token)) {
      const [header, claims] = token.split('.');
      const keptClaims = this.options.stripClaims
        ? Buffer.from(JSON.stringify({ sub: `redacted-${digest.toString('hex', 0, 4)}` })).toString('base64url')
        : claims;
      return `${header}.${keptClaims}.redacted${digest.toString('base64url', 0, 12)}`;
    }
    return `redacted-${digest.toString('hex', 0, 8)}`;
  }

  /** ASCII, as many bytes as the token: for a close reason, and inside base64 and hex, where lengths must hold. */
  private sameLengthPlaceholder(token: string): string {
    let found = this.sameLength.get(token);
    if (found === undefined) {
      const hex = this.digest(token).toString('hex');
      found = `redacted-${hex}`.padEnd(Buffer.byteLength(token), hex).slice(0, Buffer.byteLength(token));
      this.sameLength.set(token, found);
    }
    return found;
  }

  private digest(token: string): Buffer {
    return createHmac('sha256', this.key).update(token).digest();
  }

  /** Tallies one replacement in `where` and hands the placeholder on. */
  private count(where: string, placeholder: string): string {
    this.counts.set(where, (this.counts.get(where) ?? 0) + 1);
    return placeholder;
  }
}

/** Whether the base64 text around [start, end) uses the URL-safe alphabet. */
function base64urlAround(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && /[A-Za-z0-9+/_-]/.test(text[from - 1])) from--;
  while (to < text.length && /[A-Za-z0-9+/_-]/.test(text[to])) to++;
  const run = text.slice(from, to);
  return /[-_]/.test(run) && !/[+/]/.test(run);
}

/** A redacted body with its wire size moved by as much as the body grew or shrank. */
function resized(message: { body: Uint8Array; size: number }, body: Uint8Array): { body: Uint8Array; size: number } {
  return { body, size: message.size + body.length - message.body.length };
}

/** Content-Length follows a body that redaction resized, so the message still reads whole. */
function lengthFixed(headers: HeaderList, before: number, after: number): HeaderList {
  if (before === after) return headers;
  return headers.map(([name, value]) => (name.toLowerCase() === 'content-length' && value.trim() === String(before) ? [name, String(after)] : [name, value]));
}

/**
 * Where a header's credential lies in its value: after the scheme of an Authorization-like
 * header (`Bearer  TOKEN` gives `TOKEN`, whatever the spaces), or the whole value, trimmed, of
 * a header named for a credential (`X-Api-Key`). Null for any other header, and for cookies.
 */
function credentialSpan(name: string, value: string): [number, number] | null {
  const lower = name.toLowerCase();
  if (lower === 'cookie' || lower === 'set-cookie' || NOT_CREDENTIAL_HEADERS.has(lower)) return null;
  if (!lower.includes('auth') && !namesCredential(lower)) return null;
  const start = value.length - value.trimStart().length;
  const end = value.trimEnd().length;
  if (start >= end) return null;
  const scheme = lower.includes('auth') ? /^(\S+\s+)\S/.exec(value.slice(start, end)) : null;
  return [start + (scheme ? scheme[1].length : 0), end];
}

function cookieValues(name: string, value: string): string[] {
  const lower = name.toLowerCase();
  if (lower !== 'cookie' && lower !== 'set-cookie') return [];
  const pairs = lower === 'cookie' ? value.split(/;\s*/) : [value.split(';')[0]];
  return pairs.filter((pair) => pair.includes('=')).map((pair) => pair.slice(pair.indexOf('=') + 1)).filter((v) => v !== '');
}

/** The query parameters named for a credential, decoded. */
function credentialParams(path: string): [string, string][] {
  const query = path.indexOf('?');
  if (query < 0) return [];
  return path
    .slice(query + 1)
    .split('&')
    .map((param): [string, string] => {
      const eq = param.indexOf('=');
      return eq < 0 ? [safeDecode(param), ''] : [safeDecode(param.slice(0, eq)), safeDecode(param.slice(eq + 1))];
    })
    .filter(([name, value]) => value !== '' && namesCredential(name));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The text values of a JWT's claims (sub, jti, …). */
function claimValues(jwt: string): string[] {
  return Object.values(readJwt(jwt) ?? {}).filter((value): value is string => typeof value === 'string');
}
