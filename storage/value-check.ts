// Values no recording made by this tool can hold, found with one query per table: a file
// from elsewhere may carry a start time of 1e300 or a status of 99.5, which would break
// every read of the exchange (and an import would copy it into the user's recording).
// Importing refuses such a file, naming the exchange and the column.

import type Database from 'better-sqlite3';
import { openReadOnly, type FileUse } from './file-check.ts';

/** Times are kept between 1970 and the end of 9999: what an ISO date holds in four digits. */
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface ImpossibleValue {
  exchangeId: number;
  column: string;
  value: unknown;
  /** What the value should be, as a phrase: "a time between 1970 and 9999". */
  expected: string;
}

const time = (column: string) => `(${column} IS NOT NULL AND (typeof(${column}) NOT IN ('integer', 'real') OR ${column} < 0 OR ${column} > ${LATEST_TIME_MS}))`;
const size = (column: string) => `(${column} IS NOT NULL AND (typeof(${column}) != 'integer' OR ${column} < 0))`;

/**
 * A list of pair ids (storage/header-pairs.ts) with an element that is no id of a stored
 * pair of two strings: reads would drop it. The sound pairs are found once per query (SQLite
 * keeps an uncorrelated IN list), not once per element: per element was 0.9 s a column over
 * 100,000 exchanges, a tenth of importing them.
 */
const badPairIds = (column: string) => `(json_type(${column}, '$[0]') = 'integer' AND EXISTS (
  SELECT 1 FROM json_each(${column}) j WHERE j.type != 'integer' OR j.value NOT IN (
    SELECT p.id FROM header_pairs p WHERE json_valid(p.pair) AND json_type(p.pair) = 'array' AND json_array_length(p.pair) = 2
      AND json_type(p.pair, '$[0]') = 'text' AND json_type(p.pair, '$[1]') = 'text')))`;

interface Check {
  table: string;
  id: string;
  column: string;
  /** SQL that is true for a row whose value is impossible. */
  bad: string;
  expected: string;
  /**
   * Whether `bad` reads the column's value and nothing else, so that it can be asked once of
   * each distinct value: a header list repeats from one exchange to the next (10 and 3,517
   * distinct lists in 100,000 exchanges), and checking it once per row was about 190 ms a
   * column against 70-90 ms for the distinct ones. SQLite's DISTINCT keeps apart values a
   * check could tell apart: text and a blob of the same bytes are two values. Each such
   * check is a scan of the table of its own, so the columns that are mostly null (the
   * lists as sent before a rule changed them) stay in the one scan of the row checks.
   */
  ofValueAlone?: true;
}

