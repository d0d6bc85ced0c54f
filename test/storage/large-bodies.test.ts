import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openForReading } from '../../capture/sources.ts';
import { createCodec } from '../../proto/codec.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { sqliteReadLimit } from '../../storage/rows.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

const dir = fs.mkdtempSync(path.join(tmpdir(), 'ca2-large-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A recording of one exchange whose response body the sqlite3 shell then makes `size`
 * zero bytes, waiting for the search index, as a file from elsewhere could hold it.
 */
function recordingWithBody(name: string, size: number): string {
  const file = path.join(dir, name);
  const store = Store.open(file);
  const recorder = new Recorder(createCodec(), store);
  const at = Date.now() - 1000;
  const flow = {
    id: 1, source: 'live' as const, kind: 'http' as const, startedAt: at, endedAt: at + 5, clientAddress: '127.0.0.1',
    request: { method: 'GET', path: '/big', httpVersion: '1.1', headers: [] as [string, string][], body: Buffer.alloc(0), size: 0, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: [['Content-Type', 'application/octet-stream']] as [string, string][], body: Buffer.from('small'), size: 5, truncated: false },
    error: null,
  };
  recorder.requestStarted(flow);
  recorder.exchangeEnded(flow);
  recorder.stop();
  store.catchUp();
  store.close();
  const grown = spawnSync('sqlite3', [file, `UPDATE exchange_bodies SET response_body = zeroblob(${size}) WHERE id = 1;
    UPDATE exchanges SET response_size = ${size} WHERE id = 1;
    INSERT OR REPLACE INTO unindexed (rowid, replaces) VALUES (1 << 32, 1);
    PRAGMA wal_checkpoint(TRUNCATE);`]);
  assert.equal(grown.status, 0, String(grown.stderr));
  return file;
}

test('a body over what SQLite can hand better-sqlite3 is read empty and truncated, its size kept, by readers and writers alike', () => {
  const file = recordingWithBody('huge.sqlite', sqliteReadLimit + 1000);
  const read = openForReading(file, { use: { flag: '--db', command: 'list', writes: false } });
  try {
    const detail = read.store.getExchange(1)!;
    assert.equal(detail.response!.body, '');
    assert.equal(detail.response!.truncated, true);
    assert.equal(detail.responseSize, sqliteReadLimit + 1000);
    assert.deepEqual(read.store.listExchanges({ filter: 'zzz' }).items, [], 'a bare word decodes the row not yet indexed');
    assert.deepEqual([...read.store.flows()].map((e) => [e.response!.body.length, e.response!.truncated, e.response!.size]), [[0, true, sqliteReadLimit + 1000]]);
  } finally {
    read.close();
  }
  const writer = Store.open(file);
  try {
    writer.catchUp();
    assert.equal(writer.stats().unindexed, 0, 'the background index read it');
  } finally {
    writer.close();
  }
});

test('past the read limit a body is read cut to it (substr in SQL) and marked truncated, its full size kept', () => {
  const file = recordingWithBody('large.sqlite', 5000);
  const har = path.join(dir, 'large.har');
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'export', '--db', file, '-o', har], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, CA2_INSPECTOR_MAX_READ_BODY: '1000' },
  });
  assert.equal(out.status, 0, out.stderr);
  const [entry] = JSON.parse(fs.readFileSync(har, 'utf8')).log.entries;
  assert.equal(Buffer.from(entry.response.content.text, entry.response.content.encoding === 'base64' ? 'base64' : 'utf8').length, 1000);
  assert.equal(entry.response.bodySize, 5000);
  assert.equal(entry._ca2.responseTruncated, true);
});
