// The content keys of imported exchanges (migration 3): what makes a second import of the
// same exchange a no-op.

import type Database from 'better-sqlite3';

export function prepareContentKeys(db: Database.Database) {
  const has = db.prepare('SELECT 1 FROM exchanges WHERE content_key = ?').pluck();
  const set = db.prepare('UPDATE exchanges SET content_key = ? WHERE id = ?');
  return {
    has: (key: string): boolean => has.get(key) !== undefined,
    set: (id: number, key: string): void => void set.run(key, id),
  };
}
