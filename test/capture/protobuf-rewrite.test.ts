import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rewriteMessage, wellFormedPrefix } from '../../capture/protobuf-rewrite.ts';
import { protocEncode } from './sample-recording.ts';

function decodeRaw(bytes: Uint8Array): string {
  const out = spawnSync('protoc', ['--decode_raw'], { input: bytes });
  assert.equal(out.status, 0, String(out.stderr));
  return String(out.stdout);
}

test('replaces a nested field and fixes every enclosing length, leaving the rest as protoc reads it', () => {
  const secret = 'a-secret-token-that-is-long-enough-to-need-a-two-byte-length-prefix-'.repeat(2);
  const original = protocEncode('ca2.ServerResponse', `trx: "t-1" auth { login { token: "${secret}" expires_at_ms: 42 } } errors: SE_UNKNOWN_ERROR`);
  const rewritten = rewriteMessage(original, (value, path, nested) => {
    if (path.join('.') === '11.1.1') return Buffer.from('short');
    return nested ? 'descend' : null;
  });
  assert.ok(rewritten);
  assert.equal(decodeRaw(rewritten), decodeRaw(original).replace(secret, 'short'));
  assert.equal(rewritten.length, original.length - secret.length + 'short'.length - 3, 'the field, login and auth prefixes each shrank to one byte');
});

test('copies unchanged fields byte for byte, unknown wire types and groups included', () => {
  // field 1 varint, field 2 fixed64, group 3 { field 1 "x" }, field 4 "keep", field 5 fixed32
  const bytes = Buffer.from('0896011101020304050607081b0a01781c22046b6565702d01020304', 'hex');
  assert.equal(rewriteMessage(bytes, () => null), null, 'nothing to change');
  const out = rewriteMessage(bytes, (value) => (Buffer.from(value).toString() === 'keep' ? Buffer.from('kept!') : null))!;
  assert.equal(Buffer.from(out).toString('hex'), '0896011101020304050607081b0a01781c22056b657074212d01020304');
});

test('leaves bytes that are no message to the caller', () => {
  assert.equal(rewriteMessage(Buffer.from([0x0a, 0x05, 0x01]), () => Buffer.from('x') as Uint8Array), null);
});

test('finds where a message breaks off: the whole fields before a stray byte, which protoc reads alone', () => {
  const whole = protocEncode('ca2.ClientRequest', 'trx: "t-1" token: "a-token-before-the-break"');
  const broken = Buffer.concat([whole, Buffer.from([0xff])]);
  assert.equal(spawnSync('protoc', ['--decode_raw'], { input: broken }).status, 1, 'protoc refuses the whole');
  assert.equal(wellFormedPrefix(broken), whole.length);
  assert.match(decodeRaw(broken.subarray(0, wellFormedPrefix(broken))), /2: "a-token-before-the-break"/);
  assert.equal(wellFormedPrefix(whole), whole.length);
  assert.equal(wellFormedPrefix(Buffer.from('{"json": true}')), 0, 'no message at all');
});
