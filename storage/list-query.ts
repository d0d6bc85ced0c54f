// Runs a filtered, newest-first page of the exchange list. SQLite's planner, left alone,
// often picks an index for a common value and sorts everything it found, or walks the
// whole table for a rare one; the list needs neither. So the query is planned here, from
// how many rows each required term can match, counted up to a small cap:
//
// - some term matches few rows: fetch their ids from its index and test them newest
//   first, a chunk at a time, until the page is full;
// - a bare word matches many: walk the full-text index newest first, in chunks, the same way;
// - otherwise: walk the table newest first, testing each row, until the page is full.
//
// Every plan checks every term, so the plan changes only the speed, never the answer
// (test/storage/filter-sql.test.ts forces each plan and compares).

import type Database from 'better-sqlite3';
import type { FilterNode } from '../model/filter.ts';
import { candidateIds, compileFilter, conjuncts, ftsQuery, type CompileOptions, type SqlCondition, type TextNode } from './filter-sql.ts';
import { summaryColumns, type SummaryRow } from './rows.ts';

export interface PlanLimits {
  /** Candidate lists shorter than this are tested row by row; longer ones are walked in order. */
  fewRows: number;
  /** Full-text rows fetched per step when walking a common word. */
  textChunk: number;
}

export const defaultPlanLimits: PlanLimits = { fewRows: 2000, textChunk: 500 };

/** A prefix word (inst*) is searched as the indexed words it can be, up to this many. */
const maxPrefixWords = 64;

export interface PageQuery {
  limit: number;
  /** Only ids below this one. */
  before?: number;
  /** Only ids above this one. */
  after?: number;
  now: number;
}

type Prepare = (sql: string) => Database.Statement;

export function queryPage(prepare: Prepare, filter: FilterNode | null, query: PageQuery, limits = defaultPlanLimits): SummaryRow[] {
  const options: CompileOptions = { now: query.now, match: prefixExpander(prepare) };
  const terms = conjuncts(filter);
  const counted = terms.flatMap((term) => {
    const ids = candidateIds(term, options);
    if (ids === null) return [];
    const count = (prepare(`SELECT count(*) AS n FROM (${ids.sql} LIMIT ${limits.fewRows})`).get(...ids.params) as { n: number }).n;
    return [{ term, ids, count }];
  });
  const fewest = counted.reduce<(typeof counted)[number] | null>((best, c) => (best === null || c.count < best.count ? c : best), null);
  if (fewest !== null && fewest.count < limits.fewRows) {
    const ids = [...new Set(prepare(fewest.ids.sql).pluck().all(...fewest.ids.params) as number[])]
      .filter((id) => (query.before === undefined || id < query.before) && (query.after === undefined || id > query.after))
      .sort((x, y) => y - x);
    return new Tester(prepare, terms, query, options).test(ids, query.limit);
  }
  const word = counted.find((c) => c.term.type === 'text')?.term as TextNode | undefined;
  if (word !== undefined) return walkWord(prepare, word, terms, query, options, limits.textChunk);
  return walkTable(prepare, filter, query, options);
}

/**
 * FTS5 answers a prefix query (web*) by merging the matches of every word with that
 * prefix, in full, on each query: slow for a common prefix, and ruinous when repeated
 * per row. An OR of those words, looked up once in the index's vocabulary, is read lazily
 * like any word. The vocabulary may still hold words of replaced rows; they match nothing.
 */
function prefixExpander(prepare: Prepare): (node: TextNode) => string {
  const expanded = new Map<string, string>();
  return (node) => {
    if (!node.prefix) return ftsQuery(node);
    const key = node.tokens.join(' ');
    const last = node.tokens[node.tokens.length - 1];
    let query = expanded.get(key);
    if (query === undefined) {
      prepare("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab USING fts5vocab(main, search_text, 'row')").run();
      const words = (prepare('SELECT term FROM temp.search_vocab WHERE term >= ? LIMIT ?').pluck().all(last, maxPrefixWords + 1) as string[]).filter(
        (term) => term.startsWith(last),
      );
      const head = node.tokens.slice(0, -1);
      query =
        words.length === 0 || words.length > maxPrefixWords
          ? ftsQuery(node)
          : words.map((word) => `(${ftsQuery({ type: 'text', tokens: [...head, word], prefix: false })})`).join(' OR ');
      expanded.set(key, query);
    }
    return query;
  };
}

