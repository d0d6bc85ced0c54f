// Redaction of credentials in exchanges about to leave the machine. It works on the raw
// bytes (decoded JSON is derived from them again afterwards), first learning every token
// the selection carries, then replacing each wherever it appears with a stable
// placeholder: the same token always gives the same one, so correlation survives.
//
// Learned: ClientRequest.token and WsAuth.token (field 2 of each), the credentials of
// Authorization headers, cookie values (Cookie, Set-Cookie), `token=` query values, and
// every JWT found anywhere. Replaced: those fields and headers wherever they are, and any
// length-delimited protobuf field (at any depth, no schema needed) or text that is or
// contains a learned token or a JWT. A JWT placeholder keeps the header and claims (unless
// stripClaims) so sub and exp still show, with the signature replaced.

import { createHmac, randomBytes } from 'node:crypto';
import type { HeaderList } from '../model/types.ts';
import type { TappedFrame } from '../proxy/tap.ts';
import type { CapturedExchange } from './captured.ts';
import { isMessage, rewriteMessage } from './protobuf-rewrite.ts';

/** Shorter learned values are replaced where they stand but not searched for elsewhere: "1" would match everywhere. */
export const MIN_SEARCHED_LENGTH = 8;

const TOKEN_FIELD = 2;
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export interface RedactorOptions {
  /** Replace a JWT's claims too, with a pseudonymous sub only. */
  stripClaims?: boolean;
}

/** What was replaced, for the user: how many distinct tokens, and where, how often. */
export interface RedactionReport {
  tokens: number;
  fields: Record<string, number>;
}

export class Redactor {
  private readonly key = randomBytes(32);
  private readonly placeholders = new Map<string, string>();
  private readonly made = new Set<string>();
  /** Learned tokens long enough to search for, longest first once sorted. */
  private searched: string[] = [];
  private sorted = true;
  private readonly counts = new Map<string, number>();

  constructor(private readonly options: RedactorOptions = {}) {}

  /** First pass: remember every token this exchange carries. */
  learn({ flow, frames }: CapturedExchange): void {
    const exec = flow.kind === 'exec';
    this.learnBody(flow.request.body, exec, exec);
    if (flow.response) this.learnBody(flow.response.body, exec, false);
    for (const frame of frames) this.learnBody(frame.body, frame.opcode === 2, frame.direction === 'client');
    for (const [name, value] of [...flow.request.headers, ...(flow.response?.headers ?? [])]) {
      for (const token of headerTokens(name, value)) this.learnToken(token);
      this.learnJwtsIn(value);
    }
    for (const value of queryTokens(flow.request.path)) this.learnToken(value);
    this.learnJwtsIn(flow.request.path);
  }

  /** Second pass: the exchange with every learned token and JWT replaced. */
  redact(captured: CapturedExchange): CapturedExchange {
    const redacted = this.redactParts(captured);
    const { request, response } = redacted.flow;
    request.headers = lengthFixed(request.headers, captured.flow.request.size, request.size);
    if (response && captured.flow.response) response.headers = lengthFixed(response.headers, captured.flow.response.size, response.size);
    return redacted;
  }

  private redactParts(captured: CapturedExchange): CapturedExchange {
    const { flow, frames } = captured;
    const execLike = flow.kind === 'exec';
    return {
      ...captured,
      flow: {
        ...flow,
        request: {
          ...flow.request,
          path: this.redactPath(flow.request.path),
          headers: this.redactHeaders(flow.request.headers),
          ...resized(flow.request, execLike ? this.redactProtobuf(flow.request.body, true, 'ClientRequest') : this.redactText(flow.request.body, 'request body')),
        },
        response: flow.response && {
          ...flow.response,
          headers: this.redactHeaders(flow.response.headers),
          ...resized(flow.response, execLike ? this.redactProtobuf(flow.response.body, false, 'ServerResponse') : this.redactText(flow.response.body, 'response body')),
        },
        error: flow.error && { ...flow.error, message: this.redactString(flow.error.message, 'error') },
      },
      frames: frames.map((frame) => this.redactFrame(frame)),
      close: captured.close && { ...captured.close, reason: this.redactString(captured.close.reason, 'close reason') },
    };
  }

  /** Any other text bound for the output (a filter, a file name). */
  redactString(text: string, where: string): string {
    let out = text;
    for (const token of this.searchedTokens()) if (out.includes(token)) out = out.split(token).join(this.count(where, this.placeholder(token)));
    return out.replace(JWT, (jwt) => this.replaceJwt(jwt, where));
  }

  /** Every original token the output must not hold (the fail-closed check looks for these). */
  originals(): string[] {
    return [...this.searchedTokens()];
  }

  report(): RedactionReport {
    return { tokens: this.placeholders.size, fields: Object.fromEntries(this.counts) };
  }

  private redactFrame(frame: TappedFrame): TappedFrame {
    if (frame.opcode !== 2) return { ...frame, ...resized(frame, this.redactText(frame.body, 'WebSocket text frame')) };
    const client = frame.direction === 'client';
    return { ...frame, ...resized(frame, this.redactProtobuf(frame.body, client, client ? 'WsAuth' : 'WsEvent')) };
  }

  private redactProtobuf(bytes: Uint8Array, hasTokenField: boolean, type: string): Uint8Array {
    const rewritten = rewriteMessage(bytes, (value, path, looksLikeMessage) => {
      if (hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD) {
        if (value.length === 0) return null;
        return Buffer.from(this.count(`${type}.token`, this.placeholder(Buffer.from(value).toString('utf8'))));
      }
      const text = Buffer.from(value).toString('utf8');
      if ((text.length >= MIN_SEARCHED_LENGTH && this.placeholders.has(text)) || (isJwt(text) && !this.made.has(text))) {
        return Buffer.from(this.count(`${type} field ${path.join('.')}`, this.placeholder(text)));
      }
      if (looksLikeMessage) return 'descend';
      return this.replaceInBytes(value, `${type} field ${path.join('.')}`);
    });
    // Bytes that are no message (malformed, or not protobuf at all) are searched as text.
    return rewritten ?? this.redactText(bytes, `${type} bytes`);
  }

