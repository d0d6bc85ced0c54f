import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepeatedLines } from '../../mock/repeats.ts';

test('says each line once, then its count while it grows and when it stops', { timeout: 10_000 }, async () => {
  const printed: string[] = [];
  const lines = new RepeatedLines((l) => printed.push(l), 20);
  for (const line of ['mock: a', 'mock: a', 'mock: b', 'mock: a']) lines.say(line);
  assert.deepEqual(printed, ['mock: a', 'mock: b']);
  while (printed.length < 3) await sleep(10);
  assert.deepEqual(printed, ['mock: a', 'mock: b', 'mock: a (×3 so far)']);
  lines.say('mock: a');
  lines.say('mock: b');
  lines.close();
  assert.deepEqual(printed.slice(3).sort(), ['mock: a (×4 in all)', 'mock: b (×2 in all)']);
  lines.close();
  assert.equal(printed.length, 5, 'nothing new, nothing said');
});

test('remembers a bounded number of lines, saying the count of one it forgets', () => {
  const printed: string[] = [];
  const lines = new RepeatedLines((l) => printed.push(l));
  lines.say('first');
  lines.say('first');
  for (let i = 0; i < 1_000; i++) lines.say(`line ${i}`);
  assert.deepEqual(printed.slice(0, 3), ['first', 'line 0', 'line 1']);
  assert.deepEqual(printed.slice(-3), ['line 998', 'first (×2 so far)', 'line 999'], 'forgotten for the 1,001st line, its count said first');
  lines.say('first');
  lines.close();
  assert.equal(printed.at(-1), 'first', 'a forgotten line is new again');
});
