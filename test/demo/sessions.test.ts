import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signJwt, verifyJwt } from '../../demo/jwt.ts';
import { DEMO_JWT_SECRET, Sessions } from '../../demo/sessions.ts';

const now = Date.UTC(2026, 0, 1, 12);
const users = new Sessions(3600_000, (id) => id === 'usr_known');

test('an issued token is a JWT whose sub is the user and whose exp is the lifetime away', () => {
  const { token, expiresAtMs } = users.issue('usr_known', now);
  const claims = verifyJwt(token, DEMO_JWT_SECRET);
  assert.equal(claims?.sub, 'usr_known');
  assert.equal(claims?.iat, now / 1000);
  assert.equal(claims?.exp, now / 1000 + 3600);
  assert.equal(expiresAtMs, now + 3600_000);
  assert.deepEqual(users.check(token, now), { userId: 'usr_known' });
});

test('a token lives at least its lifetime, though its exp counts whole seconds', () => {
  const sessions = new Sessions(1_000, () => true);
  const late = now + 900;
  const { token, expiresAtMs } = sessions.issue('usr_known', late);
  assert.deepEqual(sessions.check(token, late + 999), { userId: 'usr_known' });
  assert.ok(expiresAtMs >= late + 1_000);
  assert.deepEqual(sessions.check(token, expiresAtMs), { error: 'SE_EXPIRED_TOKEN_ERROR' });
});

test('two tokens issued in the same second differ, so logging out one keeps the other', () => {
  const sessions = new Sessions(3600_000, () => true);
  const a = sessions.issue('usr_known', now).token;
  const b = sessions.issue('usr_known', now).token;
  assert.notEqual(a, b);
  sessions.revoke(a, now);
  assert.deepEqual(sessions.check(a, now), { error: 'SE_INVALID_TOKEN_ERROR' });
  assert.deepEqual(sessions.check(b, now), { userId: 'usr_known' });
});

test('no token, a foreign or unknown-user token, and an expired token each get their ServerError', () => {
  const { token } = users.issue('usr_known', now);
  assert.deepEqual(users.check(undefined, now), { error: 'SE_TOKEN_REQUIRED_ERROR' });
  assert.deepEqual(users.check('', now), { error: 'SE_TOKEN_REQUIRED_ERROR' });
  assert.deepEqual(users.check(signJwt({ sub: 'usr_known', iat: 1, exp: 2e9 }, 'another secret'), now), { error: 'SE_INVALID_TOKEN_ERROR' });
  assert.deepEqual(users.check(users.issue('usr_gone', now).token, now), { error: 'SE_INVALID_TOKEN_ERROR' });
  assert.deepEqual(users.check(token, now + 3600_000), { error: 'SE_EXPIRED_TOKEN_ERROR' });
});