  /** A placeholder already put in (JWT-shaped itself) stays as it is. */
  private replaceJwt(jwt: string, where: string): string {
    return isJwt(jwt) && !this.made.has(jwt) ? this.count(where, this.placeholder(jwt)) : jwt;
  }

  private redactText(bytes: Uint8Array, where: string): Uint8Array {
    return this.replaceInBytes(bytes, where) ?? bytes;
  }

  /** Learned tokens and JWTs inside the bytes, replaced in a latin-1 view so every other byte is kept. */
  private replaceInBytes(bytes: Uint8Array, where: string): Uint8Array | null {
    if (bytes.length === 0) return null;
    const text = latin1(bytes);
    let out = text;
    for (const token of this.searchedTokens()) {
      const needle = Buffer.from(token).toString('latin1');
      if (out.includes(needle)) out = out.split(needle).join(this.count(where, this.placeholder(token)));
    }
    out = out.replace(JWT, (jwt) => this.replaceJwt(jwt, where));
    return out === text ? null : Buffer.from(out, 'latin1');
  }

  private redactHeaders(headers: HeaderList): HeaderList {
    return headers.map(([name, value]) => {
      const lower = name.toLowerCase();
      if (lower === 'authorization' || lower === 'proxy-authorization') {
        const space = value.indexOf(' ');
        const credential = space < 0 ? value : value.slice(space + 1);
        if (credential === '') return [name, value];
        return [name, `${space < 0 ? '' : value.slice(0, space + 1)}${this.count(`${name} header`, this.placeholder(credential))}`];
      }
      if (lower === 'cookie') return [name, this.redactCookies(value, '; ', `${name} header`)];
      if (lower === 'set-cookie') {
        const semicolon = value.indexOf(';');
        const pair = semicolon < 0 ? value : value.slice(0, semicolon);
        return [name, this.redactCookies(pair, '', `${name} header`) + (semicolon < 0 ? '' : value.slice(semicolon))];
      }
      return [name, this.redactString(value, `${name} header`)];
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
      const head = path.slice(0, query + 1);
      const params = path
        .slice(query + 1)
        .split('&')
        .map((param) => {
          const eq = param.indexOf('=');
          if (eq < 0 || param.slice(0, eq) !== 'token' || eq === param.length - 1) return param;
          const original = safeDecode(param.slice(eq + 1));
          return `token=${encodeURIComponent(this.count('token= query', this.placeholder(original)))}`;
        });
      out = head + params.join('&');
    }
    return this.redactString(out, 'path');
  }

  /**
   * Protobuf is searched field by field: a JWT is a whole field, or inside a text one. A
   * search over the raw bytes would run a JWT on into the tag byte after it.
   */
  private learnBody(bytes: Uint8Array, protobuf: boolean, hasTokenField: boolean): void {
    if (!protobuf || !isMessage(bytes)) {
      this.learnJwtsIn(latin1(bytes));
      return;
    }
    rewriteMessage(bytes, (value, path, looksLikeMessage) => {
      const text = Buffer.from(value).toString('utf8');
      if (hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD) this.learnToken(text);
      else if (isJwt(text)) this.learnToken(text);
      else if (looksLikeMessage) return 'descend';
      else this.learnJwtsIn(text);
      return null;
    });
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
        this.sorted = false;
      }
    }
    return found;
  }

  private makePlaceholder(token: string): string {
    const digest = createHmac('sha256', this.key).update(token).digest();
    if (isJwt(token)) {
      const [header, claims] = token.split('.');
      const keptClaims = this.options.stripClaims
        ? Buffer.from(JSON.stringify({ sub: `redacted-${digest.toString('hex', 0, 4)}` })).toString('base64url')
        : claims;
      return `${header}.${keptClaims}.redacted${digest.toString('base64url', 0, 12)}`;
    }
    return `redacted-${digest.toString('hex', 0, 8)}`;
  }

  private searchedTokens(): string[] {
    if (!this.sorted) {
      this.searched.sort((a, b) => b.length - a.length);
      this.sorted = true;
    }
    return this.searched;
  }

  /** Tallies one replacement in `where` and hands the placeholder on. */
  private count(where: string, placeholder: string): string {
    this.counts.set(where, (this.counts.get(where) ?? 0) + 1);
    return placeholder;
  }
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

function headerTokens(name: string, value: string): string[] {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ');
    return [space < 0 ? value : value.slice(space + 1)];
  }
  if (lower === 'cookie' || lower === 'set-cookie') {
    const pairs = lower === 'cookie' ? value.split(/;\s*/) : [value.split(';')[0]];
    return pairs.map((pair) => pair.slice(pair.indexOf('=') + 1)).filter((v, i) => pairs[i].includes('=') && v !== '');
  }
  return [];
}

function queryTokens(path: string): string[] {
  const query = path.indexOf('?');
  if (query < 0) return [];
  return path
    .slice(query + 1)
    .split('&')
    .filter((param) => param.startsWith('token=') && param.length > 'token='.length)
    .map((param) => safeDecode(param.slice('token='.length)));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A JWT as the summary reads one: three base64url parts, the first a JSON header with alg. */
export function isJwt(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 3 || !parts[0].startsWith('eyJ')) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header && typeof claims === 'object' && claims !== null;
  } catch {
    return false;
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
