// Runs a filtered, newest-first page of the exchange list. SQLite's planner, left alone,
// often picks an index for a common value and sorts everything it found, or walks the
// whole table for a rare one; the list needs neither. So the query is planned here, from
// how many rows each required term can match, counted up to a small cap:
//
// - some term matches few rows: test only those (an index lookup, then a small sort);
// - a bare word matches many: walk the full-text index newest first and test its rows in
//   chunks until the page is full;
// - otherwise: walk the table newest first, testing each row, until the page is full.

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
  before?: number;
  now: number;
}

type Prepare = (sql: string) => Database.Statement;

export function queryPage(prepare: Prepare, filter: FilterNode | null, query: PageQuery, limits = defaultPlanLimits): SummaryRow[] {
  const options: CompileOptions = { now: query.now, match: prefixExpander(prepare) };
  const terms = conjuncts(filter);
  let best: { ids: SqlCondition; count: number } | null = null;
  for (const term of terms) {
    const ids = candidateIds(term, options);
    if (ids === null) continue;
    const count = (prepare(`SELECT count(*) AS n FROM (${ids.sql} LIMIT ${limits.fewRows})`).get(...ids.params) as { n: number }).n;
    if (best === null || count < best.count) best = { ids, count };
    if (count === 0) break;
  }
  if (best !== null && best.count < limits.fewRows) return testCandidates(prepare, filter, best.ids, query, options);
  const word = terms.find((t): t is TextNode => t.type === 'text');
  if (word !== undefined) {
    return walkWord(prepare, word, terms.filter((t) => t !== word), query, options, limits.textChunk);
  }
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
          : words.map((word) => ftsQuery({ type: 'text', tokens: [...head, word], prefix: false })).join(' OR ');
      expanded.set(key, query);
    }
    return query;
  };
}

function bounded(condition: SqlCondition, before: number | undefined): SqlCondition {
  return before === undefined ? condition : { sql: `${condition.sql} AND e.id < ?`, params: [...condition.params, before] };
}

function testCandidates(prepare: Prepare, filter: FilterNode | null, ids: SqlCondition, query: PageQuery, options: CompileOptions): SummaryRow[] {
  const condition = bounded(compileFilter(filter, { ...options, textMode: 'probe' }), query.before);
  return prepare(
    `SELECT ${summaryColumns} FROM exchanges e WHERE e.id IN (${ids.sql}) AND ${condition.sql} ORDER BY e.id DESC LIMIT ?`,
  ).all(...ids.params, ...condition.params, query.limit) as SummaryRow[];
}

function walkTable(prepare: Prepare, filter: FilterNode | null, query: PageQuery, options: CompileOptions): SummaryRow[] {
  const condition = bounded(compileFilter(filter, options), query.before);
  // NOT INDEXED keeps the walk in rowid order (ids only; no index would beat it here).
  return prepare(`SELECT ${summaryColumns} FROM exchanges e NOT INDEXED WHERE ${condition.sql} ORDER BY e.id DESC LIMIT ?`).all(
    ...condition.params,
    query.limit,
  ) as SummaryRow[];
}

function walkWord(
  prepare: Prepare,
  word: TextNode,
  rest: FilterNode[],
  query: PageQuery,
  options: CompileOptions,
  textChunk: number,
): SummaryRow[] {
  const others = compileFilter(rest.length === 0 ? null : { type: 'and', items: rest }, { ...options, textMode: 'probe' });
  const match = (options.match ?? ftsQuery)(word);
  const hits = prepare(
    `SELECT rowid >> 32 AS id FROM search_text WHERE search_text MATCH ? AND rowid < ? << 32 ORDER BY rowid DESC LIMIT ${textChunk}`,
  );
  const test = prepare(
    `SELECT ${summaryColumns} FROM exchanges e WHERE e.id IN (SELECT value FROM json_each(?)) AND ${others.sql} ORDER BY e.id DESC LIMIT ?`,
  );
  const rows: SummaryRow[] = [];
  // id << 32 must stay below 2^63, so ids stay below 2^31 - 1: plenty for a debugging proxy.
  let below = query.before ?? 2 ** 31 - 1;
  while (rows.length < query.limit && below > 1) {
    const found = (hits.all(match, below) as { id: number }[]).map((h) => h.id);
    if (found.length === 0) break;
    // A long WebSocket may fill a chunk with one id; the next step starts below it either way.
    const ids = [...new Set(found)];
    below = ids[ids.length - 1];
    rows.push(...(test.all(JSON.stringify(ids), ...others.params, query.limit - rows.length) as SummaryRow[]));
    if (found.length < textChunk) break;
  }
  return rows;
}
