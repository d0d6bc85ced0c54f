// Opening a recording for the store (storage/store.ts): to write, with WAL, the migrations
// run, and, for the recording run, what a killed run left pending marked interrupted; or
// to read only, a file of the current version as it is. What a file is, is found out
// read-only first (storage/file-check.ts), so nothing is written to a file that is no
// recording. Every failure is a StorageError whose sentence names the file and the fix.

import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { examine, openReadOnly, type FileUse } from './file-check.ts';
import { fileVersion, migrate, schemaVersion } from './migrations.ts';
import { StorageError } from './storage-error.ts';

/** While locked, a write gives up after this long instead of holding up the event loop. */
const busyTimeoutMs = 25;
/** Opening and the final flush on close may wait longer: nothing else is waiting then. */
export const patientBusyTimeoutMs = 2000;

/** What an exchange the proxy never saw end says about itself. */
export const interruptedError = 'the proxy stopped before this exchange ended';

export interface WritableOptions {
  use?: FileUse;
  /** This run records: a killed run's pending rows are marked interrupted, and the file names this process as its recorder. */
  recording?: boolean;
  /** Largest the database may grow to (bytes); past it writes fail as on a full disk. */
  maxBytes?: number;
  /** SQLite's page cache for this connection, in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** A working file its maker removes should anything go wrong (an export's): no journal, no syncs. */
  scratch?: boolean;
  /**
   * A file this open makes, loaded by this process alone before anyone reads it (an import
   * into a new recording): written through a rollback journal, which for a file with no
   * pages yet holds next to nothing, where the WAL holds every page a second time and then
   * copies it into the file. Store.close() puts it in WAL mode, as every recording is. A
   * killed load leaves its journal, which the next command that writes to the file rolls back
   * (storage/file-check.ts examine), leaving it empty.
   */
  freshLoad?: boolean;
  /**
   * Another connection checkpoints the WAL (storage/checkpoint.ts, on a thread of its own):
   * this one never does. A checkpoint syncs the file to disk, which waits for whatever
   * else the machine is writing: on the recorder's thread that held the next commit back
   * for as long (hundreds of ms under a busy disk), and a kill -9 lost it all.
   */
  checkpointsElsewhere?: boolean;
  onNotice?: (message: string) => void;
}

/**
 * Opens or creates the file to write to and makes the store over it with `make`; the
 * database is closed again if that fails. Throws StorageError.
 */
export function openWritable<T>(file: string, options: WritableOptions, make: (db: Database.Database) => T): T {
  const use = options.use ?? { flag: '--db', command: 'proxy', writes: true };
  const { version } = examine(file, use);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: patientBusyTimeoutMs });
  } catch (err) {
    throw new StorageError(openFailure(file, err, use));
  }
  try {
    // A new file can give free pages back (storage/write-statements.ts reclaim); one made before cannot.
    if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
    if (options.scratch) {
      // better-sqlite3 opens SQLite in defensive mode, which answers `journal_mode = OFF` with
      // `delete` unasked: a journal made and removed at every commit. Lifted for this pragma only.
      db.unsafeMode(true);
      db.pragma('journal_mode = OFF');
      db.unsafeMode(false);
    } else {
      db.pragma(`journal_mode = ${options.freshLoad && version === 0 ? 'DELETE' : 'WAL'}`);
    }
    db.pragma(options.scratch ? 'synchronous = OFF' : 'synchronous = NORMAL');
    if (options.checkpointsElsewhere) db.pragma('wal_autocheckpoint = 0');
    // The default 2 MB page cache thrashes once indexes outgrow it (a few hundred thousand rows).
    db.pragma(`cache_size = -${Math.ceil((options.cacheBytes ?? 64 * 2 ** 20) / 1024)}`);
    if (version > 0 && version < schemaVersion) options.onNotice?.(`migrating ${file} from version ${version} to ${schemaVersion}…`);
    migrate(db);
    if (options.recording) {
      markInterrupted(db);
      // Readers tell from this whether a journal left in the file still has a recorder to make it into rows.
      db.prepare("INSERT OR REPLACE INTO store_state (key, value) VALUES ('recorder_pid', ?)").run(process.pid);
    }
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
    }
    const made = make(db);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return made;
  } catch (err) {
    db.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError(openFailure(file, err, use));
  }
}

/**
 * Opens a recording of the current version for reading only and makes the store over it
 * with `make`; `cacheBytes` for its page cache, else SQLite's (16 MB as better-sqlite3
 * builds it). The caller has examined the file. Throws StorageError.
 */
export function openReading<T>(file: string, use: FileUse, make: (db: Database.Database) => T, cacheBytes?: number): T {
  const db = openReadOnly(file, use);
  try {
    if (cacheBytes !== undefined) db.pragma(`cache_size = -${Math.ceil(cacheBytes / 1024)}`);
    const version = fileVersion(db);
    if (version !== schemaVersion) throw new Error(`${file} is at version ${version}; only a version ${schemaVersion} file is read as it is`);
    return make(db);
  } catch (err) {
    db.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError(openFailure(file, err, use));
  }
}

/**
 * A run that was killed (kill -9, a crash, power loss) leaves the rows of exchanges in
 * flight pending forever; a new run marks them interrupted, error sentence included, so
 * bare words find it as they find any failed exchange's error.
 */
function markInterrupted(db: Database.Database): void {
  db.transaction(() => {
    // Their search text names the old state: noted for the index to write again.
    db.prepare("INSERT INTO unindexed (rowid, replaces) SELECT id << 32, 1 FROM exchanges WHERE state = 'pending' ON CONFLICT DO NOTHING").run();
    db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE state = 'pending'").run(interruptedError);
  }).immediate();
}

function openFailure(file: string, err: unknown, use: FileUse): string {
  const message = (err as Error).message;
  const code = (err as { code?: string }).code ?? '';
  const another = use.flag === null ? `${use.command} another file` : `pass ${use.flag} with another path`;
  if (/directory does not exist/.test(message)) {
    return `Cannot open the database ${file}: the folder ${path.dirname(path.resolve(file))} does not exist. Create it, or ${another}.`;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `Cannot open the database ${file}: another program holds it locked. Close that program, or ${another}.`;
  }
  if (use.writes && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM'))) {
    const exists = fs.existsSync(file);
    return `Cannot open the database ${file} for writing (${message}): ${exists ? 'make the file and its folder writable' : 'make its folder writable'}, or ${another}.`;
  }
  return `Cannot open the database ${file}: ${message}. ${another[0].toUpperCase()}${another.slice(1)}, or move that file away.`;
}