/** Tests candidate ids, newest first, against the whole filter, a chunk at a time, until the page is full. */
class Tester {
  private readonly condition: SqlCondition;
  private readonly statement: Database.Statement;

  constructor(prepare: Prepare, terms: FilterNode[], query: PageQuery, options: CompileOptions) {
    this.condition = compileFilter(terms.length === 0 ? null : { type: 'and', items: terms }, { ...options, textMode: 'probe' });
    this.statement = prepare(
      `SELECT ${summaryColumns} FROM exchanges e WHERE e.id IN (SELECT value FROM json_each(?)) AND ${this.condition.sql} ORDER BY e.id DESC LIMIT ?`,
    );
  }

  /** Rows for `ids` (newest first) that pass, at most `limit`. */
  test(ids: number[], limit: number, chunk = 250): SummaryRow[] {
    const rows: SummaryRow[] = [];
    for (let i = 0; i < ids.length && rows.length < limit; i += chunk) {
      const slice = JSON.stringify(ids.slice(i, i + chunk));
      rows.push(...(this.statement.all(slice, ...this.condition.params, limit - rows.length) as SummaryRow[]));
    }
    return rows;
  }
}

function bounded(condition: SqlCondition, query: PageQuery): SqlCondition {
  let { sql, params } = condition;
  if (query.before !== undefined) [sql, params] = [`${sql} AND e.id < ?`, [...params, query.before]];
  if (query.after !== undefined) [sql, params] = [`${sql} AND e.id > ?`, [...params, query.after]];
  return { sql, params };
}

function walkTable(prepare: Prepare, filter: FilterNode | null, query: PageQuery, options: CompileOptions): SummaryRow[] {
  const condition = bounded(compileFilter(filter, options), query);
  // NOT INDEXED keeps the walk in rowid order (ids only; no index would beat it here).
  return prepare(`SELECT ${summaryColumns} FROM exchanges e NOT INDEXED WHERE ${condition.sql} ORDER BY e.id DESC LIMIT ?`).all(
    ...condition.params,
    query.limit,
  ) as SummaryRow[];
}

/**
 * Walks a common word's matches newest first, in growing chunks. The other words the
 * filter requires are looked up once per chunk over the chunk's id range, rather than
 * once per row, and only the ids that have them all are tested against the rest.
 */
function walkWord(prepare: Prepare, word: TextNode, terms: FilterNode[], query: PageQuery, options: CompileOptions, textChunk: number): SummaryRow[] {
  const match = options.match ?? ftsQuery;
  // The words are checked per chunk below; the tester checks everything else.
  const tester = new Tester(prepare, terms.filter((t) => t.type !== 'text'), query, options);
  const hits = prepare('SELECT rowid >> 32 AS id FROM search_text WHERE search_text MATCH ? AND rowid < ? << 32 ORDER BY rowid DESC LIMIT ?');
  const within = prepare('SELECT DISTINCT rowid >> 32 AS id FROM search_text WHERE search_text MATCH ? AND rowid >= ? << 32 AND rowid < (? + 1) << 32');
  const otherWords = terms.filter((t): t is TextNode => t.type === 'text' && t !== word).map(match);
  const rows: SummaryRow[] = [];
  // id << 32 must stay below 2^63, so ids stay below 2^31 - 1: plenty for a debugging proxy.
  let below = Math.min(query.before ?? Infinity, 2 ** 31 - 1);
  const floor = (query.after ?? 0) + 1;
  for (let chunk = textChunk; rows.length < query.limit && below > floor; chunk = Math.min(chunk * 2, textChunk * 32)) {
    const found = (hits.all(match(word), below, chunk) as { id: number }[]).map((h) => h.id).filter((id) => id >= floor);
    if (found.length === 0) break;
    // A long WebSocket may fill a chunk with one id; the next step starts below it either way.
    let ids = [...new Set(found)];
    const [newest, oldest] = [ids[0], ids[ids.length - 1]];
    for (const other of otherWords) {
      if (ids.length === 0) break;
      const have = new Set((within.all(other, oldest, newest) as { id: number }[]).map((h) => h.id));
      ids = ids.filter((id) => have.has(id));
    }
    rows.push(...tester.test(ids, query.limit - rows.length));
    below = oldest;
    if (found.length < chunk || oldest <= floor) break;
  }
  return rows;
}
