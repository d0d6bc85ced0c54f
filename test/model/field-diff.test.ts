import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JsonValue } from '../../model/types.ts';
import { diffAll, diffJson, isJwtValue } from '../../model/field-diff.ts';

const jwt = (claims: object) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('response differences', () => {
  test('equal responses have none', () => {
    const value = { billing: { balances: [{ currency: 'EUR', amount_minor: '100' }] }, errors: [] };
    assert.deepEqual(diffJson(value, structuredClone(value)), []);
  });

  test('a changed, an added and a removed field are named by their path in the tree notation', () => {
    const before: JsonValue = { billing: { balances: [{ amount_minor: '100' }, { amount_minor: '5', note: 'x' }] }, errors: ['SE_A'] };
    const after = { billing: { balances: [{ amount_minor: '100' }, { amount_minor: '7' }], extra: true }, errors: ['SE_A', 'SE_B'] };
    assert.deepEqual(diffJson(before, after), [
      { path: 'billing.balances[1].amount_minor', change: 'changed', before: '5', after: '7' },
      { path: 'billing.balances[1].note', change: 'removed', before: 'x', after: null },
      { path: 'billing.extra', change: 'added', before: null, after: true },
      { path: 'errors[1]', change: 'added', before: null, after: 'SE_B' },
    ]);
  });

  test('a value of another type is changed, whole', () => {
    assert.deepEqual(diffJson({ a: { b: 1 } }, { a: [1] }), [{ path: 'a', change: 'changed', before: { b: 1 }, after: [1] }]);
  });

  test('the trx is never a difference', () => {
    assert.deepEqual(diffJson({ trx: 'AAAA', ok: 1 }, { trx: 'BBBB', ok: 1 }), []);
    assert.deepEqual(diffJson({ ok: 1 }, { trx: 'BBBB', ok: 1 }), []);
  });

  test('tokens on both sides are not differences, a token against something else is', () => {
    const old = jwt({ sub: 'u1', exp: 1 });
    const fresh = jwt({ sub: 'u1', exp: 2 });
    assert.ok(isJwtValue(old));
    assert.deepEqual(diffJson({ auth: { login: { token: old } } }, { auth: { login: { token: fresh } } }), []);
    assert.deepEqual(diffJson({ auth: { token: old } }, { auth: { token: '' } }), [{ path: 'auth.token', change: 'changed', before: old, after: '' }]);
  });

  test('--ignore paths leave fields out, with * for any index or key', () => {
    const before = { billing: { balances: [{ updated_at_ms: '1', amount: 1 }, { updated_at_ms: '2', amount: 2 }] }, stats: { a: { t: 1 }, b: { t: 2 } } };
    const after = { billing: { balances: [{ updated_at_ms: '3', amount: 1 }, { updated_at_ms: '4', amount: 3 }] }, stats: { a: { t: 5 }, b: { t: 6 } } };
    assert.deepEqual(diffJson(before, after, ['billing.balances[*].updated_at_ms', 'stats.*.t']), [
      { path: 'billing.balances[1].amount', change: 'changed', before: 2, after: 3 },
    ]);
    assert.equal(diffJson(before, after, ['billing.balances[0].updated_at_ms']).length, 4);
    assert.deepEqual(diffJson({ a: [1, 2] }, { a: [3, 4] }, ['a.*']), [], '* is any index too, as the README says and the mock does');
  });

  test('numbered keys of unknown fields have paths like the tree shows them', () => {
    assert.deepEqual(diffJson({ auth: { 1: { 3: 'a' } } }, { auth: { 1: { 3: 'b' } } }), [{ path: 'auth.1.3', change: 'changed', before: 'a', after: 'b' }]);
  });
});

describe('what a rule changed', () => {
  test('every field counts, the trx and a token in place of another included', () => {
    const old = jwt({ sub: 'u1', exp: 1 });
    const revoked = jwt({ sub: 'u1', exp: 0 });
    assert.deepEqual(diffAll({ trx: 'AAAA', token: old, users: { me: {} } }, { trx: 'BBBB', token: revoked, users: { me: {} }, errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] }), [
      { path: 'trx', change: 'changed', before: 'AAAA', after: 'BBBB' },
      { path: 'token', change: 'changed', before: old, after: revoked },
      { path: 'errors', change: 'added', before: null, after: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] },
    ]);
    assert.deepEqual(diffAll({ billing: { balances: [{ amount_minor: '1' }] } }, {}), [{ path: 'billing', change: 'removed', before: { balances: [{ amount_minor: '1' }] }, after: null }]);
  });
});
