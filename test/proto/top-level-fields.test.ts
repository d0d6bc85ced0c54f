// Top-level fields read without a schema: where each lies, and where the bytes stop being a message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topLevelFields } from '../../proto/top-level-fields.ts';
import { encode } from './encode.ts';

test('gives each top-level field where its tag, value and end lie, groups and every wire type included', () => {
  const bytes = encode([
    { number: 1, bytes: Buffer.from('trx') },
    { number: 2, varint: 300 },
    { number: 3, group: [{ number: 1, bytes: Buffer.from('x') }] },
    { number: 4, fixed32: 7 },
    { number: 5, fixed64: 9n },
  ]);
  const { fields, end } = topLevelFields(bytes);
  assert.equal(end, bytes.length);
  assert.deepEqual(
    fields.map((f) => [f.number, f.wireType, f.start, f.valueStart, f.end]),
    [
      [1, 2, 0, 2, 5],
      [2, 0, 5, 6, 8],
      [3, 3, 8, 9, 13],
      [4, 5, 13, 14, 18],
      [5, 1, 18, 19, 27],
    ],
  );
  assert.equal(Buffer.from(bytes.subarray(fields[0]!.valueStart, fields[0]!.end)).toString(), 'trx');
});

test('stops at the first malformed byte: a length past the end, a stray end-group, field 0', () => {
  const head = encode([{ number: 1, bytes: Buffer.from('ok') }]);
  for (const tail of [[0x12, 0x05, 0x61], [0x0c], [0x00, 0x01], [0xff]]) {
    const { fields, end } = topLevelFields(Buffer.concat([head, Buffer.from(tail)]));
    assert.equal(end, head.length, `after ${Buffer.from(tail).toString('hex')}`);
    assert.equal(fields.length, 1);
  }
  assert.equal(topLevelFields(Buffer.from('{"json": true}')).end, 0, 'no message at all');
});
