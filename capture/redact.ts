// Redaction of credentials in exchanges about to leave the machine. It works on the raw
// bytes (decoded JSON is derived from them again afterwards), first learning every token
// the selection carries, then replacing each wherever it appears, in every form
// (capture/token-forms.ts, capture/token-replace.ts), with a stable placeholder
// (capture/placeholders.ts): the same token always gives the same one, so correlation
// survives.
//
// Learned: ClientRequest.token and WsAuth.token (field 2 of each, also from a message that
// breaks off after it); the credentials of Authorization-like headers, cookie values, and
// the values of headers, query and form parameters and JSON fields named for a credential
// (capture/credentials.ts), protobuf fields too when the schema names them; token-like
// text in the responses of the auth service; and every JWT found anywhere. Replaced: those
// fields and headers where they stand, whatever their length, and every learned token of
// 8 characters or more wherever it appears.

import type { HeaderList, JsonValue, MessageType } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { asBuffer } from '../proto/scalars.ts';
import { topLevelFields } from '../proto/top-level-fields.ts';
import type { Flow, FlowFrame, FlowRequest, FlowResponse } from '../model/flow.ts';
import { cookieValues, credentialParams, credentialSpan, namesCredential, readsAsToken, safeDecode } from './credentials.ts';
import { MIN_SEARCHED_LENGTH, Placeholders } from './placeholders.ts';
import { rewriteMessage, wellFormedPrefix, type Replacer } from './protobuf-rewrite.ts';
import { JWT, replaceTokens } from './token-replace.ts';
import { HeaderMemory } from './header-memory.ts';
import { isJwt, readJwt } from '../model/jwt.ts';
import { headerValue } from '../model/headers.ts';

const TOKEN_FIELD = 2;
/** ServerResponse.auth: the answers to login and refresh, where the server hands out tokens. */
const AUTH_FIELD = 11;
const JWT_START = Buffer.from('eyJ');
/** Header pairs remembered as learned from, and as redacted. */
const REMEMBERED_HEADERS = 20_000;
/** Message keys remembered as naming a credential or not: field names and map keys, a few dozen in most schemas. */
const REMEMBERED_KEYS = 10_000;

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

export class Redactor {
  private readonly placeholders: Placeholders;
  private readonly counts = new Map<string, number>();
  /**
   * Token-like text of auth responses that no field name vouches for, learned once every
   * exchange is: the user id a login answers is also the sub its JWT carries, and the
   * claims are kept on purpose, so such a value is no secret.
   */
  private readonly guessed = new Set<string>();
  /** Header pairs already learned from. */
  private readonly headersLearnedFrom = new HeaderMemory<true>(REMEMBERED_HEADERS);
  /** Header pairs as redacted, and how many replacements each made, while `headersLearned` tokens are learned. */
  private readonly redactedHeaders = new HeaderMemory<{ value: string; replaced: number }>(REMEMBERED_HEADERS);
  private headersLearned = 0;
  /** Whether each key seen in a message names a credential. */
  private readonly keysNamingCredentials = new Map<string, boolean>();
  /** Each placeholder's bytes, made once: every request's token field takes one, and rewriteMessage copies it into a new message. */
  private readonly placeholderBytes = new Map<string, Buffer>();

