// What a file is, found out read-only before anything is written to it. A file from
// elsewhere is untrusted: a crafted one can carry triggers that write gigabytes, or a view
// named like our tables that never ends. So it is opened read-only with trusted_schema
// off, and it is a recording only if every table, index and column in it is one that a
// migration (or a capture's meta) makes, for the version it says it is at. Nothing
// else of it is read before that, and nothing of it is ever written by a reader.

import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { StorageError } from './storage-error.ts';
import { migrate, schemaVersion } from './migrations.ts';

/** How a command names the file it opens, so a refusal can say what to do instead. */
export interface FileUse {
  /** The flag that names the file (--db, --mock, --into), or null for a FILE argument. */
  flag: string | null;
  /** The command, for the advice given with a FILE argument. */
  command: string;
  /** Whether the command writes to the file (proxy --db, import --db, replay --into). */
  writes: boolean;
}

/** What a file holds, as far as opening it goes. */
export interface FileFacts {
  /** Its schema version (storage/migrations.ts); 0 for an empty file. */
  version: number;
  /** Whether it is a capture: it has capture_meta and capture_schema. */
  capture: boolean;
  /** The schema its rows were summarised with, when it keeps one (a capture always does). */
  schema: EmbeddedSchema | null;
  /** Whether a run left tap calls journaled and is gone, so no recorder will store them. */
  orphanedJournal: boolean;
}

export interface EmbeddedSchema {
  descriptorSet: Uint8Array;
  /** The fingerprint of the schema that wrote it (proto/schema.ts), when the file says. */
  fingerprint: string | null;
}

/** The tables a capture adds to a recording (storage/capture-meta.ts). */
export const captureTablesSql = `
  CREATE TABLE capture_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE capture_schema (id INTEGER PRIMARY KEY CHECK (id = 1), descriptor_set BLOB NOT NULL);
`;

/** An embedded schema larger than this is refused unread: the largest real ones are a few MB. */
export const maxEmbeddedSchemaBytes = 32 * 1024 * 1024;

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * A connection that cannot write, nor run SQL the file carries in its schema (views,
 * triggers, defaults and checks are refused as untrusted). Throws StorageError.
 */
export function openReadOnly(file: string, use: FileUse): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new StorageError(unreadable(file, err, use));
  }
  try {
    db.pragma('trusted_schema = OFF');
    db.pragma('query_only = ON');
  } catch (err) {
    db.close();
    throw new StorageError(unreadable(file, err, use));
  }
  return db;
}

/**
 * A write that was killed (an import's fresh load, storage/open.ts) leaves its rollback
 * journal, which a read-only look cannot undo: SQLite rolls it back at a writable
 * connection's first read, restoring what the file last committed and writing nothing
 * else, as it would for any writer. A command that is about to write to the file anyway
 * has it done first; a file that is no database is left for examine() to refuse.
 */
function rollBack(file: string): void {
  try {
    const db = new Database(file, { fileMustExist: true });
    try {
      db.pragma('user_version');
    } finally {
      db.close();
    }
  } catch {
    // examine() says what the file is.
  }
}

/**
 * What `file` is, read-only (for a command that writes to it, once a killed write's journal
 * is rolled back). A file that does not exist, or is empty, is version 0. Throws
 * StorageError with a sentence fit for `use` when it is no ca2-inspector recording, is from
 * a newer one, or holds anything a recording does not.
 */
export function examine(file: string, use: FileUse): FileFacts {
  if (use.writes && fs.existsSync(`${file}-journal`)) rollBack(file);
  const empty: FileFacts = { version: 0, capture: false, schema: null, orphanedJournal: false };
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw new StorageError(unreadable(file, err, use));
  }
  if (size === 0) return empty;
  const head = readHead(file, 256);
  if (!head.startsWith(SQLITE_MAGIC)) throw new StorageError(notSqlite(file, head, use));
  const db = openReadOnly(file, use);
  try {
    return factsOf(db, file, use);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError(unreadable(file, err, use));
  } finally {
    db.close();
  }
}

