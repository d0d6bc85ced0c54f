// Export and import run as the command in a process whose heap is far smaller than the
// selection held as one array (5,000 exchanges, about 25 MB of HAR): the code that built
// the whole document in memory died at 3,000 with "heap out of memory". Spawns processes:
// run it under the shared lock.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execRecordingProtos, writeExecRecording } from '../../support/exec-recording.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { harViolations } from '../capture/har-schema.ts';

const EXCHANGES = 5_000;
const HEAP_MB = 32;
const dir = mkdtempSync(join(tmpdir(), 'ca2-small-heap-'));
const recording = join(dir, 'big.sqlite');

before(() => writeExecRecording(recording, EXCHANGES));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args, '--proto', execRecordingProtos], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
  });
  return { code: out.status, signal: out.signal, stdout: out.stdout, stderr: out.stderr };
}

/** Rows of a recording, counted by the sqlite3 CLI. */
function rows(file: string): number {
  const out = spawnSync('sqlite3', [file, 'SELECT count(*) FROM exchanges'], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim());
}

test(`exports ${EXCHANGES} exchanges as HAR and as a capture, and imports both back, with a ${HEAP_MB} MB heap`, () => {
  const har = join(dir, 'big.har');
  const capture = join(dir, 'big.capture');
  for (const output of [har, capture]) {
    const out = cli('export', '--db', recording, '-o', output);
    assert.equal(out.code, 0, `${output}: ${out.signal ?? ''} ${out.stderr}`);
    assert.match(out.stdout, new RegExp(`${EXCHANGES} exchange\\(s\\) written`));
  }
  const document = JSON.parse(readFileSync(har, 'utf8'));
  assert.equal(document.log.entries.length, EXCHANGES);
  assert.deepEqual(harViolations(document), []);
  assert.equal(rows(capture), EXCHANGES);

  for (const file of [har, capture]) {
    const into = `${file}.imported.sqlite`;
    const out = cli('import', file, '--db', into);
    assert.equal(out.code, 0, `${file}: ${out.signal ?? ''} ${out.stderr}`);
    assert.equal(rows(into), EXCHANGES, file);
  }
});
