import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { internalErrorResponse, readTrx, withTrx } from '../../mock/wire.ts';

const hex = (text: string) => Buffer.from(text.replaceAll(' ', ''), 'hex');

/** protoc's own reading of the bytes: the oracle for what the mock writes. */
function decodeRaw(bytes: Buffer): string {
  const out = spawnSync('protoc', ['--decode_raw'], { input: bytes, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

test('reads the trx of a request, the last one when it was sent twice, and none when absent', () => {
  assert.deepEqual(readTrx(hex('0a 02 aa bb 12 01 74')), hex('aa bb'));
  assert.deepEqual(readTrx(hex('0a 01 01 12 01 74 0a 01 02')), hex('02'));
  assert.equal(readTrx(hex('12 01 74')), null);
});

test('replaces the trx where it stood and keeps every other byte of the recorded response', () => {
  // trx after errors and an unknown fixed32 field: field order as recorded.
  const recorded = hex('10 05 0a 02 aa bb 1d 01 02 03 04 5a 02 08 01');
  assert.deepEqual(withTrx(recorded, hex('cc dd ee')), hex('10 05 0a 03 cc dd ee 1d 01 02 03 04 5a 02 08 01'));
  assert.deepEqual(withTrx(recorded, null), hex('10 05 1d 01 02 03 04 5a 02 08 01'));
  assert.deepEqual(withTrx(hex('10 05'), hex('01')), hex('0a 01 01 10 05'), 'a response without trx gets it first');
  const long = Buffer.alloc(200, 7);
  assert.equal(decodeRaw(withTrx(recorded, long)).split('\n')[1], `1: "${'\\007'.repeat(200)}"`);
});

test('leaves bytes past a malformed field as they were', () => {
  assert.deepEqual(withTrx(hex('0a 01 aa 12 09 74'), hex('bb')), hex('0a 01 bb 12 09 74'));
});

test('answers a miss with the request trx and SE_INTERNAL_SERVER_ERROR', () => {
  assert.equal(decodeRaw(internalErrorResponse(Buffer.from('t-1'))), '1: "t-1"\n2: 6\n');
  assert.equal(decodeRaw(internalErrorResponse(null)), '2: 6\n');
});