function factsOf(db: Database.Database, file: string, use: FileUse): FileFacts {
  const entries = db.prepare('SELECT type, name, tbl_name AS tableName, sql FROM sqlite_schema').all() as SchemaEntry[];
  const carried = entries.find((e) => e.type === 'trigger' || e.type === 'view');
  if (carried) {
    throw new StorageError(
      `${file} holds a ${carried.type} (${carried.name}), which no ca2-inspector recording has: it is refused unread, since reading it could run SQL the file carries. ${otherFile(use, true)}.`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    if (entries.length === 0) return { version: 0, capture: false, schema: null, orphanedJournal: false };
    throw new StorageError(`${file} is an SQLite database but not a ca2-inspector ${use.flag === null ? 'recording or capture' : 'recording'}: ${otherFile(use, false)}.`);
  }
  if (version > schemaVersion) {
    throw new StorageError(
      `${file} was written by a newer ca2-inspector (schema version ${version}; this one knows up to ${schemaVersion}): upgrade ca2-inspector, or ${otherFile(use, false)}.`,
    );
  }
  const capture = entries.some((e) => e.name === 'capture_meta') || entries.some((e) => e.name === 'capture_schema');
  const mismatch = compareSchema(entries, expectedEntries(version, capture));
  if (mismatch) {
    throw new StorageError(`${file} says it is a ca2-inspector recording (version ${version}), but ${mismatch}: it is refused unread. ${otherFile(use, true)}.`);
  }
  return { version, capture, schema: embeddedSchema(db, file, version, capture, use), orphanedJournal: orphanedJournal(db, version) };
}

interface SchemaEntry {
  type: string;
  name: string;
  tableName: string;
  sql: string | null;
}

const expectedCache = new Map<string, Map<string, string>>();

/**
 * What a migration (and for a capture, its meta) makes at `version`, by type and name:
 * built by running them on an empty database, so it is exactly what this ca2-inspector
 * makes. The SQL text is compared with white space collapsed.
 */
function expectedEntries(version: number, capture: boolean): Map<string, string> {
  const key = `${version}:${capture}`;
  let expected = expectedCache.get(key);
  if (expected === undefined) {
    const db = new Database(':memory:');
    try {
      migrate(db, version);
      if (capture) db.exec(captureTablesSql);
      const entries = db.prepare('SELECT type, name, tbl_name AS tableName, sql FROM sqlite_schema').all() as SchemaEntry[];
      expected = new Map(entries.map((e) => [entryKey(e), normalSql(e)]));
    } finally {
      db.close();
    }
    expectedCache.set(key, expected);
  }
  return expected;
}

function entryKey(entry: SchemaEntry): string {
  return `${entry.type} ${entry.name}`;
}

function normalSql(entry: SchemaEntry): string {
  return `${entry.tableName}:${(entry.sql ?? '').replace(/\s+/g, ' ').trim()}`;
}

/** What differs, as a phrase ("its table frames is not as that version made it"), or null. */
function compareSchema(entries: SchemaEntry[], expected: Map<string, string>): string | null {
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = entryKey(entry);
    seen.add(key);
    const wanted = expected.get(key);
    if (wanted === undefined) return `it holds the ${entry.type} ${entry.name}, which that version never made`;
    if (wanted !== normalSql(entry)) return `its ${entry.type} ${entry.name} is not as that version made it`;
  }
  for (const key of expected.keys()) {
    if (!seen.has(key)) return `it lacks the ${key} that version made`;
  }
  return null;
}

/** The schema a capture embeds, else the one a recording keeps (store_state, from version 3 on). */
function embeddedSchema(db: Database.Database, file: string, version: number, capture: boolean, use: FileUse): EmbeddedSchema | null {
  if (!capture && version < 3) return null;
  const [column, from] = capture
    ? ['descriptor_set', 'capture_schema WHERE id = 1']
    : ['value', "store_state WHERE key = 'schema_descriptor_set'"];
  const size = db.prepare(`SELECT length(${column}) FROM ${from}`).pluck().get();
  if (typeof size !== 'number') return null;
  if (size > maxEmbeddedSchemaBytes) {
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    throw new StorageError(
      `${file}: its embedded schema is ${mb(size)}, more than the ${mb(maxEmbeddedSchemaBytes)} ca2-inspector reads; ${use.writes ? otherFile(use, false) : 'pass --proto with the schema instead'}.`,
    );
  }
  const bytes = db.prepare(`SELECT ${column} FROM ${from}`).pluck().get();
  if (!(bytes instanceof Uint8Array)) return null;
  const fingerprint = version >= 3 ? db.prepare("SELECT value FROM store_state WHERE key = 'schema_fingerprint'").pluck().get() : null;
  return { descriptorSet: new Uint8Array(bytes), fingerprint: typeof fingerprint === 'string' ? fingerprint : null };
}

/** Whether, not how many: summing the calls reads a leaf page per journal row (about 100 ms for a burst's 90,000 calls). */
function orphanedJournal(db: Database.Database, version: number): boolean {
  if (version < 6) return false;
  if (db.prepare('SELECT 1 FROM tap_journal LIMIT 1').pluck().get() === undefined) return false;
  const pid = db.prepare("SELECT value FROM store_state WHERE key = 'recorder_pid'").pluck().get() as unknown;
  return !(typeof pid === 'number' && processAlive(pid));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process not yet reaped (a zombie) still answers signal 0; on Linux its state says it is gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** What to do instead of opening this file, as the end of a sentence. */
function otherFile(use: FileUse, capitalised: boolean): string {
  const text =
    use.flag !== null
      ? `pass ${use.flag} with another file`
      : use.command === 'import'
        ? 'import a HAR file, a capture or a recording instead'
        : `${use.command} a capture or a recording instead`;
  return capitalised ? text[0].toUpperCase() + text.slice(1) : text;
}

function notSqlite(file: string, head: string, use: FileUse): string {
  const har = head.trimStart().startsWith('{') || path.extname(file).toLowerCase() === '.har';
  if (har && !use.writes && use.flag !== null) {
    const recording = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.sqlite`);
    return `${file} is a HAR file, not a recording: import it first (ca2-inspector import ${file} --db ${recording}), then pass ${use.flag} ${recording}.`;
  }
  if (har && use.writes) {
    return `${file} is a HAR file, not a recording, and is left as it is: pass ${use.flag} with another path (ca2-inspector import ${file} --db FILE makes a recording of it).`;
  }
  return `${file} is not an SQLite database: ${use.writes ? `pass ${use.flag} with another path, or move that file away` : otherFile(use, false)}.`;
}

function unreadable(file: string, err: unknown, use: FileUse): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB') return notSqlite(file, '', use);
  if (code === 'SQLITE_READONLY_ROLLBACK') {
    return `${file} was left half written by a write that was killed (${file}-journal holds what it undoes): a command that writes to it, such as the proxy or 'ca2-inspector import', rolls it back first; or ${otherFile(use, false)}.`;
  }
  if (code.startsWith('SQLITE_CORRUPT')) return `${file} is damaged (${(err as Error).message}): ${otherFile(use, false)}.`;
  return `Cannot read ${file} (${(err as Error).message}): ${otherFile(use, false)}.`;
}

export function isSqliteFile(file: string): boolean {
  return readHead(file, SQLITE_MAGIC.length) === SQLITE_MAGIC;
}

function readHead(file: string, length: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, fs.readSync(fd, head, 0, length, 0)).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}
