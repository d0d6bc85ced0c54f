// Many exchanges loaded into a recording that holds none yet (an import into a new
// recording, an export's working capture): the exchanges' lookup indexes are built once
// after the load, a sort each, rather than kept up row by row. A row write with its
// indexes kept up was 35–40 µs, most of it in the indexes.

import type Database from 'better-sqlite3';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Runs `load` with the exchanges' non-unique indexes dropped when the table is empty, and
 * makes them again, from the statements that made them, once it returns. A unique index
 * stays: it is a rule the load must keep (one content key per exchange), and an import
 * looks rows up by it. When `load` throws, the indexes are not made again: the caller
 * rolls back the transaction it ran in, or removes the file.
 */
export function indexesAfter<T>(db: Database.Database, load: () => T): T {
  const empty = db.prepare('SELECT 1 FROM exchanges LIMIT 1').get() === undefined;
  const deferred = empty
    ? (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exchanges' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'").all() as { name: string; sql: string }[])
    : [];
  for (const { name } of deferred) db.exec(`DROP INDEX "${name}"`);
  const result = load();
  for (const { sql } of deferred) db.exec(sql);
  return result;
}

/** What SQLite may have handed the system to write since the last sync before the next one. */
const SYNC_EVERY_BYTES = 16 * 2 ** 20;
/** Longest a sync under way is waited for once the load has ended. */
const SYNC_WAIT_MS = 30_000;

/** The syncing thread's state, slot 0 of the shared word. */
const IDLE = 0;
const SYNCING = 1;
const STOP = 2;
const GONE = 3;

/**
 * The syncing thread: CommonJS, and plain JavaScript, so that it starts without a loader. It
 * syncs whenever told, and says when it is done, on the shared word: the load waits on no
 * event loop to hear of it.
 */
const SYNCER = `
const { workerData } = require('node:worker_threads');
const { fdatasyncSync } = require('node:fs');
const state = new Int32Array(workerData.state);
process.on('exit', () => { Atomics.store(state, 0, ${GONE}); Atomics.notify(state, 0); });
for (;;) {
  Atomics.wait(state, 0, ${IDLE});
  if (Atomics.load(state, 0) !== ${SYNCING}) break;
  try { fdatasyncSync(workerData.fd); } catch {}
  Atomics.store(state, 0, ${IDLE});
  Atomics.notify(state, 0);
}`;

/**
 * A fresh load's file synced now and then while it is written, on a thread of its own. In a
 * rollback-journal transaction SQLite writes pages out as its cache fills, and its COMMIT
 * then syncs the file once: the system, which had started writing none of them back (its
 * thresholds are gigabytes and 30 s), wrote them all then, 220-230 ms of an import of 100k
 * exchanges. Synced as the load goes, the COMMIT took 80-110 ms. On the load's own thread
 * the syncs cost more than that (six of 16 MB, 185 ms): the thread waits for them instead.
 *
 * The descriptor this needs must never be closed while SQLite holds a lock on the file:
 * POSIX locks belong to the process and the file, not to a descriptor, so closing any
 * descriptor on the file drops every lock the process holds on it, SQLite's included.
 * SQLite guards its own descriptors against that (it keeps one open while the file is
 * locked) but knows nothing of this one. So it is opened before the transaction begins and
 * closed once the transaction has ended, committed or rolled back, when this connection
 * holds no lock: in rollback-journal mode SQLite takes the file's locks for a transaction
 * or a statement and lets them all go at its end (in WAL mode it would keep a shared lock
 * for as long as the connection is open). Opened inside the transaction instead, it would
 * have to be closed inside it too, or be left open past a throw. No other connection has
 * the file: a fresh load's file was made for it. And it is closed only once the syncing
 * thread has stopped using it.
 */
export class LoadSyncs {
  private synced = 0;

  private constructor(
    private readonly fd: number,
    private readonly state: Int32Array,
  ) {}

  /** For a transaction about to begin on `file`; null when its commit does not sync (WAL, synchronous off) or the file cannot be opened. */
  static before(db: Database.Database, file: string): LoadSyncs | null {
    if (db.inTransaction || db.pragma('journal_mode', { simple: true }) !== 'delete' || db.pragma('synchronous', { simple: true }) === 0) return null;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    const state = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    try {
      // No flags: a loader the process was started with (tsx) would cost the thread most of a second.
      const syncer = new Worker(SYNCER, { eval: true, workerData: { fd, state }, execArgv: [] });
      // Syncs are only sooner than the COMMIT's own: a thread that fails leaves the state GONE, and the load goes on.
      syncer.on('error', () => undefined).unref();
    } catch {
      closeSync(fd);
      return null;
    }
    return new LoadSyncs(fd, new Int32Array(state));
  }

  /** After a commit of part of the load: has what was written since the last sync synced once it is SYNC_EVERY_BYTES, unless a sync is under way. */
  written(): void {
    const size = fstatSync(this.fd).size;
    if (size - this.synced < SYNC_EVERY_BYTES || Atomics.compareExchange(this.state, 0, IDLE, SYNCING) !== IDLE) return;
    Atomics.notify(this.state, 0);
    this.synced = size;
  }

  /**
   * Once the transaction has ended: waits for a sync under way, so that the descriptor's
   * number is not given to another file while the thread still means this one, stops the
   * thread, and closes the descriptor. A thread that never started leaves a sync asked for
   * under way for ever: the wait for it is bounded.
   */
  close(): void {
    while (Atomics.compareExchange(this.state, 0, IDLE, STOP) === SYNCING) {
      if (Atomics.wait(this.state, 0, SYNCING, SYNC_WAIT_MS) === 'timed-out') break;
    }
    Atomics.store(this.state, 0, STOP);
    Atomics.notify(this.state, 0);
    closeSync(this.fd);
  }
}
