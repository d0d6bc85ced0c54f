import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonObject } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { encode, text } from './encode.ts';
import type { Field } from './encode.ts';

test('unknown content decodes to the same objects whatever sets of field numbers came before it, past the number of key sets kept (including numbers above 255)', () => {
  const codec = createCodec();
  for (let set = 0; set < 1500; set++) {
    // A distinct set of numbers each time: the bits of `set`, shifted past 0, plus a large number now and then.
    const numbers = Array.from({ length: 11 }, (_, bit) => bit + 1).filter((bit) => (set + 1) & (1 << (bit - 1)));
    if (set % 7 === 0) numbers.push(300 + (set % 5));
    const inner: Field[] = numbers.flatMap((number) => [{ number, bytes: text(`v${number}`) }]);
    inner.push({ number: numbers[0], varint: set });
    const bytes = encode([{ number: 17, bytes: encode([{ number: 99, bytes: encode(inner) }]) }]);
    const expected: JsonObject = {};
    for (const number of numbers) expected[String(number)] = `v${number}`;
    expected[String(numbers[0])] = [`v${numbers[0]}`, set];
    const result = codec.decode('ServerResponse', bytes);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.json, { instances: { '99': expected } }, `set ${set}: ${numbers.join(',')}`);
  }
});
