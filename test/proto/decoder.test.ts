import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { concat, encode, tag, varint } from './encode.ts';
import { valueAt } from './json-path.ts';
import type { Field } from './encode.ts';

const codec = createCodec();

/**
 * Re-encodes the JSON guess of unknown content (see proto/unknown-fields.ts): numbers
 * and decimal strings above 2^53 are varints, {fixed32}, {fixed64}, {bytes} and
 * {group} are what they say, other strings are text, other objects nested
 * messages. Fields come out in ascending number order with repeats adjacent.
 */
function reencode(json: JsonObject): Uint8Array {
  return encode(fieldsOf(json));
}

function fieldsOf(json: JsonObject): Field[] {
  const fields: Field[] = [];
  for (const [key, value] of Object.entries(json)) {
    const number = Number(key);
    assert.ok(Number.isInteger(number) && number > 0, `unknown content has numeric keys, got ${key}`);
    for (const item of Array.isArray(value) ? value : [value]) fields.push(guessToField(number, item));
  }
  return fields;
}

function guessToField(number: number, value: JsonValue): Field {
  if (typeof value === 'number') return { number, varint: BigInt(value) };
  if (typeof value === 'string') return /^\d+$/.test(value) && BigInt(value) > 2n ** 53n - 1n ? { number, varint: BigInt(value) } : { number, bytes: new TextEncoder().encode(value) };
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `unexpected guess ${JSON.stringify(value)}`);
  if ('fixed32' in value) return { number, fixed32: value.fixed32 as number };
  if ('fixed64' in value) return { number, fixed64: BigInt(value.fixed64 as string) };
  if ('bytes' in value) return { number, bytes: Buffer.from(value.bytes as string, 'base64') };
  if ('group' in value) return { number, group: fieldsOf(value.group as JsonObject) };
  return { number, bytes: reencode(value) };
}

/** Canonical field lists: sorted by number, repeats adjacent, so JSON key order reproduces them. */
function canonical(fields: Field[]): Field[] {
  return [...fields].sort((a, b) => a.number - b.number).map((field) => ('group' in field ? { number: field.number, group: canonical(field.group) } : field));
}

const unknownNumber = fc.integer({ min: 1, max: 40 });
const printable = fc.string({ minLength: 1, maxLength: 10, unit: fc.constantFrom(...'abcXYZ09 .@-_/:'.split('')) });

const { content } = fc.letrec<{ content: Field[]; field: Field }>((tie) => ({
  content: fc.array(tie('field'), { minLength: 1, maxLength: 5 }).map(canonical),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ number: unknownNumber, varint: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ number: unknownNumber, fixed32: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
    fc.record({ number: unknownNumber, fixed64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ number: unknownNumber, bytes: printable.map((s) => new TextEncoder().encode(s)) }),
    // Binary that cannot pass for a message (a leading field number 0) nor for text.
    fc.record({ number: unknownNumber, bytes: fc.uint8Array({ maxLength: 8 }).map((bytes) => concat([0], bytes)) }),
    fc.record({ number: unknownNumber, bytes: tie('content').map(encode) }),
    fc.record({ number: unknownNumber, group: tie('content') }),
  ) as fc.Arbitrary<Field>,
}));

const SERVICES = [10, 11, 12, 13, 14, 15, 16, 17, 18];

describe('decoder properties', () => {
  test('random envelopes with random unknown content decode with nothing dropped and nothing thrown', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom(...SERVICES),
        content,
        (trx, token, service, inner) => {
          const serviceBytes = encode(inner);
          const bytes = encode([
            { number: 1, bytes: trx },
            { number: 2, bytes: new TextEncoder().encode(token) },
            { number: service, bytes: serviceBytes },
          ]);
          const result = codec.decode('ClientRequest', bytes, { spans: true });
          assert.deepEqual(result.problems, []);
          const keys = Object.keys(result.json).sort();
          assert.equal(keys.length, 3, `three envelope fields in ${JSON.stringify(result.json)}`);
          assert.equal(result.json.trx, Buffer.from(trx).toString('base64'));
          assert.equal(result.json.token, token);
          const serviceName = keys.find((key) => key !== 'trx' && key !== 'token')!;
          assert.equal(result.summary.service, serviceName);
          assert.deepEqual(Buffer.from(reencode(result.json[serviceName] as JsonObject)), Buffer.from(serviceBytes), 'the guess re-encodes to the same bytes');
          const { paths, ranges } = result.spans!;
          paths.forEach((path, i) => {
            const [start, end] = ranges.slice(2 * i, 2 * i + 2);
            assert.ok(start < end && end <= bytes.length, `span ${path} [${start}, ${end}) lies inside the input`);
            assert.notEqual(valueAt(result.json, path), undefined, `span path ${path} names a value in ${JSON.stringify(result.json)}`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any bytes at all decode to serialisable JSON without throwing, whatever the type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('ClientRequest', 'ServerResponse', 'WsAuth', 'WsEvent' as const), (bytes, type) => {
        const result = codec.decode(type, bytes, { spans: true });
        JSON.parse(JSON.stringify(result));
        for (const problem of result.problems) assert.ok(problem.offset >= 0 && problem.offset <= bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  test('hostile shapes are problems, not crashes or hangs', () => {
    const hostile: Uint8Array[] = [
      concat(...Array.from({ length: 100_000 }, () => tag(1, 3))),
      concat(tag(11, 2), varint(2n ** 31n)),
      concat(tag(11, 2), varint(2n ** 64n - 1n)),
      concat(tag(11, 2), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      concat(tag(1, 6)),
      concat(tag(1, 7), [1, 2, 3]),
      concat(tag(2, 2), [3, 0xff, 0xfe, 0xfd]),
    ];
    let deep = encode([{ number: 1, varint: 1 }]);
    for (let i = 0; i < 120; i++) deep = encode([{ number: 1, bytes: deep }]);
    hostile.push(encode([{ number: 11, bytes: deep }]));
    for (const bytes of hostile) {
      for (const type of ['ClientRequest', 'ServerResponse', 'WsAuth', 'WsEvent'] as const) {
        const result = codec.decode(type, bytes, { spans: true });
        assert.ok(result.problems.length > 0, `${type} ${Buffer.from(bytes.subarray(0, 12)).toString('hex')}… has problems`);
        JSON.stringify(result);
      }
    }
  });
});
