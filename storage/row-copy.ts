// A copy of a recording's rows, for a reader that cannot read the file as it is: one of an
// older version, which the copy is migrated from, or one whose last run left tap calls
// journaled, which are stored into rows in the copy. Rows, not the file: the copy's tables
// are made here by the migrations, so nothing the file carries comes along, and the file is
// only read, through a read-only connection, once storage/file-check.ts has passed it.

import Database from 'better-sqlite3';
import { captureTablesSql, openReadOnly, type FileFacts, type FileUse } from './file-check.ts';
import { migrate, queueAllForIndex } from './migrations.ts';
import { readableColumn } from './rows.ts';

/** Tables not copied: the search index and its notes are made again from the rows. */
const notCopied = new Set(['unindexed', 'sqlite_sequence']);

/** Copies every row of `file` (examined: `facts`) into a new recording at `target`, migrated to this version. */
export function copyRows(file: string, facts: FileFacts, target: string, use: FileUse): void {
  const source = openReadOnly(file, use);
  const copy = new Database(target);
  try {
    // A temporary file, made again should anything go wrong.
    copy.pragma('journal_mode = OFF');
    copy.pragma('synchronous = OFF');
    migrate(copy, facts.version);
    if (facts.capture) copy.exec(captureTablesSql);
    const tables = copy
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'search\\_text\\_%' ESCAPE '\\'")
      .pluck()
      .all() as string[];
    // The file's rows replace any a migration made (store_state's recording_id).
    copy.transaction(() => {
      for (const table of tables.filter((t) => !notCopied.has(t))) {
        const columns = copy.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
        const insert = copy.prepare(`INSERT OR REPLACE INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        const rows = source.prepare(`SELECT ${columns.map((c) => readableColumn(table, c)).join(', ')} FROM "${table}"`).raw();
        for (const row of rows.iterate()) insert.run(row);
      }
    })();
    migrate(copy);
    // The copy's search index starts empty: every row waits for it (storage/search-index.ts).
    queueAllForIndex(copy);
  } finally {
    source.close();
    copy.close();
  }
}
