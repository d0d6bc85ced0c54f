// JSON paths as the codec writes them, and field spans by path and by byte (model/json-path.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childPath, parentPath, SpanIndex } from '../../model/json-path.ts';

describe('JSON paths and field spans', () => {
  it('builds and takes apart paths the way the codec writes them', () => {
    assert.equal(childPath('', 'auth', false), 'auth');
    assert.equal(childPath('auth', 'login', false), 'auth.login');
    assert.equal(childPath('errors', 1, true), 'errors[1]');
    assert.equal(parentPath('auth.login.email'), 'auth.login');
    assert.equal(parentPath('a.list[2]'), 'a.list');
    assert.equal(parentPath('auth'), '');
  });

  const spans = new SpanIndex({
    paths: ['trx', 'auth', 'auth.login', 'auth.login.email', 'errors', 'errors'],
    ranges: [0, 18, 18, 60, 20, 60, 22, 40, 60, 62, 62, 64],
  });

  it('finds the bytes of a field, or of its nearest ancestor with bytes', () => {
    assert.deepEqual(spans.forPath('auth.login.email'), { path: 'auth.login.email', start: 22, end: 40 });
    assert.deepEqual(spans.forPath('auth.login.password'), { path: 'auth.login', start: 20, end: 60 });
    assert.equal(spans.forPath('billing.top_up'), null);
  });

  it('covers every occurrence of a repeated field sent unpacked', () => {
    assert.deepEqual(spans.forPath('errors[1]'), { path: 'errors', start: 60, end: 64 });
  });

  it('maps a byte to the innermost field that contains it', () => {
    assert.equal(spans.atOffset(25)?.path, 'auth.login.email');
    assert.equal(spans.atOffset(45)?.path, 'auth.login');
    assert.equal(spans.atOffset(19)?.path, 'auth');
    assert.equal(spans.atOffset(99), null);
    assert.equal(spans.has('auth'), true);
    assert.equal(spans.has('auth.login.password'), false);
  });
});
