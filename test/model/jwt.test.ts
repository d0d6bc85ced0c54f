// What a JWT is, pinned: the summary, the replay, redaction and the app all ask model/jwt.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJwt, readJwt } from '../../model/jwt.ts';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (header: unknown, claims: unknown, signature = 'c2ln') => `${part(header)}.${part(claims)}.${signature}`;

test('reads the claims of three base64url parts whose header names its alg, without checking the signature', () => {
  assert.deepEqual(readJwt(jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'usr_1', exp: 2_000_000_000, name: 'Zoë' }, '')), { sub: 'usr_1', exp: 2_000_000_000, name: 'Zoë' });
  assert.equal(isJwt(jwt({ alg: 'none' }, {}, 'anything-at-all')), true);
});

test('is not fooled by text shaped like one', () => {
  assert.equal(isJwt(jwt({ typ: 'JWT' }, { sub: 'x' })), false, 'a header without alg');
  assert.equal(isJwt(`${part({ alg: 'HS256' })}.bm90IGpzb24.sig`), false, 'claims that are not JSON');
  assert.equal(isJwt(`${part({ alg: 'HS256' })}.${part([1, 2])}.sig`), false, 'claims that are not an object');
  assert.equal(isJwt(`${part({ alg: 'HS256' })}.${part({ sub: 'x' })}`), false, 'two parts');
  assert.equal(isJwt('eyJ.eyJ.x'), false);
  assert.equal(isJwt(`${part({ alg: 'HS256' })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.s`), false, 'claims that are not UTF-8');
});
