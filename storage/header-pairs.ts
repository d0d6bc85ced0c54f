// Header lists stored once per distinct (name, value) pair. Calls repeat their headers
// almost exactly (Host, Content-Type, User-Agent, even Content-Length and Date), so each
// pair is a row of header_pairs, found again by a hash of its exact text, and a list is
// the JSON array of its pairs' ids in order: [3,4,9]. A pair's text is JSON.stringify([name,
// value]), which keeps case, obs-text and any string exactly; the list keeps order and
// duplicates. Rows written before version 11 hold the pairs themselves ([["Host","a"]]),
// and read as they are.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { HeaderList } from '../model/types.ts';

/**
 * A stored header list column as its pairs, whichever form it holds, for reading a file
 * with SQL alone, as tests do (the store reads lists with HeaderPairs.list).
 */
export function headerListSql(column: string): string {
  return `CASE WHEN json_type(${column}, '$[0]') = 'integer'
    THEN (SELECT json_group_array(json(p.pair) ORDER BY j.key) FROM json_each(${column}) j JOIN header_pairs p ON p.id = j.value)
    ELSE ${column} END`;
}

const perConnection = new WeakMap<Database.Database, HeaderPairs>();

/** The connection's one HeaderPairs: what it remembers holds only for the transactions of that connection. */
export function headerPairsOf(db: Database.Database): HeaderPairs {
  let pairs = perConnection.get(db);
  if (pairs === undefined) perConnection.set(db, (pairs = new HeaderPairs(db)));
  return pairs;
}

/** Pairs remembered each way; past this the memory starts again (unique values, such as request ids, would fill it). */
const rememberedPairs = 20_000;

/** A 64-bit key of a pair's exact text, as SQLite's signed integer. */
function pairHash(pair: string): bigint {
  return createHash('sha256').update(pair).digest().readBigInt64BE(0);
}

/** A list's stored form, writing the pairs it lacks (inside the caller's write transaction), and a stored list read back. */
class HeaderPairs {
  private readonly find: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement;
  /** Ids by name, then value: two lookups of strings a list already holds cost less than making each pair's text. */
  private readonly ids = new Map<string, Map<string, number>>();
  private remembered = 0;
  private readonly pairs = new Map<number, [name: string, value: string]>();
  /** Pairs remembered in the transaction under way: forgotten should it not commit, as their ids may then be given to others. */
  private written: [name: string, value: string][] = [];

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT id, pair FROM header_pairs WHERE hash = ?');
    this.insert = db.prepare('INSERT INTO header_pairs (hash, pair) VALUES (?, ?)');
    this.byId = db.prepare('SELECT pair FROM header_pairs WHERE id = ?').pluck();
  }

  /** A list as its column holds it, in either form, read back. */
  list(stored: string): HeaderList {
    const items = JSON.parse(stored) as HeaderList | number[];
    if (items.length === 0 || typeof items[0] !== 'number') return items as HeaderList;
    // Each read gets tuples of its own: a caller may change a list it was given.
    return (items as number[]).map((id) => {
      const [name, value] = this.pair(id);
      return [name, value];
    });
  }

  /** The stored form of `headers`: the JSON array of their pairs' ids. */
  store(headers: HeaderList): string {
    let ids = '';
    for (const [name, value] of headers) ids += `${ids === '' ? '' : ','}${this.ids.get(name)?.get(value) ?? this.idOf(name, value)}`;
    return `[${ids}]`;
  }

  /**
   * A write transaction is about to begin. Pairs written in an outer transaction that has
   * ended since (Store.allOrNothing) are kept if it committed and forgotten if not.
   */
  beginning(): void {
    for (const [name, value] of this.written) {
      const id = this.ids.get(name)?.get(value);
      if (id !== undefined && this.byId.get(id) !== JSON.stringify([name, value])) this.forget(name, value);
    }
    this.written = [];
  }

  /** The transaction committed; within an outer one, its pairs wait for beginning() to see how that ended. */
  committed(inOuterTransaction: boolean): void {
    if (!inOuterTransaction) this.written = [];
  }

  /** The transaction rolled back: what it wrote is gone, and its ids may be given to other pairs. */
  rolledBack(): void {
    for (const [name, value] of this.written) this.forget(name, value);
    this.written = [];
  }

  /** A pair whose id was given back: its id may be another pair's now, in reads too. */
  private forget(name: string, value: string): void {
    if (this.ids.get(name)?.delete(value)) this.remembered--;
    this.pairs.clear();
  }

  private pair(id: number): [name: string, value: string] {
    let pair = this.pairs.get(id);
    if (pair === undefined) {
      const text = this.byId.get(id) as string | undefined;
      if (text === undefined) throw new Error(`a header list names pair ${id}, which the file does not hold`);
      pair = JSON.parse(text) as [string, string];
      if (this.pairs.size >= rememberedPairs) this.pairs.clear();
      this.pairs.set(id, pair);
    }
    return pair;
  }

  /** The id of a pair not remembered, found or written. */
  private idOf(name: string, value: string): number {
    const pair = JSON.stringify([name, value]);
    const hash = pairHash(pair);
    // Another pair may share the hash: the one with the same text is this one.
    const rows = this.find.all(hash) as { id: number; pair: string }[];
    const id = rows.find((row) => row.pair === pair)?.id ?? Number(this.insert.run(hash, pair).lastInsertRowid);
    if (this.remembered >= rememberedPairs) {
      this.ids.clear();
      this.remembered = 0;
    }
    let values = this.ids.get(name);
    if (values === undefined) this.ids.set(name, (values = new Map()));
    values.set(value, id);
    this.remembered++;
    this.written.push([name, value]);
    return id;
  }
}
