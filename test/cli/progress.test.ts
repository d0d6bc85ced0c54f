import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressLine, progressReporter } from '../../cli/progress.ts';

function recorder(tty: boolean) {
  let clock = 0;
  const out: string[] = [];
  return { out, at: (ms: number) => (clock = ms), line: progressLine(tty, (text) => out.push(text), () => clock), now: () => clock };
}

test('replay, on a terminal: one bar redrawn in place with done/total, differences so far, the rate and the ETA', () => {
  let clock = 0;
  const out: string[] = [];
  const progress = progressReporter(true, (text) => out.push(text), () => clock);
  clock = 10_000;
  progress.update({ done: 1, total: 4, different: 1, failed: 0 });
  clock = 20_000;
  progress.update({ done: 4, total: 4, different: 1, failed: 0 });
  progress.end();
  assert.deepEqual(out, [
    '\rreplayed [######------------------] 1/4, 1 different, 0 failed, 0.1/s, ETA 0:30\x1b[K',
    '\rreplayed [########################] 4/4, 1 different, 0 failed\x1b[K',
    '\n',
  ]);
});

test('replay, elsewhere: a plain line at most every 5 s, and the last one', () => {
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
  assert.deepEqual(out, ['replayed 1/3, 0 different, 0 failed, 0.2/s, ETA 0:12\n', 'replayed 3/3, 0 different, 1 failed\n']);
});

test('an export on a terminal: drawn from half a second in, at most every 100 ms, each phase with its own rate and ETA', () => {
  const { out, at, line } = recorder(true);
  for (let done = 1; done <= 4000; done++) {
    at(done / 2);
    line.update({ label: 'exporting: reading tokens', done, total: 4000, unit: 'exchanges' });
  }
  assert.equal(out.length, 16, 'from 500 ms to 2,000 ms, every 100 ms');
  assert.equal(out[0], '\rexporting: reading tokens [######------------------] 1,000/4,000 exchanges, 2,000/s, ETA 0:02\x1b[K');
  assert.equal(out.at(-1), '\rexporting: reading tokens [########################] 4,000/4,000 exchanges\x1b[K', 'the last state is drawn');
  out.length = 0;
  at(3000);
  line.update({ label: 'exporting: writing', done: 1, total: 4000, unit: 'exchanges' });
  at(3600);
  line.update({ label: 'exporting: writing', done: 600, total: 4000, unit: 'exchanges' });
  line.end();
  assert.deepEqual(out, ['\rexporting: writing [####--------------------] 600/4,000 exchanges, 1,000/s, ETA 0:03\x1b[K', '\n']);
});

test('an import of a HAR file counts exchanges against the share of the file read', () => {
  const { out, at, line } = recorder(false);
  at(5000);
  line.update({ label: 'importing big.har', done: 40_000, total: null, share: 0.4, unit: 'exchanges' });
  at(7500);
  line.update({ label: 'importing big.har', done: 100_000, total: null, share: 1, unit: 'exchanges' });
  line.end();
  assert.deepEqual(out, ['importing big.har 40%, 40,000 exchanges, 8,000/s, ETA 0:08\n', 'importing big.har 100%, 100,000 exchanges\n']);
});

test('work over before it is worth watching: nothing on a terminal, its last line elsewhere', () => {
  for (const tty of [true, false]) {
    const { out, at, line } = recorder(tty);
    for (let done = 1; done <= 3; done++) {
      at(done * 100);
      line.update({ label: 'exporting: writing', done, total: 3, unit: 'exchanges' });
    }
    line.end();
    assert.deepEqual(out, tty ? [] : ['exporting: writing 3/3 exchanges\n'], `tty ${tty}`);
  }
});

test('work stopped half-way leaves its last state, without a rate or an ETA that no longer hold', () => {
  const { out, at, line } = recorder(false);
  at(100);
  line.update({ label: 'importing big.har', done: 10, total: null, share: 0.25, unit: 'exchanges' });
  line.end();
  assert.deepEqual(out, ['importing big.har 25%, 10 exchanges\n']);
});