  constructor(private readonly options: RedactorOptions = {}) {
    this.placeholders = new Placeholders(options.stripClaims === true);
  }

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
    for (const message of [...requests, ...responses]) for (const [name, value] of message.headers) this.learnHeader(name, value);
    for (const [, value] of credentialParams(request.path)) this.learnToken(value);
    for (const text of [request.path, flow.error?.message ?? '', close?.reason ?? '']) this.learnJwtsIn(text);
  }

  /** Calls repeat their headers: a pair learned from once has nothing more to teach. */
  private learnHeader(name: string, value: string): void {
    if (this.headersLearnedFrom.get(name, value)) return;
    const span = credentialSpan(name, value);
    if (span) this.learnToken(value.slice(span[0], span[1]));
    for (const cookie of cookieValues(name, value)) this.learnToken(cookie);
    this.learnJwtsIn(value);
    this.headersLearnedFrom.set(name, value, true);
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
    return [...this.placeholders.searched];
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
    // Most answers carry no token: field by field, nothing would be found that the bytes as a whole do not show.
    if (!hasTokenField && !this.mayHoldToken(bytes)) return bytes;
    const replace: Replacer = (value, path, looksLikeMessage) => {
      if (hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD) {
        if (value.length === 0) return null;
        return this.bytesOf(this.count(`${type}.token`, this.placeholders.of(utf8(value))));
      }
      // Bytes that show no learned token in any form and no JWT have nothing to replace, at any depth: most fields of a request.
      if (!this.mayHoldToken(value)) return null;
      const where = `${type} field ${path.join('.')}`;
      const text = utf8(value);
      if ((text.length >= MIN_SEARCHED_LENGTH && this.placeholders.has(text)) || (isJwt(text) && !this.placeholders.isPlaceholder(text))) {
        return this.bytesOf(this.count(where, this.placeholders.of(text)));
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

  private bytesOf(placeholder: string): Buffer {
    let bytes = this.placeholderBytes.get(placeholder);
    if (bytes === undefined) this.placeholderBytes.set(placeholder, (bytes = Buffer.from(placeholder)));
    return bytes;
  }

  /**
   * Whether the bytes hold a learned token in any form, or what may be a JWT: where neither
   * is, no part of them is replaced (the fields of a token field's message aside).
   */
  private mayHoldToken(bytes: Uint8Array): boolean {
    const text = latin1(bytes);
    return text.includes('eyJ') || (this.placeholders.forms()?.bytes.next(text) ?? null) !== null;
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

  /** `sameLength` replaces each token with a placeholder of its own length. */
  private replace(text: string, where: string, bytes: boolean, sameLength: boolean): string {
    return replaceTokens(text, this.placeholders, { bytes, sameLength }, (placeholder) => this.count(where, placeholder));
  }

  private redactHeaders(headers: HeaderList): HeaderList {
    return headers.map(([name, value]) => [name, this.redactHeader(name, value)]);
  }

  /**
   * Calls repeat their headers (Host, Content-Type, even Date), and a pair is redacted alike
   * each time while no token is learned: each is redacted once, its replacements tallied again
   * where it comes again. Searching every value was half of an /exec exchange's redaction.
   */
  private redactHeader(name: string, value: string): string {
    if (this.headersLearned !== this.placeholders.size) {
      this.redactedHeaders.clear();
      this.headersLearned = this.placeholders.size;
    }
    const where = `${name} header`;
    const known = this.redactedHeaders.get(name, value);
    if (known !== undefined) {
      if (known.replaced > 0) this.counts.set(where, (this.counts.get(where) ?? 0) + known.replaced);
      return known.value;
    }
    const before = this.counts.get(where) ?? 0;
    const redacted = this.redactHeaderValue(name, value, where);
    // A token learned on the way (a JWT no exchange revealed before) may be in values remembered: the next call starts again.
    if (this.headersLearned !== this.placeholders.size) return redacted;
    this.redactedHeaders.set(name, value, { value: redacted, replaced: (this.counts.get(where) ?? 0) - before });
    return redacted;
  }

  private redactHeaderValue(name: string, value: string, where: string): string {
    const lower = name.toLowerCase();
    if (lower === 'cookie') return this.redactCookies(value, '; ', where);
    if (lower === 'set-cookie') {
      const semicolon = value.indexOf(';');
      const pair = semicolon < 0 ? value : value.slice(0, semicolon);
      return this.redactCookies(pair, '', where) + (semicolon < 0 ? '' : value.slice(semicolon));
    }
    const span = credentialSpan(name, value);
    if (span) {
      const placeholder = this.count(where, this.placeholders.of(value.slice(span[0], span[1])));
      return value.slice(0, span[0]) + placeholder + value.slice(span[1]);
    }
    return this.redactString(value, where);
  }

  private redactCookies(value: string, separator: string, where: string): string {
    const pairs = separator ? value.split(/;\s*/) : [value];
    return pairs
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0 || eq === pair.length - 1) return pair;
        return `${pair.slice(0, eq + 1)}${this.count(where, this.placeholders.of(pair.slice(eq + 1)))}`;
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
          return `${name}=${encodeURIComponent(this.count(`${safeDecode(name)}= query`, this.placeholders.of(safeDecode(param.slice(eq + 1)))))}`;
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
    const { fields, end } = topLevelFields(bytes);
    // Field by field, only a token field, a JWT or an auth answer is learned: most messages have none of them.
    const walk = hasTokenField || holdsJwtStart(bytes) || (type === 'ServerResponse' && fields.some((field) => field.number === AUTH_FIELD));
    if (walk) {
      rewriteMessage(bytes.subarray(0, end), (value, path, looksLikeMessage) => {
        const tokenField = hasTokenField && path.length === 1 && path[0] === TOKEN_FIELD;
        // Elsewhere than the token field and an auth answer only JWTs are learned, and where the bytes hold no "eyJ" there is none.
        if (!tokenField && !(type === 'ServerResponse' && path[0] === AUTH_FIELD) && !holdsJwtStart(value)) return null;
        const text = utf8(value);
        if (tokenField) this.learnToken(text);
        else if (isJwt(text)) this.learnToken(text);
        else if (type === 'ServerResponse' && path[0] === AUTH_FIELD && readsAsToken(text)) this.guessed.add(text);
        else if (looksLikeMessage) return 'descend';
        else this.learnJwtsIn(text);
        return null;
      });
    }
    if (end < bytes.length) this.learnText(bytes.subarray(end), []);
    // Most messages hold no key named for a credential: the walk that says so costs a fraction of the JSON. The token field is learned above.
    const codec = this.options.codec;
    if (codec && codec.mayHoldKey(type, bytes, this.credentialKey, hasTokenField ? TOKEN_FIELD : 0)) this.learnNamed(codec.json(type, bytes));
  }

  /** namesCredential, remembered: messages repeat their field names and map keys. */
  private readonly credentialKey = (key: string): boolean => {
    let names = this.keysNamingCredentials.get(key);
    if (names === undefined) {
      names = namesCredential(key);
      if (this.keysNamingCredentials.size < REMEMBERED_KEYS) this.keysNamingCredentials.set(key, names);
    }
    return names;
  };

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
      // Read in place: this runs on every decoded message of the selection, and Object.entries and [value].flat() made two arrays per key.
      for (const name of Object.keys(json)) {
        const value = json[name];
        if (namesCredential(name)) {
          if (typeof value === 'string') this.learnToken(value);
          else if (Array.isArray(value)) for (const text of value) if (typeof text === 'string') this.learnToken(text);
        }
        this.learnNamed(value);
      }
    }
  }

  /** Learns the guessed tokens that are not the claims of a JWT whose claims stay readable. */
  private settle(): void {
    if (this.guessed.size === 0) return;
    const claims = new Set<string>();
    if (!this.options.stripClaims) {
      for (const token of this.placeholders.tokens()) if (isJwt(token)) for (const value of claimValues(token)) claims.add(value);
    }
    for (const text of this.guessed) if (!claims.has(text)) this.learnToken(text);
    this.guessed.clear();
  }

  private learnJwtsIn(text: string): void {
    for (const jwt of text.match(JWT) ?? []) if (isJwt(jwt)) this.learnToken(jwt);
  }

  private learnToken(token: string): void {
    if (token !== '') this.placeholders.of(token);
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

/** Whether the bytes hold "eyJ", where every JWT starts: searched in place, not in a latin-1 copy of them. */
function holdsJwtStart(bytes: Uint8Array): boolean {
  return asBuffer(bytes).includes(JWT_START);
}

function latin1(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The text values of a JWT's claims (sub, jti, …). */
function claimValues(jwt: string): string[] {
  return Object.values(readJwt(jwt) ?? {}).filter((value): value is string => typeof value === 'string');
}
