import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure } from '../../cli/failure.ts';
import { DEBUG_ENV } from '../../model/user-error.ts';

test('reports an unforeseen error in one line, with the stack only when asked for', () => {
  const saved = process.env[DEBUG_ENV];
  try {
    delete process.env[DEBUG_ENV];
    const line = describeFailure(new Error('socket hang up'));
    assert.equal(line, `socket hang up (this is a bug in ca2-inspector; run with ${DEBUG_ENV}=1 for the stack, and report it)`);
    assert.equal(describeFailure('plain text').startsWith('plain text ('), true);
    process.env[DEBUG_ENV] = '1';
    assert.match(describeFailure(new Error('socket hang up')), /^Error: socket hang up\n\s+at /);
  } finally {
    if (saved === undefined) delete process.env[DEBUG_ENV];
    else process.env[DEBUG_ENV] = saved;
  }
});
