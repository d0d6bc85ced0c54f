import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressReporter } from '../../cli/progress.ts';

test('on a terminal, one bar redrawn in place with done/total, differences so far and the ETA', () => {
  let clock = 0;
  const out: string[] = [];
  const progress = progressReporter(true, (text) => out.push(text), () => clock);
  clock = 10_000;
  progress.update({ done: 1, total: 4, different: 1, failed: 0 });
  clock = 20_000;
  progress.update({ done: 4, total: 4, different: 1, failed: 0 });
  progress.end();
  assert.deepEqual(out, [
    '\r[######------------------] 1/4, 1 different, 0 failed  ETA 0:30\x1b[K',
    '\r[########################] 4/4, 1 different, 0 failed\x1b[K',
    '\n',
  ]);
});

test('elsewhere, a plain line at most every 5 s, and always the last one', () => {
  let clock = 0;
  const out: string[] = [];
  const progress = progressReporter(false, (text) => out.push(text), () => clock);
  clock = 6_000;
  progress.update({ done: 1, total: 3, different: 0, failed: 0 });
  clock = 7_000;
  progress.update({ done: 2, total: 3, different: 0, failed: 1 });
  clock = 8_000;
  progress.update({ done: 3, total: 3, different: 0, failed: 1 });
  progress.end();
  assert.deepEqual(out, ['replayed 1/3, 0 different, 0 failed  ETA 0:12\n', 'replayed 3/3, 0 different, 1 failed\n']);
});
