// What makes a second import of the same exchange a no-op (migration 5): each imported
// exchange keeps a key, its identity when the file gave one, else a hash of its content
// (capture/content-key.ts). An exchange recorded here has no key: its identity is made
// from the recording's own id (migration 7), its id and when it started, so an export
// names every exchange, and an export imported back into its recording adds nothing.

import type Database from 'better-sqlite3';

/** `<recording id>/<exchange id>@<start, ms since the epoch>`: the start keeps two copies of one recording that went on apart from sharing names. */
const IDENTITY = /^([0-9a-f]{32})\/(\d{1,15})@(\d{1,15})$/;
const CONTENT_KEY = /^[0-9a-f]{64}$/;

/** Whether `name` is one an export gives an exchange: an identity, or the content key an imported one keeps. */
export function isExchangeName(name: string): boolean {
  return IDENTITY.test(name) || CONTENT_KEY.test(name);
}

/** The columns of an exchange's row its identity is made from. */
interface KeyColumns {
  content_key: string | null;
  started_at: number;
}

export function prepareContentKeys(db: Database.Database) {
  const recordingId = db.prepare("SELECT value FROM store_state WHERE key = 'recording_id'").pluck().get() as string;
  const has = db.prepare('SELECT 1 FROM exchanges WHERE content_key = ?').pluck();
  const recorded = db.prepare('SELECT 1 FROM exchanges WHERE id = ? AND content_key IS NULL AND CAST(started_at AS INTEGER) = ?').pluck();
  const keyOf = db.prepare('SELECT content_key, started_at FROM exchanges WHERE id = ?');
  const set = db.prepare('UPDATE exchanges SET content_key = ? WHERE id = ?');
  return {
    has(key: string): boolean {
      const own = IDENTITY.exec(key);
      if (own && own[1] === recordingId && recorded.get(Number(own[2]), Number(own[3])) !== undefined) return true;
      return has.get(key) !== undefined;
    },
    set: (id: number, key: string): void => void set.run(key, id),
    /** The identity an export gives the exchange; null if there is no such exchange. */
    identity(id: number): string | null {
      const row = keyOf.get(id) as KeyColumns | undefined;
      return row ? identityOf(id, row) : null;
    },
    /** The identity of the exchange whose row (its key columns) was read already. */
    identityOf,
  };
  function identityOf(id: number, row: KeyColumns): string {
    return row.content_key ?? `${recordingId}/${id}@${Math.trunc(row.started_at)}`;
  }
}
