// Header lists stored once per distinct (name, value) pair. Calls repeat their headers
// almost exactly (Host, Content-Type, User-Agent, even Content-Length and Date), so each
// pair is a row of header_pairs, found again by a hash of its exact text, and a list is
// the JSON array of its pairs' ids in order: [3,4,9]. A pair's text is JSON.stringify([name,
// value]), which keeps case, obs-text and any string exactly; the list keeps order and
// duplicates. Rows written before version 11 hold the pairs themselves ([["Host","a"]]);
// reads give both forms as that (headerListSql).

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { HeaderList } from '../model/types.ts';

/**
 * A stored header list column as its pairs, whichever form it holds: the JSON text of the
 * list as version 10 stored it. An id list is joined to its pairs in order.
 */
export function headerListSql(column: string): string {
  return `CASE WHEN json_type(${column}, '$[0]') = 'integer'
    THEN (SELECT json_group_array(json(p.pair) ORDER BY j.key) FROM json_each(${column}) j JOIN header_pairs p ON p.id = j.value)
    ELSE ${column} END`;
}

/** Ids of pairs remembered by one writer; past this the memory starts again (unique values, such as request ids, would fill it). */
const rememberedPairs = 20_000;

/** A 64-bit key of a pair's exact text, as SQLite's signed integer. */
function pairHash(pair: string): bigint {
  return createHash('sha256').update(pair).digest().readBigInt64BE(0);
}

/** The writer's side: a list's stored form, writing the pairs it lacks. Runs inside the caller's write transaction. */
export class HeaderPairs {
  private readonly find: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly ids = new Map<string, number>();
  /** Pairs remembered in the transaction under way: forgotten should it not commit, as their ids may then be given to others. */
  private written: string[] = [];

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id, pair FROM header_pairs WHERE hash = ?');
    this.insert = db.prepare('INSERT INTO header_pairs (hash, pair) VALUES (?, ?)');
    this.byId = db.prepare('SELECT pair FROM header_pairs WHERE id = ?').pluck();
  }

  /** The stored form of `headers`: the JSON array of their pairs' ids. */
  store(headers: HeaderList): string {
    let ids = '';
    for (const [name, value] of headers) ids += `${ids === '' ? '' : ','}${this.idOf(JSON.stringify([name, value]))}`;
    return `[${ids}]`;
  }

  /**
   * A write transaction is about to begin. Pairs written in an outer transaction that has
   * ended since (Store.allOrNothing) are kept if it committed and forgotten if not.
   */
  beginning(): void {
    for (const pair of this.written) {
      const id = this.ids.get(pair);
      if (id !== undefined && this.byId.get(id) !== pair) this.ids.delete(pair);
    }
    this.written = [];
  }

  /** The transaction committed; within an outer one, its pairs wait for beginning() to see how that ended. */
  committed(inOuterTransaction: boolean): void {
    if (!inOuterTransaction) this.written = [];
  }

  /** The transaction rolled back: what it wrote is gone, and its ids may be given to other pairs. */
  rolledBack(): void {
    for (const pair of this.written) this.ids.delete(pair);
    this.written = [];
  }

  private idOf(pair: string): number {
    const known = this.ids.get(pair);
    if (known !== undefined) return known;
    const hash = pairHash(pair);
    // Another pair may share the hash: the one with the same text is this one.
    const rows = this.find.all(hash) as { id: number; pair: string }[];
    const id = rows.find((row) => row.pair === pair)?.id ?? Number(this.insert.run(hash, pair).lastInsertRowid);
    if (this.ids.size >= rememberedPairs) this.ids.clear();
    this.ids.set(pair, id);
    this.written.push(pair);
    return id;
  }
}
