// The one codec the proxy, storage, inspector and CLI share: decode(type, bytes)
// for the four top-level ca2 messages, encode(type, json) back, and raw mode
// (protoc --decode_raw text).
//
//   const codec = createCodec({ protoPaths: ['./schemas'] });
//   const { json, summary, problems } = codec.decode('ClientRequest', body);
//   const edited = codec.encode('ClientRequest', { ...json, token: fresh }, body);

import type { DecodeResult, JsonValue, MessageSummary, MessageType } from '../model/types.ts';
import { Decoder } from './decoder.ts';
import { EncodeError, Encoder } from './encoder.ts';
import { Plans } from './plan.ts';
import type { MessagePlan } from './plan.ts';
import { decodeRaw } from './raw.ts';
import { descriptorSetOf } from './descriptor-set.ts';
import { loadSchema, loadSchemaFromDescriptorSet, schemaFingerprint } from './schema.ts';
import { summarize, TOKEN_OR_ERRORS as TOKEN_FIELD } from './summary.ts';
import { STRING } from './plan.ts';
import { WellFormedCheck, type KeyTest } from './well-formed.ts';

export { SchemaError } from './schema.ts';
export { EncodeError } from './encoder.ts';
export type { EncodeProblem } from './encoder.ts';

export interface DecodeOptions {
  /** Also return where each field lies in the bytes (for the hex view). */
  spans?: boolean;
  /** ms epoch used to judge JWT expiry; default Date.now() */
  now?: number;
}

export interface Codec {
  decode(type: MessageType, bytes: Uint8Array, options?: DecodeOptions): DecodeResult; // never throws
  /**
   * Only the summary decode gives (service, operation, trx, errors, token facts), from a
   * scan of the top-level fields, without decoding the message: what matching a rule on
   * the envelope needs, at a fraction of the cost. Never throws.
   */
  summarize(type: MessageType, bytes: Uint8Array, now?: number): MessageSummary;
  /**
   * What an exchange's facts need of decode (proto/exchange-facts.ts), worked out without
   * building the JSON, at a fraction of decode's cost: its summary, and its JSON's `token`,
   * when decode would report no problem (proto/well-formed.ts). Null when decode would
   * report one, or might: the caller then decodes, and decode says what is wrong. Never throws.
   */
  facts(type: MessageType, bytes: Uint8Array, now: number): MessageFacts | null;
  /**
   * Only the JSON decode gives, without the summary: what searching every decoded value
   * needs (an export learning tokens, whose summaries were a sixth of its decoding). Never throws.
   */
  json(type: MessageType, bytes: Uint8Array): JsonValue;
  /**
   * Whether json() of these bytes could hold, at any depth, an object key that `test`
   * passes: false only when it certainly holds none, told without building it (an export
   * learning credential-named values, most messages having none). `untested`: a top-level
   * field number whose name is not tested when the schema makes it a singular string (a
   * token the caller reads by number). Never throws.
   */
  mayHoldKey(type: MessageType, bytes: Uint8Array, test: KeyTest, untested?: number): boolean;
  /**
   * The decoded JSON (as decode gives it, perhaps edited) back into bytes. With `original`, the
   * recorded bytes, every unchanged field is copied from them as it was. Throws EncodeError naming
   * the path and reason of each value that does not fit: "auth.login.email: expected a string, got 12".
   */
  encode(type: MessageType, json: JsonValue, original?: Uint8Array): Uint8Array;
  /** protoc --decode_raw text, byte-identical, or an error sentence for input protoc rejects */
  decodeRaw(bytes: Uint8Array): { text: string } | { error: string };
  /** Names the loaded schema (proto/schema.ts): a different schema decodes differently. */
  readonly fingerprint: string;
  /** The loaded schema as FileDescriptorSet bytes, for a capture file to carry. */
  descriptorSet(): Uint8Array;
}

/** decode's summary and its JSON's `token` (ClientRequest, WsAuth), for a message decode finds no problem in. */
export interface MessageFacts {
  summary: MessageSummary;
  /** The string decode's JSON holds under `token` when that is not empty; '' for none, or for a message that has no token. */
  token: string;
}

export interface CodecOptions {
  protoPaths?: string[];
  /**
   * Instead of protoPaths: a FileDescriptorSet embedded in a recording or capture, named by
   * `label` in errors, with the fingerprint of the schema that wrote it when the file keeps
   * one (a schema loaded back from its descriptor set names itself differently).
   */
  descriptorSet?: { bytes: Uint8Array; label: string; fingerprint?: string | null };
}

export const MESSAGE_TYPES: readonly MessageType[] = ['ClientRequest', 'ServerResponse', 'WsAuth', 'WsEvent'];

