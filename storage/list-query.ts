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
import { candidateIds, compileFilter, conjuncts, ftsQuery, type SqlCondition } from './filter-sql.ts';
import { summaryColumns, type SummaryRow } from './rows.ts';

export interface PlanLimits {
  /** Candidate lists shorter than this are tested row by row; longer ones are walked in order. */
  fewRows: number;
  /** Full-text rows fetched per step when walking a common word. */
  textChunk: number;
}

export const defaultPlanLimits: PlanLimits = { fewRows: 2000, textChunk: 500 };

export interface PageQuery {
  limit: number;
  before?: number;
  now: number;
}

type Prepare = (sql: string) => Database.Statement;

export function queryPage(prepare: Prepare, filter: FilterNode | null, query: PageQuery, limits = defaultPlanLimits): SummaryRow[] {
  const terms = conjuncts(filter);
  let best: { term: FilterNode; ids: SqlCondition; count: number } | null = null;
  for (const term of terms) {
    const ids = candidateIds(term, query.now);
    if (ids === null) continue;
    const count = (prepare(`SELECT count(*) AS n FROM (${ids.sql} LIMIT ${limits.fewRows})`).get(...ids.params) as { n: number }).n;
    if (best === null || count < best.count) best = { term, ids, count };
    if (count === 0) break;
  }
  if (best !== null && best.count < limits.fewRows) return testCandidates(prepare, filter, best.ids, query);
  const word = terms.find((t): t is Extract<FilterNode, { type: 'text' }> => t.type === 'text');
  if (word !== undefined) return walkWord(prepare, word, terms.filter((t) => t !== word), query, limits.textChunk);
  return walkTable(prepare, filter, query);
}

function bounded(condition: SqlCondition, before: number | undefined): SqlCondition {
  return before === undefined ? condition : { sql: `${condition.sql} AND e.id < ?`, params: [...condition.params, before] };
}

function testCandidates(prepare: Prepare, filter: FilterNode | null, ids: SqlCondition, query: PageQuery): SummaryRow[] {
  const condition = bounded(compileFilter(filter, query.now, 'probe'), query.before);
  return prepare(
    `SELECT ${summaryColumns} FROM exchanges e WHERE e.id IN (${ids.sql}) AND ${condition.sql} ORDER BY e.id DESC LIMIT ?`,
  ).all(...ids.params, ...condition.params, query.limit) as SummaryRow[];
}

function walkTable(prepare: Prepare, filter: FilterNode | null, query: PageQuery): SummaryRow[] {
  const condition = bounded(compileFilter(filter, query.now), query.before);
  // NOT INDEXED keeps the walk in rowid order (ids only; no index would beat it here).
  return prepare(`SELECT ${summaryColumns} FROM exchanges e NOT INDEXED WHERE ${condition.sql} ORDER BY e.id DESC LIMIT ?`).all(
    ...condition.params,
    query.limit,
  ) as SummaryRow[];
}

function walkWord(
  prepare: Prepare,
  word: Extract<FilterNode, { type: 'text' }>,
  rest: FilterNode[],
  query: PageQuery,
  textChunk: number,
): SummaryRow[] {
  const others = compileFilter(rest.length === 0 ? null : { type: 'and', items: rest }, query.now, 'probe');
  const hits = prepare(
    `SELECT rowid >> 32 AS id FROM search_text WHERE search_text MATCH ? AND rowid < ? << 32 ORDER BY rowid DESC LIMIT ${textChunk}`,
  );
  const rows: SummaryRow[] = [];
  // id << 32 must stay below 2^63, so ids stay below 2^31 - 1: plenty for a debugging proxy.
  let below = query.before ?? 2 ** 31 - 1;
  while (rows.length < query.limit && below > 1) {
    const found = (hits.all(ftsQuery(word), below) as { id: number }[]).map((h) => h.id);
    if (found.length === 0) break;
    // A long WebSocket fills a chunk with one id; the next step starts below it either way.
    const ids = [...new Set(found)];
    below = ids[ids.length - 1];
    const idList = JSON.stringify(ids);
    const more = prepare(
      `SELECT ${summaryColumns} FROM exchanges e WHERE e.id IN (SELECT value FROM json_each(?)) AND ${others.sql} ORDER BY e.id DESC LIMIT ?`,
    ).all(idList, ...others.params, query.limit - rows.length) as SummaryRow[];
    rows.push(...more);
    if (found.length < textChunk) break;
  }
  return rows;
}
