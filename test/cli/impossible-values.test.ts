// A file from elsewhere whose rows hold values no recording can (a start of 1e300, a
// status of 99.5, a close code of 999): import refuses it naming the exchange and the
// column, so the user's recording never gets the row; list still reads it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../support/proxy-process.ts';
import { writeSampleRecording } from '../capture/sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-impossible-'));
const good = join(dir, 'good.sqlite');

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A copy of the sample recording with one value changed, as another program would write it. */
function crafted(name: string, sql: string): string {
  const file = join(dir, name);
  copyFileSync(good, file);
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return file;
}

before(() => writeSampleRecording(good));
after(() => rmSync(dir, { recursive: true, force: true }));

test('import refuses a recording with an impossible value, naming the exchange and the column, and stores nothing', () => {
  const cases: [string, string, RegExp][] = [
    ['time.sqlite', 'UPDATE exchanges SET started_at = 1e300 WHERE id = 2', /exchange 2 has started_at 1e\+300, not a time between 1970 and 9999/],
    ['status.sqlite', 'UPDATE exchanges SET status = 99.5 WHERE id = 1', /exchange 1 has status 99\.5, not an HTTP status/],
    ['close.sqlite', "UPDATE exchanges SET close_code = 999 WHERE kind = 'ws'", /has close_code 999, not a close code/],
    ['frame.sqlite', 'UPDATE frames SET at = -5 WHERE seq = 0', /has at -5, not a time between 1970 and 9999/],
  ];
  for (const [name, sql, expected] of cases) {
    const target = join(dir, `into-${name}`);
    const out = cli('import', crafted(name, sql), '--db', target);
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, expected);
    assert.match(out.stderr, /nothing from this file was imported\.\n$/);
    assert.doesNotMatch(out.stderr, /this is a bug/);
    assert.equal(existsSync(target), false, 'the --db it would have made is not left behind');
  }
});

test('list still reads a recording whose start time no date can hold', () => {
  const file = crafted('list.sqlite', 'UPDATE exchanges SET started_at = 1e300 WHERE id = 2');
  const out = cli('list', '--db', file, '--json');
  assert.equal(out.code, 0, out.stderr);
  const rows = out.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; startedAt: string });
  assert.equal(rows.find((r) => r.id === 2)?.startedAt, '+275760-09-13T00:00:00.000Z');
});
