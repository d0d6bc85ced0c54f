import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeRaw } from '../../proto/raw.ts';
import { concat, encode, tag } from './encode.ts';
import type { Field } from './encode.ts';

/** What protoc --decode_raw prints for the bytes, or null when it refuses them. */
function protocRaw(bytes: Uint8Array): string | null {
  const run = spawnSync('protoc', ['--decode_raw'], { input: bytes });
  if (run.error) throw new Error(`protoc could not be run (${run.error.message}); install Debian's protobuf-compiler`);
  return run.status === 0 ? run.stdout.toString('latin1') : null;
}

function assertLikeProtoc(bytes: Uint8Array): void {
  const expected = protocRaw(bytes);
  const actual = decodeRaw(bytes);
  const hex = Buffer.from(bytes).toString('hex');
  if (expected === null) assert.ok('error' in actual, `protoc refuses ${hex} but raw mode printed ${JSON.stringify(actual)}`);
  else {
    assert.ok('text' in actual, `protoc accepts ${hex} but raw mode said ${JSON.stringify(actual)}`);
    assert.equal(actual.text, expected, `raw text for ${hex}`);
  }
}

const fieldNumber = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 29 - 1 }) },
);

const interestingBytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.string({ maxLength: 12 }).map((s) => new TextEncoder().encode(s)),
  fc.constantFrom('"quoted"', "it's", 'back\\slash', 'tab\tnew\nline\r', 'Zoë ✓', 'hi', '\x7f\x00').map((s) => new TextEncoder().encode(s)),
);

const { message } = fc.letrec<{ message: Field[]; field: Field }>((tie) => ({
  message: fc.array(tie('field'), { maxLength: 5 }),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ number: fieldNumber, varint: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ number: fieldNumber, fixed32: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
    fc.record({ number: fieldNumber, fixed64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ number: fieldNumber, bytes: interestingBytes }),
    fc.record({ number: fieldNumber, bytes: tie('message').map(encode) }),
    fc.record({ number: fieldNumber, group: tie('message') }),
  ) as fc.Arbitrary<Field>,
}));

/** Valid messages, and the same bytes cut short or with one byte changed. */
const inputs = fc.oneof(
  { weight: 5, arbitrary: message.map(encode) },
  {
    weight: 2,
    arbitrary: fc.tuple(message.map(encode), fc.nat()).map(([bytes, cut]) => bytes.subarray(0, bytes.length ? cut % bytes.length : 0)),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(message.map(encode), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
      const copy = Uint8Array.from(bytes);
      if (copy.length) copy[at % copy.length] = value;
      return copy;
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
);

describe('raw mode', () => {
  test('prints what protoc --decode_raw prints, byte for byte, over generated inputs', () => {
    fc.assert(fc.property(inputs, (bytes) => assertLikeProtoc(bytes)), { numRuns: 200 });
  });

  test('matches protoc on nesting at and past its printing and parsing limits', () => {
    const nested = (levels: number, wrap: (inner: Uint8Array) => Uint8Array) => {
      let bytes = encode([{ number: 1, varint: 1 }]);
      for (let i = 0; i < levels; i++) bytes = wrap(bytes);
      return bytes;
    };
    const inLen = (inner: Uint8Array) => encode([{ number: 1, bytes: inner }]);
    const inGroup = (inner: Uint8Array) => concat(tag(1, 3), inner, tag(1, 4));
    for (const levels of [9, 10, 11, 12, 30]) assertLikeProtoc(nested(levels, inLen));
    for (const levels of [99, 100, 101]) assertLikeProtoc(nested(levels, inGroup));
    for (const levels of [9, 10, 11]) assertLikeProtoc(inLen(nested(levels, inGroup)));
  });

  test('matches protoc on edge encodings of tags, varints and lengths', () => {
    const cases = [
      '', '0a00', '8800', '880001', 'f8ffffff0f01', 'f8ffffff1f01', '88808080800001', '08ffffffffffffffffff01',
      '08ffffffffffffffffff7f', '08ffffffffffffffffffff01', '0a81808080000a', '0a8180808080000a', '0a818080801041',
      '0b0c', '0b140c', '130b0c14', '0c', '0f', '0e', '00', '0a020c00', '0a0108', '0d01020304', '09010203040506070809',
      '0a03616263', '0a0568656c6c6f', '12025c22', '1a04c3a90a09',
    ];
    for (const hex of cases) assertLikeProtoc(Buffer.from(hex, 'hex'));
  });

  test('matches protoc where it re-parses a length-delimited value more leniently than its input', () => {
    const inner = [
      'a08080808000', 'a080808080808080808000', 'a08080808080808080808000', 'a08080808010', 'f8ffffff7f01',
      '2281808080800041', '228180808080808080800041', '22818080808080808080800041', '228180808008', '2281808080100041',
      '08ffffffffffffffffff01', '08ffffffffffffffffffff01', '0b0c', '0c', '0b', '0b140c', '00', '0f',
    ];
    for (const hex of inner) assertLikeProtoc(encode([{ number: 1, bytes: Buffer.from(hex, 'hex') }]));
  });

  test('names the reason and the byte when protoc would refuse the input', () => {
    assert.deepEqual(decodeRaw(Uint8Array.from([0x0a, 0x05, 0x41])), {
      error: 'protoc --decode_raw refuses this input: length of field 1 runs past the end of the input at byte 0.',
    });
    assert.deepEqual(decodeRaw(Uint8Array.from([0x08, 0x01, 0x0f])), {
      error: 'protoc --decode_raw refuses this input: invalid wire type 7 for field 1 at byte 2.',
    });
  });
});
