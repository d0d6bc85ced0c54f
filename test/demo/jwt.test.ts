import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signJwt, verifyJwt } from '../../demo/jwt.ts';

const claims = { sub: 'usr_1', iat: 1_700_000_000, exp: 1_700_003_600, jti: 'a1' };

test('a signed token verifies with the same secret and gives its claims back', () => {
  assert.deepEqual(verifyJwt(signJwt(claims, 's3cret'), 's3cret'), claims);
});

test('the token is a standard HS256 JWT that any HMAC-SHA256 implementation can check', () => {
  const [head, payload, sig] = signJwt(claims, 's3cret').split('.');
  assert.deepEqual(JSON.parse(Buffer.from(head, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
  assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), claims);
  assert.equal(sig, createHmac('sha256', 's3cret').update(`${head}.${payload}`).digest('base64url'));
});

test('a token signed with another secret, altered or not a JWT is refused', () => {
  const token = signJwt(claims, 's3cret');
  assert.equal(verifyJwt(token, 'other'), null);
  const [head, , sig] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'usr_admin' })).toString('base64url');
  assert.equal(verifyJwt(`${head}.${forged}.${sig}`, 's3cret'), null);
  assert.equal(verifyJwt('not-a-jwt', 's3cret'), null);
  assert.equal(verifyJwt('', 's3cret'), null);
});

test('a token with alg none or without the required claims is refused even when its signature matches', () => {
  const sign = (header: object, body: object) => {
    const unsigned = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
    return `${unsigned}.${createHmac('sha256', 'k').update(unsigned).digest('base64url')}`;
  };
  assert.equal(verifyJwt(sign({ alg: 'none' }, claims), 'k'), null);
  assert.equal(verifyJwt(sign({ alg: 'HS256' }, { sub: 'usr_1', iat: 1 }), 'k'), null);
  assert.notEqual(verifyJwt(sign({ alg: 'HS256' }, claims), 'k'), null);
});
