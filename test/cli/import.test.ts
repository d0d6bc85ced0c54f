import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../support/proxy-process.ts';
import { demoProtos, writeSampleRecording } from '../capture/sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-cli-import-'));
const db = join(dir, 'rec.sqlite');

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

before(() => {
  writeSampleRecording(db);
  assert.equal(cli('export', '--db', db, '-o', join(dir, 'a.har'), '--filter', 'kind:exec', '--proto', demoProtos).code, 0);
  assert.equal(cli('export', '--db', db, '-o', join(dir, 'b.capture'), '--keep-tokens').code, 0);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('import adds HAR files and captures, leaves out what is already there, and refuses a malformed file whole', () => {
  const target = join(dir, 'merged.sqlite');
  const first = cli('import', join(dir, 'a.har'), join(dir, 'b.capture'), '--db', target, '--proto', demoProtos);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /a\.har: 3 exchange\(s\) added/);
  // The capture holds the same three /exec exchanges, unredacted: the same exchanges all the same.
  assert.match(first.stdout, /b\.capture: 2 exchange\(s\) added to .*; 3 already there, left out\.\n/);
  const again = cli('import', join(dir, 'a.har'), join(dir, 'b.capture'), '--db', target);
  assert.match(again.stdout, /a\.har: 0 exchange\(s\) added to .*; 3 already there, left out\.\n[^]*b\.capture: 0 exchange\(s\) added to .*; 5 already there/);
  assert.match(again.stdout, /^importing .*b\.capture 5\/5 exchanges\n(?!importing)/m, 'off a terminal, the last line of each file, once');
  const bad = cli('import', join(projectRoot, 'package.json'), '--db', target);
  assert.equal(bad.code, 2, 'a refused file is something the user can fix');
  assert.match(bad.stderr, /package\.json: log\.entries is missing, so this is not a HAR file/);
  assert.equal(cli('list', '--db', target, '--limit', '100').stdout.trim().split('\n').length, 5);
  assert.equal(cli('import', '--db', target).code, 2);
});

test('a folder or a missing file to import is one sentence and exit 2, before anything is read', () => {
  const folder = cli('import', '.', '--db', join(dir, 'never.sqlite'));
  assert.deepEqual([folder.code, folder.stderr], [2, 'ca2-inspector import: the file to import . is a folder, not a file; name a file inside it.\n']);
  const missing = cli('import', join(dir, 'a.har'), join(dir, 'gone.har'), '--db', join(dir, 'never.sqlite'));
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `ca2-inspector import: the file to import ${join(dir, 'gone.har')} cannot be read (no such file).\n`);
  assert.doesNotMatch(missing.stdout, /a\.har/, 'the readable file before it was not imported either');
});
