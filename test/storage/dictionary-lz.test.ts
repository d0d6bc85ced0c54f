// The packed body format (storage/dictionary-lz.ts): whatever the bytes and the
// dictionary, unpacking gives back exactly what was packed, and bytes it cannot have made
// are refused, not read as something else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { indexDictionary, pack, unpack } from '../../storage/dictionary-lz.ts';

/** Bytes drawn from a few words, so that they repeat within a body and against the dictionary. */
const wordy = fc.array(fc.constantFrom('token', 'eyJhbGciOi', '\x08\x96\x01', 'instance', '\x00\x00\x00', 'x', '\xff', 'balance 1000'), { maxLength: 300 }).map((words) => Buffer.from(words.join(''), 'latin1'));
const bytes = fc.oneof(wordy, fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(0)));

test('unpacks to the bytes packed, whatever they are and whatever the dictionary', () => {
  fc.assert(
    fc.property(bytes, bytes, (body, dictionary) => {
      const packed = pack(body, indexDictionary(dictionary));
      if (packed === null) return;
      assert.ok(packed.length < body.length);
      assert.ok(unpack(packed, dictionary).equals(body));
    }),
    { numRuns: 2000, seed: 22 },
  );
});

test('packs a body like its dictionary to a fraction, and gives up on one that would not shrink', () => {
  const dictionary = Buffer.from('field 1: instance web-01, region fra1, status RUNNING; '.repeat(40));
  const body = Buffer.from('field 1: instance web-02, region ams3, status RUNNING; field 1: instance web-01, region fra1, status STOPPED; ');
  const packed = pack(body, indexDictionary(dictionary))!;
  assert.ok(packed.length < body.length / 3, `${packed.length} of ${body.length}`);
  assert.ok(unpack(packed, dictionary).equals(body));
  assert.equal(pack(randomBytes(1000), indexDictionary(dictionary)), null);
  // A long run within the body: copies that overlap what they write.
  const run = Buffer.alloc(5000, 0x61);
  assert.ok(unpack(pack(run, indexDictionary(Buffer.alloc(0)))!, Buffer.alloc(0)).equals(run));
});

test('refuses bytes that read past their end or before their dictionary', () => {
  const dictionary = Buffer.from('abcdefgh');
  for (const damaged of [
    Buffer.from([0x05, 0x61]), // five literals, one there
    Buffer.from([0x00, 0x09, 0x00]), // a copy from before the dictionary
    Buffer.from([0x00, 0x00, 0x00]), // a copy from no distance
    Buffer.from([0x01, 0x61, 0x80]), // a varint cut short
  ]) {
    assert.throws(() => unpack(damaged, dictionary), /a packed body is damaged/, damaged.toString('hex'));
  }
});

test('refuses bytes that unpack to more than any packed body holds, without making them', () => {
  // One literal, then a copy of it 16 MiB long: nine bytes a damaged row may hold.
  const damaged = Buffer.from([0x01, 0x61, 0x01, 0x80, 0x80, 0x80, 0x08]);
  assert.throws(() => unpack(damaged, Buffer.alloc(0)), /a packed body is damaged/);
});
