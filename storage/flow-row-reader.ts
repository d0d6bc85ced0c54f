// Reads FlowRows (storage/rows.ts), the rows flowSql gives: one by exchange id, or every
// row between two ids in one walk of the table, for a reader that takes exchanges in id
// order (an export, an import from a capture): each lookup by id pays its own bind, b-tree
// descent and reset. Read through Store.namedFlows, the 100k bench capture took 9.6-9.8 µs
// an exchange walked, against 11.7-12.3 looked up by id.

import type Database from 'better-sqlite3';
import { bodyColumnsWith, cutBody, flowSelect, maxReadBody, type FlowRow } from './rows.ts';

/**
 * A request and response body that are blobs and together no longer than a read's cut
 * (most) are read as one blob, the two handed out as views of it: better-sqlite3 makes
 * each blob a Buffer over an ArrayBuffer of its own, the dearest value of a row.
 */
// typeof() and length() do not load the value, which may be more than better-sqlite3 can be handed (sqliteReadLimit).
const bothInOne = `typeof(b.request_body) = 'blob' AND typeof(b.response_body) IN ('blob', 'null')
    AND length(b.request_body) + ifnull(length(b.response_body), 0) <= ${maxReadBody}`;
const unlessInOne = (body: string) => `CASE WHEN ${bothInOne} THEN NULL ELSE ${cutBody(body)} END`;
const flowReaderSql = (where?: string) =>
  flowSelect(
    bodyColumnsWith(unlessInOne('b.request_body'), unlessInOne('b.response_body')),
    `, CASE WHEN ${bothInOne} THEN CAST(b.request_body || ifnull(b.response_body, x'') AS BLOB) END AS bodies,
    length(b.request_body) AS request_length, typeof(b.response_body) = 'null' AS no_response`,
    where,
  );

/**
 * The FlowRow of a row of `statement`. better-sqlite3 makes each row object a property at
 * a time, which took half of an export's reads (15 µs a row); the row as an array, put in
 * an object literal made for the statement's columns, costs half that.
 */
function rowMaker(statement: Database.Statement): (row: unknown[]) => FlowRow {
  const names = statement.columns().map((column) => column.name);
  const [bodies, requestLength, noResponse] = ['bodies', 'request_length', 'no_response'].map((name) => names.indexOf(name));
  const columns = names.slice(0, bodies).map((name, i) => `${JSON.stringify(name)}: row[${i}]`);
  const make = new Function('row', `return { ${columns.join(', ')} };`) as (row: unknown[]) => FlowRow;
  return (row) => {
    const flowRow = make(row);
    const both = row[bodies] as Buffer | null;
    if (both !== null) {
      const split = row[requestLength] as number;
      flowRow.request_body = both.subarray(0, split);
      flowRow.response_body = row[noResponse] === 1 ? null : both.subarray(split);
    }
    return flowRow;
  };
}

/** Reads one FlowRow by exchange id. */
export function flowRowReader(db: Database.Database): (id: number) => FlowRow | undefined {
  const statement = db.prepare(flowReaderSql()).raw();
  const make = rowMaker(statement);
  return (id) => {
    const row = statement.get(id) as unknown[] | undefined;
    return row === undefined ? undefined : make(row);
  };
}

/** Reads the FlowRows of ids `low` to `high`, both included, in id order. */
export function flowRowsReader(db: Database.Database): (low: number, high: number) => FlowRow[] {
  const statement = db.prepare(flowReaderSql('e.id BETWEEN ? AND ? ORDER BY e.id')).raw();
  const make = rowMaker(statement);
  return (low, high) => (statement.all(low, high) as unknown[][]).map(make);
}
