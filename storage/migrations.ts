// The database schema, as the list of steps that built it. A file records the last step
// applied in PRAGMA user_version; opening it applies the steps it lacks, each in its own
// transaction, so a file made by an older version opens in a newer one. Never edit a
// step that has shipped: add the next one.

import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'exchanges, their bodies, their errors and WebSocket frames',
    up(db) {
      db.exec(`
        -- One row per exchange with what the list shows and filters on; bodies live
        -- apart so scans over many rows stay small.
        CREATE TABLE exchanges (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL,
          started_at REAL NOT NULL,
          ended_at REAL,
          duration_ms REAL,
          method TEXT NOT NULL,
          path TEXT NOT NULL,
          status INTEGER,
          service TEXT COLLATE NOCASE,
          operation TEXT COLLATE NOCASE,
          trx TEXT COLLATE NOCASE,
          errors TEXT NOT NULL,
          error_count INTEGER NOT NULL,
          token_sub TEXT COLLATE NOCASE,
          token_prefix TEXT COLLATE NOCASE,
          token_exp INTEGER,
          token_expired INTEGER,
          client_address TEXT NOT NULL,
          state TEXT NOT NULL,
          problems TEXT NOT NULL,
          problem_count INTEGER NOT NULL,
          error TEXT,
          request_size INTEGER NOT NULL,
          response_size INTEGER,
          client_frames INTEGER NOT NULL DEFAULT 0,
          server_frames INTEGER NOT NULL DEFAULT 0,
          client_frame_bytes INTEGER NOT NULL DEFAULT 0,
          server_frame_bytes INTEGER NOT NULL DEFAULT 0,
          close_code INTEGER,
          close_reason TEXT,
          close_by TEXT,
          close_at REAL
        );
        CREATE INDEX exchanges_started_at ON exchanges (started_at);
        CREATE INDEX exchanges_kind ON exchanges (kind);
        CREATE INDEX exchanges_service ON exchanges (service);
        CREATE INDEX exchanges_operation ON exchanges (operation);
        CREATE INDEX exchanges_status ON exchanges (status);
        CREATE INDEX exchanges_trx ON exchanges (trx);
        CREATE INDEX exchanges_token_sub ON exchanges (token_sub);
        CREATE INDEX exchanges_token_prefix ON exchanges (token_prefix);
        -- Healthy traffic has few errors and problems: these stay small and find them fast.
        CREATE INDEX exchanges_with_errors ON exchanges (id) WHERE error_count > 0;
        CREATE INDEX exchanges_with_problems ON exchanges (id) WHERE problem_count > 0;

        CREATE TABLE exchange_bodies (
          id INTEGER PRIMARY KEY, -- the exchange's id
          request_headers TEXT NOT NULL,
          request_body BLOB NOT NULL,
          request_decoded TEXT,
          request_truncated INTEGER NOT NULL,
          response_headers TEXT,
          response_body BLOB,
          response_decoded TEXT,
          response_truncated INTEGER
        );

        -- One row per ServerError of an exchange, so error:NAME is an index lookup.
        CREATE TABLE exchange_errors (
          error TEXT NOT NULL,
          exchange_id INTEGER NOT NULL,
          PRIMARY KEY (error, exchange_id)
        ) WITHOUT ROWID;
        CREATE INDEX exchange_errors_exchange ON exchange_errors (exchange_id);

        CREATE TABLE frames (
          exchange_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          direction TEXT NOT NULL,
          at REAL NOT NULL,
          opcode INTEGER NOT NULL,
          size INTEGER NOT NULL,
          body BLOB NOT NULL,
          decoded TEXT,
          truncated INTEGER NOT NULL,
          problems TEXT NOT NULL,
          UNIQUE (exchange_id, seq)
        );
      `);
    },
  },
  {
    version: 2,
    description: 'full-text search over the summary, error and decoded JSON of exchanges and frames',
    up(db) {
      // One row per exchange (rowid = id << 32) and one per frame (rowid = exchange id << 32
      // plus seq + 1), so the rows of an exchange are adjacent and rowid order is exchange
      // order: a search can walk newest first and stop after a page. A frame's text goes in
      // request when the client sent it, in response when the server did. Contentless: the
      // JSON is already stored beside the bytes, so the index keeps only what search needs.
      // The tokenizer must stay in step with searchTokens() in model/filter.ts.
      db.exec(`
        CREATE VIRTUAL TABLE search_text USING fts5 (
          summary, error, request, response,
          content = '', contentless_delete = 1,
          tokenize = 'unicode61 remove_diacritics 2'
        );
      `);
      // Index what version 1 already recorded, with the texts summarySearchText() and
      // decodedSearchText() in model/filter-match.ts build: fields, or every JSON key and
      // value, one per line.
      const decodedText = (column: string) => `(
        SELECT group_concat(
                 CASE WHEN typeof(t.key) = 'text'
                      THEN t.key || ifnull(char(10) || ${jsonAtom('t')}, '')
                      ELSE ${jsonAtom('t')} END,
                 char(10))
        FROM json_tree(${column}, '$.json') t
        WHERE t.parent IS NOT NULL AND (typeof(t.key) = 'text' OR t.atom IS NOT NULL OR t.type IN ('true', 'false'))
      )`;
      db.exec(`
        INSERT INTO search_text (rowid, summary, error, request, response)
        SELECT e.id << 32,
               e.method || char(10) || e.path || char(10) || ifnull(e.service, '') || char(10) ||
               ifnull(e.operation, '') || char(10) || ifnull(e.trx, '') || char(10) ||
               ifnull((SELECT group_concat(value, ' ') FROM json_each(e.errors)), '') || char(10) ||
               ifnull((SELECT group_concat(value, char(10)) FROM json_each(e.problems)), '') || char(10) ||
               ifnull(e.token_sub, '') || char(10) || ifnull(e.token_prefix, ''),
               e.error,
               ${decodedText('b.request_decoded')},
               ${decodedText('b.response_decoded')}
        FROM exchanges e JOIN exchange_bodies b ON b.id = e.id;
        INSERT INTO search_text (rowid, request, response)
        SELECT (f.exchange_id << 32) + f.seq + 1,
               CASE f.direction WHEN 'client' THEN ${decodedText('f.decoded')} END,
               CASE f.direction WHEN 'server' THEN ${decodedText('f.decoded')} END
        FROM frames f WHERE f.decoded IS NOT NULL;
      `);
    },
  },
  {
    version: 3,
    description: 'raw bytes only: decoded JSON is dropped (decoded when read), search indexed off the write path, schema fingerprint',
    up(db) {
      // Every byte is kept: only the decoded JSON goes, which the codec rebuilds from the
      // bytes on read. The frames' problems live on their exchange row as well. The
      // search rows version 2 built stay: they were made from the same decode.
      db.exec(`
        ALTER TABLE exchange_bodies DROP COLUMN request_decoded;
        ALTER TABLE exchange_bodies DROP COLUMN response_decoded;
        ALTER TABLE frames DROP COLUMN decoded;
        ALTER TABLE frames DROP COLUMN problems;

        -- search_text rowids (see version 2) whose text is missing or out of date: the
        -- write path only notes them here, and the store indexes them when idle. A new
        -- row has no text to replace (replaces = 0), so indexing it skips the delete, which
        -- costs a lookup and can leave a tombstone in the index.
        CREATE TABLE unindexed (rowid INTEGER PRIMARY KEY, replaces INTEGER NOT NULL);

        -- Which schema computed the summary columns and the search text (schema_fingerprint),
        -- and the range of exchange ids an older one computed (stale_low..stale_high),
        -- redone newest first in the background.
        CREATE TABLE store_state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
      `);
      // A version 2 file names no schema, so the store redoes its rows once when it opens.
    },
  },
  {
    version: 4,
    description: 'which recorded exchange a replayed one replays',
    up(db) {
      db.exec(`
        ALTER TABLE exchanges ADD COLUMN replay_of INTEGER;
        -- Replays are few beside live traffic: a partial index finds them, and those of one exchange.
        CREATE INDEX exchanges_replay_of ON exchanges (replay_of) WHERE replay_of IS NOT NULL;
      `);
    },
  },
  {
    version: 5,
    description: 'a content key on imported exchanges, so the same exchange imported twice is stored once',
    up(db) {
      // Recorded exchanges have none; see capture/content-key.ts for what the key covers.
      db.exec(`
        ALTER TABLE exchanges ADD COLUMN content_key TEXT;
        CREATE UNIQUE INDEX exchanges_content_key ON exchanges (content_key) WHERE content_key IS NOT NULL;
      `);
    },
  },
  {
    version: 6,
    description: 'a journal of tap calls recorded as raw bytes, made into rows when the recorder is idle',
    up(db) {
      // Each row is one batch of tap calls in the format of recorder/tap-codec.ts; rows are
      // made into exchanges and frames oldest first, and deleted in the same transaction.
      // AUTOINCREMENT: a seq is never reused once its row is deleted, so "after the last one taken" stays true.
      db.exec(`CREATE TABLE tap_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, calls INTEGER NOT NULL, records BLOB NOT NULL);`);
    },
  },
  {
    version: 7,
    description: "the recording's own id, which with an exchange's id names that exchange in every export",
    up(db) {
      // A new file gets a random id. A file that already holds exchanges gets one made from
      // its first exchange instead, because imports and `open` migrate a fresh copy of the
      // file each time they read it: each copy must get the same id.
      const first = db.prepare('SELECT id, started_at, method, path FROM exchanges ORDER BY id LIMIT 1').get();
      const id = first ? createHash('sha256').update(JSON.stringify(first)).digest('hex').slice(0, 32) : randomBytes(16).toString('hex');
      db.prepare("INSERT OR IGNORE INTO store_state (key, value) VALUES ('recording_id', ?)").run(id);
    },
  },
  {
    version: 8,
    description: 'what rules changed in flight: the rules on each exchange, the versions they replaced, and marked frames',
    up(db) {
      db.exec(`
        ALTER TABLE exchanges ADD COLUMN rules TEXT NOT NULL DEFAULT '[]';
        CREATE INDEX exchanges_changed ON exchanges (id) WHERE rules <> '[]';
        ALTER TABLE exchange_bodies ADD COLUMN original_request_headers TEXT;
        ALTER TABLE exchange_bodies ADD COLUMN original_request_body BLOB;
        ALTER TABLE exchange_bodies ADD COLUMN original_response_status INTEGER;
        ALTER TABLE exchange_bodies ADD COLUMN original_response_headers TEXT;
        ALTER TABLE exchange_bodies ADD COLUMN original_response_body BLOB;
        ALTER TABLE frames ADD COLUMN rule TEXT;
        ALTER TABLE frames ADD COLUMN mark TEXT;
        ALTER TABLE frames ADD COLUMN original BLOB;
      `);
    },
  },
  {
    version: 9,
    description: 'which messages were edited at a breakpoint (bit 0 the request, bit 1 the response)',
    up(db) {
      db.exec('ALTER TABLE exchange_bodies ADD COLUMN breakpoint_edits INTEGER NOT NULL DEFAULT 0;');
    },
  },
  {
    version: 10,
    description: 'the exchange ids each journal row gives, reserved as it is written, and the flows open before it',
    up(db) {
      // The exchanges a journal row begins get the ids first_id, first_id + 1, … (begins of
      // them) in the order of its tap calls: reserved as the row is written, so a reader can
      // list journaled exchanges by the ids they will have as rows. open_flows holds
      // [flow id, exchange id] of each flow begun before the row and not yet ended, which its
      // calls may go on with. Null in rows written before. first_id only grows with seq; the
      // index finds the row that begins an id, and the highest id reserved, without reading
      // the records.
      db.exec(`
        ALTER TABLE tap_journal ADD COLUMN first_id INTEGER;
        ALTER TABLE tap_journal ADD COLUMN begins INTEGER;
        ALTER TABLE tap_journal ADD COLUMN open_flows TEXT;
        CREATE INDEX tap_journal_ids ON tap_journal (first_id, begins);
      `);
    },
  },
  {
    version: 11,
    description: 'header lists stored as the ids of their (name, value) pairs, each pair once',
    up(db) {
      // See storage/header-pairs.ts. The pairs are found by a hash of their text, so the
      // index holds 8 bytes a pair rather than the pair again. Rows already written keep
      // their lists of pairs, which reads take as they are: converting them would be paid
      // on every read of an older file (readers migrate a fresh copy of it each time), and
      // by the proxy at start, in one transaction, for a saving only new rows need.
      db.exec(`
        CREATE TABLE header_pairs (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, pair TEXT NOT NULL);
        CREATE INDEX header_pairs_hash ON header_pairs (hash);
      `);
    },
  },
  {
    version: 12,
    description: 'the search index with the decoded messages as its first columns',
    up(db) {
      // FTS5 marks every word's positions in any column but the first with that column's
      // number: with the response and request first, the largest texts go unmarked (a tenth
      // of the index on /exec traffic). Bare words search every column alike, so nothing
      // else changes. The index is made again in the background, as after a schema change.
      db.exec(`
        DROP TABLE search_text;
        CREATE VIRTUAL TABLE search_text USING fts5 (
          response, request, summary, error,
          content = '', contentless_delete = 1,
          tokenize = 'unicode61 remove_diacritics 2'
        );
      `);
      queueAllForIndex(db);
    },
  },
  {
    version: 13,
    description: 'the search index keeps which rows hold each word, not where in them',
    up(db) {
      // detail = none: each word's positions and columns were half the index. A phrase
      // (a bare word of several tokens) then finds the rows holding all its words, which
      // reads confirm on the decoded texts (storage/filter-sql.ts). Made again in the
      // background, as in version 12.
      db.exec(`
        DROP TABLE search_text;
        CREATE VIRTUAL TABLE search_text USING fts5 (
          response, request, summary, error,
          content = '', contentless_delete = 1, detail = none,
          tokenize = 'unicode61 remove_diacritics 2'
        );
      `);
      queueAllForIndex(db);
    },
  },
  {
    version: 14,
    description: 'bodies stored packed (LZ77, storage/dictionary-lz.ts) against a dictionary learned from the recording',
    up(db) {
      // See storage/body-packing.ts. Rows already written hold raw bodies (packed = 0) and
      // read as they are, for the reason version 11 gives.
      db.exec(`
        CREATE TABLE body_dictionaries (id INTEGER PRIMARY KEY, request BLOB NOT NULL, response BLOB NOT NULL);
        ALTER TABLE exchange_bodies ADD COLUMN packed INTEGER NOT NULL DEFAULT 0;
      `);
    },
  },
];

/** A JSON scalar as String() writes it in JavaScript (json_tree gives booleans as 1 and 0). */
function jsonAtom(row: string): string {
  return `CASE ${row}.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE ${row}.atom END`;
}

/** Every exchange and text frame waits for the search index again, as after the index is made anew (storage/search-index.ts). */
export function queueAllForIndex(db: Database.Database): void {
  db.exec(`
    DELETE FROM unindexed;
    INSERT INTO unindexed (rowid, replaces) SELECT id << 32, 0 FROM exchanges;
    INSERT INTO unindexed (rowid, replaces) SELECT (exchange_id << 32) + seq + 1, 0 FROM frames WHERE opcode = 2;
  `);
}

export const schemaVersion = migrations[migrations.length - 1].version;

/** The schema version a file is at (0 for a new, empty file). */
export function fileVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the steps after the file's version, up to `target` (the newest by default). */
export function migrate(db: Database.Database, target = schemaVersion): void {
  for (const step of migrations) {
    if (step.version <= fileVersion(db) || step.version > target) continue;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
}
