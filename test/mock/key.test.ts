import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKey, normalizeRequest } from '../../mock/key.ts';
import { parseIgnorePath } from '../../model/ignore-path.ts';

test('leaves the trx and the token out of a request, and nothing else', () => {
  assert.deepEqual(normalizeRequest({ trx: 'AAE=', token: 'eyJ…', instances: { list: { limit: 3 } } }, []), { instances: { list: { limit: 3 } } });
});

test('gives the same key whatever order the fields came in, and different keys for different repeated-field orders', () => {
  assert.equal(canonicalKey({ b: 1, a: { y: [1, 2], x: 'z' } }), canonicalKey({ a: { x: 'z', y: [1, 2] }, b: 1 }));
  assert.notEqual(canonicalKey({ a: [1, 2] }), canonicalKey({ a: [2, 1] }));
  assert.notEqual(canonicalKey({ a: '1' }), canonicalKey({ a: 1 }));
});

test('removes --ignore paths: a key, an index, any key or index with *, and everything under them', () => {
  const request = { utils: { ping: { client_time_ms: 17, note: 'x' } }, instances: { list: { statuses: [2, 3], page: { limit: 5 } } } };
  const without = (...paths: string[]) => normalizeRequest(request, paths.map(parseIgnorePath));
  assert.deepEqual(without('utils.ping.client_time_ms').utils, { ping: { note: 'x' } });
  assert.deepEqual(without('*.*.client_time_ms').utils, { ping: { note: 'x' } });
  assert.deepEqual(without('instances.list.page').instances, { list: { statuses: [2, 3] } });
  assert.deepEqual(without('instances.list.statuses[0]').instances, { list: { statuses: [null, 3], page: { limit: 5 } } });
  assert.deepEqual(without('instances.list.statuses[*]').instances, { list: { statuses: [null, null], page: { limit: 5 } } });
  assert.deepEqual(without('instances.list.statuses.*').instances, { list: { statuses: [null, null], page: { limit: 5 } } });
  assert.deepEqual(without('instances.*[*]').instances, { list: { statuses: [2, 3], page: { limit: 5 } } }, '[*] matches indexes only');
});
