// What a capture file carries besides its exchanges: a meta table (who made it, when,
// from which filter, whether tokens were redacted) and the schema it was decoded with.
// Only capture files have these tables; a plain recording has neither.

import Database from 'better-sqlite3';
import { captureTablesSql, openReadOnly } from './file-check.ts';

export interface CaptureMeta {
  madeAt: string;
  toolVersion: string;
  filter: string;
  redacted: boolean;
}

/** Adds the meta and the schema to a capture the Store has written and closed, and makes it one self-contained file. */
export function writeCaptureMeta(file: string, meta: CaptureMeta, descriptorSet: Uint8Array): void {
  const db = new Database(file);
  try {
    db.exec(captureTablesSql);
    const put = db.prepare('INSERT INTO capture_meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('made_at', meta.madeAt);
      put.run('tool_version', meta.toolVersion);
      put.run('filter', meta.filter);
      put.run('redacted', meta.redacted ? 'yes' : 'no');
      db.prepare('INSERT INTO capture_schema (id, descriptor_set) VALUES (1, ?)').run(Buffer.from(descriptorSet));
    })();
    // A WAL file beside it would have to travel with it.
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/** The meta and embedded schema of a capture, or null for a plain recording. Opens the file read-only; storage/file-check.ts has passed it. */
export function readCaptureMeta(file: string): { meta: CaptureMeta; descriptorSet: Uint8Array } | null {
  const db = openReadOnly(file, { flag: null, command: 'open', writes: false });
  try {
    const has = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name IN ('capture_meta', 'capture_schema')").get() as { n: number };
    if (has.n < 2) return null;
    const rows = db.prepare('SELECT key, value FROM capture_meta').all() as { key: string; value: string }[];
    const values = new Map(rows.map((r) => [r.key, r.value]));
    const schema = db.prepare('SELECT descriptor_set FROM capture_schema WHERE id = 1').get() as { descriptor_set: Buffer } | undefined;
    return {
      meta: {
        madeAt: values.get('made_at') ?? '',
        toolVersion: values.get('tool_version') ?? '',
        filter: values.get('filter') ?? '',
        redacted: values.get('redacted') === 'yes',
      },
      descriptorSet: new Uint8Array(schema?.descriptor_set ?? new Uint8Array(0)),
    };
  } finally {
    db.close();
  }
}
