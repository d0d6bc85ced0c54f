// What a journal walk reads of an /exec exchange before replaying it
// (recorder/journal-view.ts): the facts its envelopes give, straight from the bytes of
// the journal row's exchangeEnded call, for a filter to refuse it on
// (storage/envelope-verdict.ts). Each is read only when a term asks for it.

import type { MessageSummary, TokenRef } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { requestFacts, responseType } from '../proto/exchange-facts.ts';
import { topLevelFields, type TopField } from '../proto/top-level-fields.ts';
import { LEN } from '../proto/wire.ts';
import type { EnvelopeFacts } from '../storage/envelope-verdict.ts';
import { asBuffer } from '../proto/scalars.ts';
import { envelopesAt, kindAt, type CallEnvelopes } from './tap-codec.ts';

/** ClientRequest's token field. */
const TOKEN_FIELD = 2;
/** Token fields whose token a walk keeps: a client has one token at a time. */
const MAX_TOKENS = 256;

export class JournaledEnvelopes {
  private readonly tokens: Tokens;

  constructor(private readonly codec: Codec) {
    this.tokens = new Tokens(codec);
  }

  /** The envelope facts of the call at `at` of a journal row, when it ends an /exec exchange; null otherwise. */
  at(data: Buffer, at: number): EnvelopeFacts | null {
    if (kindAt(data, at) !== 'exec') return null;
    try {
      return new CallFacts(this.codec, this.tokens, envelopesAt(data, at));
    } catch {
      // A damaged call: replaying it says what is wrong.
      return null;
    }
  }
}

/** An exchangeEnded call's envelope facts, each read from its bytes when asked. */
class CallFacts implements EnvelopeFacts {
  readonly startedAt: number;
  private summary: MessageSummary | undefined;

  constructor(
    private readonly codec: Codec,
    private readonly tokens: Tokens,
    private readonly call: CallEnvelopes,
  ) {
    this.startedAt = call.startedAt;
  }

  called(): { service: string | null; operation: string | null } {
    const { service, operation } = this.request();
    return { service: service ?? null, operation: operation ?? null };
  }

  errors(): string[] {
    const { response } = this.call;
    const type = response && responseType('exec', response.headers, response.body);
    return type ? this.codec.summarize(type, response!.body, this.startedAt).errors : [];
  }

  token(): TokenRef | null {
    return this.tokens.of(this.call.requestBody);
  }

  private request(): MessageSummary {
    return (this.summary ??= this.codec.summarize('ClientRequest', this.call.requestBody, this.startedAt));
  }
}

/**
 * An /exec request's token as the recorder gives it (its subject and prefix), without
 * reading the rest of the request. The message's token is its last token field's value (the
 * summary reads that one, and decoding keeps the last of a string field's values), so that
 * field alone gives it. A client sends the same token on every call: each is read
 * once.
 */
class Tokens {
  /** By the token field's bytes. */
  private readonly refs = new Map<string, TokenRef | null>();

  constructor(private readonly codec: Codec) {}

  of(body: Uint8Array): TokenRef | null {
    let field: TopField | undefined;
    for (const f of topLevelFields(body).fields) if (f.number === TOKEN_FIELD && f.wireType === LEN) field = f;
    if (field === undefined) return null;
    const bytes = asBuffer(body);
    const key = bytes.toString('latin1', field.start, field.end);
    let ref = this.refs.get(key);
    if (ref === undefined) {
      const token = requestFacts(this.codec, bytes.subarray(field.start, field.end), Date.now()).token;
      // Its expiry depends on when each exchange started; token: terms test its subject and prefix only.
      ref = token && { prefix: token.prefix, ...(token.sub !== undefined ? { sub: token.sub } : {}) };
      if (this.refs.size >= MAX_TOKENS) this.refs.clear();
      this.refs.set(key, ref);
    }
    return ref;
  }
}