const checks: Check[] = [
  { table: 'exchanges', id: 'id', column: 'started_at', bad: `${time('started_at')} OR started_at IS NULL`, expected: 'a time between 1970 and 9999 (ms since the epoch)' },
  { table: 'exchanges', id: 'id', column: 'ended_at', bad: `${time('ended_at')} OR ended_at < started_at`, expected: 'a time between its start and 9999' },
  { table: 'exchanges', id: 'id', column: 'close_at', bad: time('close_at'), expected: 'a time between 1970 and 9999' },
  { table: 'exchanges', id: 'id', column: 'status', bad: `status IS NOT NULL AND (typeof(status) != 'integer' OR status < 100 OR status > 999)`, expected: 'an HTTP status, a whole number from 100 to 999' },
  { table: 'exchanges', id: 'id', column: 'request_size', bad: size('request_size'), expected: 'a size in bytes' },
  { table: 'exchanges', id: 'id', column: 'response_size', bad: size('response_size'), expected: 'a size in bytes' },
  { table: 'exchanges', id: 'id', column: 'close_code', bad: `close_code IS NOT NULL AND (typeof(close_code) != 'integer' OR close_code < 1000 OR close_code > 4999)`, expected: 'a close code, a whole number from 1000 to 4999' },
  { table: 'exchanges', id: 'id', column: 'close_reason', bad: `close_reason IS NOT NULL AND length(CAST(close_reason AS BLOB)) > 123`, expected: 'a close reason of at most 123 bytes' },
  { table: 'exchange_bodies', id: 'id', column: 'request_headers', bad: `NOT json_valid(request_headers) OR json_type(request_headers) != 'array' OR ${badPairIds('request_headers')}`, expected: 'a JSON list of headers', ofValueAlone: true },
  { table: 'exchange_bodies', id: 'id', column: 'response_headers', bad: `response_headers IS NOT NULL AND (NOT json_valid(response_headers) OR json_type(response_headers) != 'array' OR ${badPairIds('response_headers')})`, expected: 'a JSON list of headers', ofValueAlone: true },
  ...(['original_request_headers', 'original_response_headers'] as const).map((column) => ({
    table: 'exchange_bodies', id: 'id', column, bad: `${column} IS NOT NULL AND (NOT json_valid(${column}) OR json_type(${column}) != 'array' OR ${badPairIds(column)})`, expected: 'a JSON list of headers',
  })),
  {
    table: 'exchange_bodies', id: 'id', column: 'packed',
    bad: `packed != 0 AND (typeof(packed) != 'integer' OR packed & 15 = 0 OR NOT EXISTS (SELECT 1 FROM body_dictionaries d WHERE d.id = packed >> 4))`,
    expected: 'which bodies are packed with which stored dictionary (storage/body-packing.ts)',
  },
  { table: 'frames', id: 'exchange_id', column: 'at', bad: `${time('at')} OR at IS NULL`, expected: 'a time between 1970 and 9999' },
  { table: 'frames', id: 'exchange_id', column: 'seq', bad: `typeof(seq) != 'integer' OR seq < 0 OR seq > ${2 ** 31 - 1}`, expected: 'a whole number from 0 to 2147483647' },
  { table: 'frames', id: 'exchange_id', column: 'opcode', bad: `opcode NOT IN (1, 2, 9, 10)`, expected: 'a WebSocket opcode (1 text, 2 binary, 9 ping, 10 pong)' },
  { table: 'frames', id: 'exchange_id', column: 'size', bad: `${size('size')} OR size IS NULL`, expected: 'a size in bytes' },
];

/** The first impossible value in the recording, or null when every value is one a recording can hold. */
export function findImpossibleValue(db: Database.Database): ImpossibleValue | null {
  for (const table of new Set(checks.map((c) => c.table))) {
    const ofTable = checks.filter((c) => c.table === table);
    if (!anyImpossible(db, table, ofTable)) continue;
    // Only now is each check asked row by row, for the exchange to name.
    for (const check of ofTable) {
      const row = db.prepare(`SELECT ${check.id} AS id, ${check.column} AS value FROM ${check.table} WHERE ${check.bad} LIMIT 1`).get() as
        | { id: number; value: unknown }
        | undefined;
      if (row) return { exchangeId: row.id, column: check.column, value: row.value, expected: check.expected };
    }
  }
  return null;
}

/** Whether any of a table's checks finds something, in as few scans as can tell. */
function anyImpossible(db: Database.Database, table: string, ofTable: Check[]): boolean {
  // One scan of a table asks all its row checks at once: a scan each was 0.9 s of a 100,000-exchange capture's import.
  const ofRow = ofTable.filter((c) => !c.ofValueAlone);
  if (ofRow.length > 0 && db.prepare(`SELECT 1 FROM ${table} WHERE ${ofRow.map((c) => `(${c.bad})`).join(' OR ')} LIMIT 1`).get() !== undefined) return true;
  // The distinct values keep the column's name, so that the check reads them as it reads a row.
  return ofTable.some(
    (c) => c.ofValueAlone && db.prepare(`SELECT 1 FROM (SELECT DISTINCT ${c.column} AS ${c.column} FROM ${table}) WHERE ${c.bad} LIMIT 1`).get() !== undefined,
  );
}

/** findImpossibleValue in `file`, a recording of the current version, through a read-only connection of its own. */
export function impossibleValueIn(file: string, use: FileUse): ImpossibleValue | null {
  const db = openReadOnly(file, use);
  try {
    // A scan or two of each table: a page cache would keep pages read once, 16 MB of them by default.
    db.pragma('cache_size = -2048');
    return findImpossibleValue(db);
  } finally {
    db.close();
  }
}
