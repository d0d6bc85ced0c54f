// Loads into an empty recording build the exchanges' indexes once, after the rows: the
// file must come out as one made row by row would, its indexes whole (SQLite's own
// integrity check compares every index entry with its row), and a refused import must
// leave them as they were.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import { SourceError } from '../../capture/source-error.ts';
import { createCodec } from '../../proto/codec.ts';
import { LoadSyncs } from '../../storage/bulk-load.ts';
import { examine } from '../../storage/file-check.ts';
import { Store } from '../../storage/store.ts';
import { writeExecRecording } from '../../support/exec-recording.ts';
import { importInto } from '../capture/import-file.ts';
import { demoProtos } from '../capture/sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-bulk-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec({ protoPaths: [demoProtos] });
/** More than two write batches (capture/record.ts), so the load commits along the way. */
const COUNT = 1_200;

function sqlite(file: string, sql: string): string {
  const run = spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

/** A recording's indexes; a capture's own meta table aside. */
const indexes = (file: string) => sqlite(file, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name <> 'capture_meta' ORDER BY name");
/** What a recording made and left empty holds: the indexes every load must end with. */
const emptyRecording = (() => {
  const file = join(dir, 'empty.sqlite');
  Store.open(file, { codec }).close();
  return file;
})();

/** The exec recording exported as `format`, tokens kept. */
async function exported(format: 'har' | 'capture'): Promise<string> {
  const source = join(dir, 'source.sqlite');
  rmSync(source, { force: true });
  writeExecRecording(source, COUNT);
  const store = Store.open(source, { codec });
  const output = join(dir, `source.${format}`);
  try {
    await exportRecording(store, { format, output, redact: false, codec, toolVersion: 'test' });
  } finally {
    store.close();
  }
  return output;
}

test('an import into a new recording ends with every index a recording has, each matching its rows', async () => {
  const db = join(dir, 'imported.sqlite');
  importInto(db, await exported('har'), codec);
  assert.equal(sqlite(db, 'SELECT count(*) FROM exchanges'), String(COUNT));
  assert.equal(indexes(db), indexes(emptyRecording));
  assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
  // The planner uses them: a lookup by trx reads its index, not the table.
  assert.match(sqlite(db, "EXPLAIN QUERY PLAN SELECT id FROM exchanges WHERE trx = 'x'"), /USING (COVERING )?INDEX exchanges_trx/);
});

test('a capture export ends with every index a recording has, each matching its rows', async () => {
  const capture = await exported('capture');
  assert.equal(sqlite(capture, 'SELECT count(*) FROM exchanges'), String(COUNT));
  assert.equal(indexes(capture), indexes(emptyRecording));
  assert.equal(sqlite(capture, 'PRAGMA integrity_check'), 'ok');
});

test('an import into a new recording refused at its last entry leaves it empty, with every index', async () => {
  const har = await exported('har');
  const document = JSON.parse(readFileSync(har, 'utf8'));
  document.log.entries.at(-1).response.status = 'teapot';
  writeFileSync(har, JSON.stringify(document));
  const db = join(dir, 'refused.sqlite');
  assert.throws(() => importInto(db, har, codec), (err: Error) => err instanceof SourceError && /entries\[1199\]\.response\.status is not a number/.test(err.message));
  assert.equal(sqlite(db, 'SELECT count(*) FROM exchanges'), '0');
  assert.equal(indexes(db), indexes(emptyRecording));
  assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
});

test('an import into a recording that holds exchanges keeps its indexes up as it goes, and they match their rows', async () => {
  const db = join(dir, 'twice.sqlite');
  writeExecRecording(db, 10);
  importInto(db, await exported('har'), codec);
  assert.equal(sqlite(db, 'SELECT count(*) FROM exchanges'), String(COUNT + 10));
  assert.equal(indexes(db), indexes(emptyRecording));
  assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
});

test('an import into a file it makes is loaded through a rollback journal, stores the rows a load through the WAL does, and ends in WAL mode', async () => {
  const har = await exported('har');
  const walLoaded = join(dir, 'through-wal.sqlite');
  importInto(walLoaded, har, codec);
  const fresh = join(dir, 'fresh.sqlite');
  importInto(fresh, har, codec, undefined, { freshLoad: true });
  assert.equal(sqlite(fresh, 'PRAGMA journal_mode'), 'wal');
  assert.equal(sqlite(fresh, 'PRAGMA integrity_check'), 'ok');
  for (const table of ['exchanges', 'exchange_bodies', 'header_pairs', 'unindexed']) {
    assert.equal(sqlite(fresh, `SELECT * FROM ${table} ORDER BY rowid`), sqlite(walLoaded, `SELECT * FROM ${table} ORDER BY rowid`), table);
  }
});

test('an import into a file it makes, killed half way through, leaves a recording the next open finds empty and whole', async () => {
  const har = await exported('har');
  const db = join(dir, 'killed.sqlite');
  // A page cache of a few pages, so that rows reach the file before the kill.
  const script = `
    import { openForImport, recordFlows } from './capture/record.ts';
    import { openSource } from './capture/sources.ts';
    import { createCodec } from './proto/codec.ts';
    const codec = createCodec({ protoPaths: [${JSON.stringify(demoProtos)}] });
    const source = openSource(${JSON.stringify(har)});
    const store = openForImport(${JSON.stringify(db)}, codec, { freshLoad: true, cacheBytes: 64 * 1024 });
    let read = 0;
    recordFlows(store, codec, source.flows, { dedupe: true, read: () => ++read === ${COUNT - 1} && process.kill(process.pid, 'SIGKILL') });
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  assert.ok(statSync(db).size > 1024 * 1024, 'the killed load wrote rows into the file');
  const reading = { flag: '--db', command: 'list', writes: false };
  assert.throws(() => examine(db, reading), /left half written by a write that was killed .*rolls it back first/);
  // import examines its --db before it opens it: a command that writes has the journal rolled back there, as the sentence says.
  assert.equal(examine(db, { flag: '--db', command: 'import', writes: true }).version > 0, true);
  assert.equal(examine(db, reading).version > 0, true);
  const store = Store.open(db, { codec });
  try {
    assert.equal(store.listExchanges().items.length, 0);
  } finally {
    store.close();
  }
  assert.equal(sqlite(db, 'SELECT count(*) FROM exchanges'), '0');
  assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sqlite(db, 'PRAGMA journal_mode'), 'wal');
});

/** This process's descriptors on `file`. */
const descriptors = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

test('a fresh load told of its writes keeps its locks meanwhile, and closes what it opened to sync the file', { skip: process.platform !== 'linux' && 'descriptors are counted in /proc' }, () => {
  const file = join(dir, 'synced.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = NORMAL');
    // A small page cache, so that pages reach the file during the transaction.
    db.pragma('cache_size = -256');
    db.exec('CREATE TABLE t (b BLOB)');
    const own = descriptors(file);
    const syncs = LoadSyncs.before(db, file);
    assert.ok(syncs, 'a rollback-journal file whose commit syncs');
    db.exec('BEGIN IMMEDIATE');
    const insert = db.prepare('INSERT INTO t VALUES (randomblob(65536))');
    // 40 MB, told after each 1 MB: more than one sync's worth.
    for (let i = 1; i <= 640; i++) {
      insert.run();
      if (i % 16 === 0) syncs.written();
    }
    const other = spawnSync('sqlite3', [file, 'INSERT INTO t VALUES (1)'], { encoding: 'utf8' });
    assert.notEqual(other.status, 0, 'another process cannot write while the load goes on');
    assert.match(other.stderr, /locked/);
    db.exec('COMMIT');
    syncs.close();
    assert.equal(descriptors(file), own);
  } finally {
    db.close();
  }
  assert.equal(sqlite(file, 'SELECT count(*) FROM t'), '640');
});

test('a load into a WAL file, or inside a transaction already begun, is not synced as it goes', () => {
  const file = join(dir, 'wal.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    assert.equal(LoadSyncs.before(db, file), null);
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN IMMEDIATE');
    assert.equal(LoadSyncs.before(db, file), null);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
});
