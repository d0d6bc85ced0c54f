// Many exchanges loaded into a recording that holds none yet (an import into a new
// recording, an export's working capture): the exchanges' lookup indexes are built once
// after the load, a sort each, rather than kept up row by row. A row write with its
// indexes kept up was 35–40 µs, most of it in the indexes.

import type Database from 'better-sqlite3';

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
