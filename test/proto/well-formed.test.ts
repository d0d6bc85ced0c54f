// Codec.facts against the decoder itself on every input the decoder's golden test decodes
// (fixtures whole and damaged at every byte, edge values, unknown bytes, nesting past the
// limit), with the user schema and the bundled one: where facts answers, decode finds no
// problem and gives the same summary and token; where decode finds none, facts mostly answers.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { JsonObject } from '../../model/types.ts';
import { createCodec, type Codec } from '../../proto/codec.ts';
import { execFacts, execFactsOf, execMessages, requestFacts } from '../../proto/exchange-facts.ts';
import { CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';
import { decoderInputs, GOLDEN_NOW } from './decoder-golden.ts';
import { concat, encode, tag, text, type Field } from './encode.ts';
import fc from 'fast-check';

const codecs: [string, Codec][] = [
  ['user schema', createCodec({ protoPaths: [CODEC_SCHEMA] })],
  ['bundled schema', createCodec()],
];

function tokenOf(json: JsonObject): string {
  return typeof json.token === 'string' ? json.token : '';
}

describe('Codec.facts', () => {
  for (const [label, codec] of codecs) {
    test(`agrees with decode on every golden input (${label})`, () => {
      let clean = 0;
      let answered = 0;
      for (const input of decoderInputs()) {
        const decoded = codec.decode(input.type, input.bytes, { now: GOLDEN_NOW });
        const facts = codec.facts(input.type, input.bytes, GOLDEN_NOW);
        if (decoded.problems.length === 0) clean++;
        if (facts === null) continue;
        answered++;
        assert.deepEqual(decoded.problems, [], `${input.name}: facts answered where decode finds problems`);
        assert.deepEqual(facts.summary, decoded.summary, `${input.name}: summary`);
        assert.equal(facts.token, tokenOf(decoded.json as JsonObject), `${input.name}: token`);
      }
      // Damaged inputs that still decode cleanly are mostly unknown bytes read as text, which facts reads too.
      assert.ok(answered >= 0.9 * clean, `facts answered ${answered} of the ${clean} inputs decode finds no problem in`);
    });
  }

  test('answers for every fixture that decodes cleanly with no group or Any in it', () => {
    for (const [label, codec] of codecs) {
      for (const fixture of codecFixtures()) {
        if (codec.decode(fixture.type, fixture.bytes).problems.length > 0) continue;
        assert.notEqual(codec.facts(fixture.type, fixture.bytes, GOLDEN_NOW), null, `${fixture.name} (${label})`);
      }
    }
  });

  test('leaves what it does not judge to decode: groups, and a token field the schema names otherwise', () => {
    const codec = createCodec();
    const withGroup = encode([{ number: 1, bytes: text('trx') }, { number: 17, bytes: encode([{ number: 5, group: [{ number: 1, varint: 1 }] }]) }]);
    assert.equal(codec.decode('ClientRequest', withGroup).problems.length, 0);
    assert.equal(codec.facts('ClientRequest', withGroup, 0), null);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-renamed-token-'));
    fs.writeFileSync(path.join(dir, 'ca2.proto'), 'syntax = "proto3";\npackage ca2;\nmessage ClientRequest {\n  bytes trx = 1;\n  string access_token = 2;\n}\n');
    const renamed = createCodec({ protoPaths: [dir] });
    fs.rmSync(dir, { recursive: true });
    const request = encode([{ number: 2, bytes: text('tok') }]);
    assert.equal(renamed.facts('ClientRequest', request, 0), null);
    assert.notEqual(renamed.facts('ServerResponse', encode([{ number: 1, bytes: text('trx') }]), 0), null);
  });

  test('says nothing for a string that is not UTF-8, a known field in another wire type, or a length past the end', () => {
    const codec = createCodec({ protoPaths: [CODEC_SCHEMA] });
    const cases: Uint8Array[] = [
      encode([{ number: 1, bytes: text('trx') }, { number: 2, bytes: Uint8Array.from([0x61, 0xff]) }]),
      concat(tag(2, 0), [1]),
      concat(tag(1, 2), [3], text('ab')),
    ];
    for (const bytes of cases) {
      assert.ok(codec.decode('ClientRequest', bytes).problems.length > 0);
      assert.equal(codec.facts('ClientRequest', bytes, 0), null);
    }
  });
});

/**
 * Messages of random fields: numbers the schemas know and do not, every wire type, text,
 * bytes and nested messages, now and then cut short or with a byte changed.
 */
const randomMessage = fc
  .letrec<{ fields: Field[] }>((tie) => ({
    fields: fc.array(
      fc.oneof(
        fc.record({ number: fc.integer({ min: 1, max: 20 }), varint: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
        fc.record({ number: fc.integer({ min: 1, max: 20 }), fixed32: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
        fc.record({ number: fc.integer({ min: 1, max: 20 }), fixed64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
        fc.record({ number: fc.integer({ min: 1, max: 20 }), bytes: fc.oneof(fc.string({ maxLength: 12 }).map(text), fc.uint8Array({ maxLength: 12 })) }),
        fc.record({ number: fc.integer({ min: 1, max: 20 }), bytes: tie('fields').map((fields) => encode(fields as Field[])) }),
        fc.record({ number: fc.integer({ min: 1, max: 20 }), group: tie('fields') as fc.Arbitrary<Field[]> }),
      ),
      { maxLength: 5, depthIdentifier: 'message' },
    ),
  }))
  .fields.chain((fields) => {
    const bytes = encode(fields);
    return fc.oneof(
      fc.constant(bytes),
      fc.nat({ max: bytes.length }).map((length) => bytes.subarray(0, length)),
      fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
        const changed = Uint8Array.from(bytes);
        if (changed.length > 0) changed[at] = value;
        return changed;
      }),
    );
  });

describe('Codec.facts on random messages', () => {
  for (const [label, codec] of codecs) {
    test(`never answers where decode finds a problem, and agrees where it answers (${label})`, () => {
      const types = ['ClientRequest', 'ServerResponse', 'WsAuth', 'WsEvent'] as const;
      fc.assert(
        fc.property(randomMessage, fc.constantFrom(...types), (bytes, type) => {
          const facts = codec.facts(type, bytes, GOLDEN_NOW);
          if (facts === null) return;
          const decoded = codec.decode(type, bytes, { now: GOLDEN_NOW });
          assert.deepEqual(decoded.problems, []);
          assert.deepEqual(facts.summary, decoded.summary);
          assert.equal(facts.token, tokenOf(decoded.json as JsonObject));
        }),
        { numRuns: 3000 },
      );
    });
  }
});

describe('execFacts', () => {
  test('gives what the decoded envelopes give, clean or damaged', () => {
    const codec = createCodec({ protoPaths: [CODEC_SCHEMA] });
    const protobuf: [string, string][] = [['content-type', 'application/x-protobuf']];
    const requests = decoderInputs().filter((input) => input.type === 'ClientRequest');
    const responses = decoderInputs().filter((input) => input.type === 'ServerResponse');
    for (let i = 0; i < requests.length; i++) {
      const response = responses[(i * 7) % responses.length];
      const input = { requestHeaders: protobuf, requestBody: requests[i].bytes, status: 200, response: { headers: protobuf, body: response.bytes }, at: GOLDEN_NOW };
      const { request, response: decoded } = execMessages(codec, input);
      assert.deepEqual(execFacts(codec, input), execFactsOf(input.requestHeaders, input.status, request, decoded), `${requests[i].name} with ${response.name}`);
    }
  });

  test('of the request alone (requestFacts) gives what its decode gives', () => {
    for (const [label, codec] of codecs) {
      for (const input of decoderInputs().filter((i) => i.type === 'ClientRequest')) {
        const { service, operation, trx, token } = execFactsOf([], null, codec.decode('ClientRequest', input.bytes, { now: GOLDEN_NOW }), null);
        assert.deepEqual(requestFacts(codec, input.bytes, GOLDEN_NOW), { service, operation, trx, token }, `${input.name} (${label})`);
      }
    }
  });
});

/** Every object key of a decoded JSON value, at any depth. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysOf(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      keysOf(inner, into);
    }
  }
  return into;
}

/** Whether mayHoldKey sees every key decode's JSON holds, and answers "none" only for what decode finds no problem in. */
function checkKeys(codec: Codec, type: (typeof TYPES)[number], bytes: Uint8Array, name: string): boolean {
  const sure = !codec.mayHoldKey(type, bytes, () => false);
  const decoded = codec.decode(type, bytes);
  if (sure) assert.deepEqual(decoded.problems, [], `${name}: answered where decode finds problems`);
  if (decoded.problems.length > 0) return sure;
  for (const key of keysOf(decoded.json)) assert.ok(codec.mayHoldKey(type, bytes, (k) => k === key), `${name}: key ${JSON.stringify(key)} not seen`);
  return sure;
}

const TYPES = ['ClientRequest', 'ServerResponse', 'WsAuth', 'WsEvent'] as const;

describe('Codec.mayHoldKey', () => {
  for (const [label, codec] of codecs) {
    test(`sees every key decode gives, in every golden input (${label})`, () => {
      let clean = 0;
      let sure = 0;
      for (const input of decoderInputs()) {
        if (checkKeys(codec, input.type, input.bytes, input.name)) sure++;
        if (codec.decode(input.type, input.bytes).problems.length === 0) clean++;
      }
      // A test that no key passes is sure of most clean messages: those it leaves to decode have groups, Any or non-string map keys.
      assert.ok(sure >= 0.85 * clean, `sure of ${sure} of the ${clean} clean inputs`);
    });

    test(`sees every key decode gives, in random messages (${label})`, () => {
      fc.assert(
        fc.property(randomMessage, fc.constantFrom(...TYPES), (bytes, type) => void checkKeys(codec, type, bytes, 'random')),
        { numRuns: 3000 },
      );
    });
  }

  test('leaves the token field untested only where the schema makes it a singular string', () => {
    const codec = createCodec({ protoPaths: [CODEC_SCHEMA] });
    const request = encode([{ number: 1, bytes: text('trx') }, { number: 2, bytes: text('tok') }]);
    const token = (key: string) => key === 'token';
    assert.equal(codec.mayHoldKey('ClientRequest', request, token), true);
    assert.equal(codec.mayHoldKey('ClientRequest', request, token, 2), false);
    // ServerResponse's field 2 is no string: its name is tested whatever is asked.
    const response = encode([{ number: 1, bytes: text('trx') }]);
    assert.equal(codec.mayHoldKey('ServerResponse', response, (key) => key === 'trx', 1), true);
  });
});
