import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../demo/rate-limit.ts';

test('allows the configured number of requests per window, then says how long to wait', () => {
  const limiter = new RateLimiter({ requests: 3, windowMs: 1000 });
  assert.deepEqual([0, 10, 20].map((t) => limiter.take('a', 1000 + t)), [0, 0, 0]);
  assert.equal(limiter.take('a', 1400), 600);
  assert.equal(limiter.take('a', 1999), 1);
});

test('a new window starts once the old one has passed', () => {
  const limiter = new RateLimiter({ requests: 1, windowMs: 100 });
  assert.equal(limiter.take('a', 0), 0);
  assert.ok(limiter.take('a', 50) > 0);
  assert.equal(limiter.take('a', 100), 0);
});

test('each token has its own window', () => {
  const limiter = new RateLimiter({ requests: 1, windowMs: 1000 });
  assert.equal(limiter.take('a', 0), 0);
  assert.ok(limiter.take('a', 1) > 0);
  assert.equal(limiter.take('b', 2), 0);
});

test('a limit that allows nothing is refused with a sentence saying what to change', () => {
  assert.throws(() => new RateLimiter({ requests: 0, windowMs: 1000 }), /at least 1 request per window/);
  assert.throws(() => new RateLimiter({ requests: 5, windowMs: 0 }), /longer than 0 ms/);
});
