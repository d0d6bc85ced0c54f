import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar } from '../../capture/progress.ts';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

test('draws one bar on a terminal for a large file, redrawn once per percent and ended with a newline', () => {
  const tty = stream(true);
  const show = progressBar('importing big.har', tty.stream);
  for (let i = 1; i <= 1000; i++) show(i, 1000);
  assert.equal(tty.written.length, 101, "0% to 100%");
  assert.match(tty.written[50], /^\rimporting big\.har \[#{15} {15}\] 50% \(500\/1000\)$/);
  assert.match(tty.written.at(-1)!, /100% \(1000\/1000\)\n$/);
});

test('stays silent off a terminal and for small files', () => {
  const pipe = stream(false);
  const small = stream(true);
  for (let i = 1; i <= 1000; i++) progressBar('x', pipe.stream)(i, 1000);
  for (let i = 1; i <= 10; i++) progressBar('x', small.stream)(i, 10);
  assert.deepEqual([pipe.written.length, small.written.length], [0, 0]);
});
