// Free pages a file is left with (a burst's tap journal, deleted as it becomes rows that
// take less room) are given back to the file system once the store is idle; a file made
// before that was possible keeps them, and its background work still comes to an end.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../storage/migrations.ts';
import { Store } from '../../storage/store.ts';
import { flowHead } from '../../support/flow-head.ts';
import { sampleTraffic } from '../../support/sample-traffic.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-free-pages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sqlite(file: string, sql: string): number {
  return Number(execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim());
}

/** Writes 200 exchanges with 40 KB bodies, then the same with small ones: about 8 MB of pages fall free. */
function burst(store: Store): void {
  const traffic = sampleTraffic(200, 4);
  for (const { record } of traffic) {
    const body = Buffer.alloc(40_000, record.id);
    store.putExchange(flowHead({ ...record, request: { ...record.request, body, size: body.length } }));
  }
  store.flush();
  for (const { record } of traffic) store.putExchange(flowHead(record));
  store.catchUp();
}

test('a new file gives its free pages back once the background work is done', () => {
  const file = join(dir, 'new.sqlite');
  const store = Store.open(file);
  burst(store);
  store.close();
  assert.ok(sqlite(file, 'PRAGMA freelist_count') < 256, 'fewer than 1 MiB of pages left free');
  assert.ok(statSync(file).size < 2 * 2 ** 20, `the file is ${statSync(file).size} bytes`);
});

test('a file made before keeps its free pages, and its background work ends', () => {
  const file = join(dir, 'older.sqlite');
  const db = new Database(file);
  migrate(db);
  db.close();
  const store = Store.open(file);
  burst(store);
  store.close();
  assert.ok(sqlite(file, 'PRAGMA freelist_count') > 1000);
  assert.equal(sqlite(file, 'PRAGMA auto_vacuum'), 0);
});