/**
 * Bundled envelope schema plus user .proto files/folders/descriptor sets; user types replace bundled ones of the same full name.
 * Throws SchemaError (exported) whose message names file and line: "--proto ./x.proto:12: unknown type ca2types.Balanc"
 */
export function createCodec(options: CodecOptions = {}): Codec {
  const schema = options.descriptorSet
    ? loadSchemaFromDescriptorSet(options.descriptorSet.bytes, options.descriptorSet.label)
    : loadSchema(options.protoPaths ?? []);
  const plans = new Plans(schema);
  const topLevel = {} as Record<MessageType, MessagePlan>;
  for (const type of MESSAGE_TYPES) {
    const plan = plans.forName(`.ca2.${type}`);
    if (!plan) throw new Error(`the schema has no ca2.${type}`);
    topLevel[type] = plan;
  }
  const decoder = new Decoder(plans);
  const wellFormed = new WellFormedCheck();
  // The summary reads the token by its number (2); the JSON holds it by its name: the same field only when the schema names it so.
  const tokenByName = (type: MessageType) => {
    const field = topLevel[type].dense[TOKEN_FIELD];
    return field !== undefined && field.name === 'token' && field.kind === STRING && !field.repeated;
  };
  const factsReadable: Record<MessageType, boolean> = {
    ClientRequest: tokenByName('ClientRequest'),
    WsAuth: tokenByName('WsAuth'),
    ServerResponse: true,
    WsEvent: true,
  };
  const tokenText = { text: '' };
  // Its own decoder: encode compares with the original by decoding it, possibly while decode's is in use.
  const encoder = new Encoder(plans, new Decoder(plans));
  return {
    decode(type, bytes, decodeOptions) {
      const plan = topLevel[type];
      if (!plan) {
        return { json: {}, summary: { errors: [] }, problems: [{ offset: 0, reason: `unknown message type ${String(type)}; use one of ${MESSAGE_TYPES.join(', ')}` }] };
      }
      const walked = decoder.decode(plan, bytes, decodeOptions?.spans === true);
      let summary;
      try {
        summary = summarize(type, plan, bytes, decodeOptions?.now ?? Date.now());
      } catch (err) {
        summary = { errors: [] };
        walked.problems.push({ offset: 0, reason: `the summary failed (${(err as Error).message})` });
      }
      const result: DecodeResult = { json: walked.json, summary, problems: walked.problems };
      if (walked.spans) result.spans = walked.spans;
      return result;
    },
    facts(type, bytes, now) {
      const plan = topLevel[type];
      if (!plan || !factsReadable[type] || !wellFormed.check(plan, bytes)) return null;
      let summary;
      try {
        summary = summarize(type, plan, bytes, now, tokenText);
      } catch {
        return null;
      }
      return { summary, token: tokenText.text };
    },
    json(type, bytes) {
      const plan = topLevel[type];
      return plan ? decoder.decode(plan, bytes, false).json : {};
    },
    mayHoldKey(type, bytes, test, untested = 0) {
      const plan = topLevel[type];
      if (!plan) return true;
      const field = untested === 0 ? undefined : untested < plan.dense.length ? plan.dense[untested] : plan.sparse?.get(untested);
      const singularString = field !== undefined && field.kind === STRING && !field.repeated && field.map === null;
      try {
        return wellFormed.mayHoldKey(plan, bytes, test, singularString ? untested : 0);
      } catch {
        return true;
      }
    },
    summarize(type, bytes, now) {
      const plan = topLevel[type];
      if (!plan) return { errors: [] };
      try {
        return summarize(type, plan, bytes, now ?? Date.now());
      } catch {
        // decode() says why as a problem; a rule matching on the summary sees none of it.
        return { errors: [] };
      }
    },
    encode(type, json, original) {
      const plan = topLevel[type];
      if (!plan) throw new EncodeError([{ path: '', reason: `unknown message type ${String(type)}; use one of ${MESSAGE_TYPES.join(', ')}` }]);
      return encoder.encode(plan, json, original);
    },
    decodeRaw,
    fingerprint: options.descriptorSet?.fingerprint ?? schemaFingerprint(schema),
    descriptorSet: () => descriptorSetOf(schema),
  };
}

/**
 * The codec a recording is read with: --proto when given, else the schema the file keeps,
 * else the bundled envelope. Throws SchemaError.
 */
export function codecForRecording(protoPaths: string[], embedded: NonNullable<CodecOptions['descriptorSet']> | null): Codec {
  if (protoPaths.length > 0 || embedded === null || embedded.bytes.length === 0) return createCodec({ protoPaths });
  return createCodec({ descriptorSet: embedded });
}
