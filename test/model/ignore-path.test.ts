// The one --ignore notation, pinned: the mock's key and the replay's comparison both use it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIgnored, parseIgnorePath } from '../../model/ignore-path.ts';

test('parses --ignore paths in the JSON tree notation', () => {
  assert.deepEqual(parseIgnorePath('billing.balances[*].updated_at_ms'), ['billing', 'balances', '[*]', 'updated_at_ms']);
  assert.deepEqual(parseIgnorePath('*.list.statuses[0]'), ['*', 'list', 'statuses', '[0]']);
  assert.deepEqual(parseIgnorePath('.'), [], 'a path with no segment, which the CLI refuses');
});

test('* is any key or index, [*] any index only, and a path covers everything under it', () => {
  const paths = ['a.*', 'b[*]', 'c.d'].map(parseIgnorePath);
  assert.equal(isIgnored(paths, ['a', '[0]']), true);
  assert.equal(isIgnored(paths, ['a', 'x']), true);
  assert.equal(isIgnored(paths, ['b', '[3]']), true);
  assert.equal(isIgnored(paths, ['b', 'x']), false);
  assert.equal(isIgnored(paths, ['c', 'd', 'e', '[1]']), true);
  assert.equal(isIgnored(paths, ['c']), false, 'an ancestor of an ignored path is not ignored');
});
