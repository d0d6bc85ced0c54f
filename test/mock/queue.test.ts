import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerQueue } from '../../mock/queue.ts';

test('serves answers in recorded order, then the last one again and again', () => {
  const queue = new AnswerQueue(['first', 'after create', 'after delete']);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => queue.take()), ['first', 'after create', 'after delete', 'after delete', 'after delete']);
});
