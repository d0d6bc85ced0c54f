import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { GOLDEN_FILE, goldenLines } from './decoder-golden.ts';

test('the decoder prints, byte for byte, what it printed when the golden file was made: every fixture, damaged fixtures, edge values and a 50 KB message, with either schema, with spans and without', () => {
  const golden = fs.readFileSync(GOLDEN_FILE, 'utf8').split('\n').slice(0, -1);
  const lines = goldenLines();
  const cases = (list: string[]) => list.map((line) => line.slice(0, line.indexOf('\t')));
  assert.deepEqual(cases(lines), cases(golden), 'the same cases in the same order');
  for (let i = 0; i < lines.length; i++) assert.equal(lines[i], golden[i], `output of case "${cases([golden[i]])[0]}"`);
});
