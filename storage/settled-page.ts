// A list page that is right while the background work is behind, and for filters SQL
// cannot answer alone. SQL answers from the summary columns and the search index, which
// are trusted only for rows that are settled; two kinds are not:
//
// - rows still waiting for the search index (storage/search-index.ts): for a filter with
//   a bare word, SQL's answer for them is left out and each is decoded and tested instead;
// - rows an older schema summarised (storage/resummarise.ts), one range of ids: for any
//   filter the range is walked newest first, each row decoded and tested.
//
// A filter with field: terms, which test decoded messages, or with a phrase, is only
// narrowed by SQL (storage/filter-sql.ts): each row SQL gives is decoded and tested too,
// and SQL asked for more until the page is full.
//
// The ids are split into segments (newer than the stale range, the range, older), and
// the segments filled newest first until the page is full. A page may be bounded below
// too: storage/journal-page.ts asks for the rows among the ids the journal settled.

import type { FilterNode } from '../model/filter.ts';
import { anyTerm } from '../model/filter-terms.ts';
import type { ExchangeSummary } from '../model/types.ts';
import { narrowsOnly } from './filter-sql.ts';
import type { StaleRange } from './resummarise.ts';

export interface PageSources {
  /** Newest first, ids in (after, before), at most limit: what SQL answers (for field: terms, rows that may match). */
  sql(after: number | undefined, before: number | undefined, limit: number): ExchangeSummary[];
  /** The row decoded and tested against the filter: its summary if it passes. */
  decodeAndTest(id: number, stale: boolean): ExchangeSummary | null;
  /** Ids in [low, high], newest first, at most limit. */
  idsBetween(low: number, high: number, limit: number): number[];
  /** Ids of exchanges with rows waiting for the search index, newest first. */
  waitingIds(): number[];
}

const decodeChunk = 200;

/** The page of rows with ids under `before` and from `from` up (either undefined: unbounded). */
export function settledPage(
  filter: FilterNode | null,
  limit: number,
  bounds: { before?: number; from?: number },
  stale: StaleRange | null,
  sources: PageSources,
): ExchangeSummary[] {
  const { before } = bounds;
  const floor = bounds.from === undefined ? undefined : bounds.from - 1;
  const waiting = hasWord(filter) ? sources.waitingIds() : [];
  const decodes = narrowsOnly(filter);
  const rows: ExchangeSummary[] = [];
  /** SQL's answer for ids in (after, below) but those of `skip`, at most n. */
  const answered = (after: number | undefined, below: number | undefined, n: number, skip: ReadonlySet<number>): ExchangeSummary[] => {
    if (!decodes) return sources.sql(after, below, n + skip.size).filter((s) => !skip.has(s.id));
    const found: ExchangeSummary[] = [];
    for (let high = below; found.length < n; ) {
      const chunk = sources.sql(after, high, decodeChunk);
      for (const row of chunk) {
        if (found.length >= n) break;
        const summary = skip.has(row.id) ? null : sources.decodeAndTest(row.id, false);
        if (summary) found.push(summary);
      }
      if (chunk.length < decodeChunk) break;
      high = chunk[chunk.length - 1].id;
    }
    return found;
  };
  /** Ids in (after, below); undefined leaves that side open. */
  const settled = (after: number | undefined, below: number | undefined) => {
    if (rows.length >= limit || (below !== undefined && below <= (after ?? 0) + 1)) return;
    const need = limit - rows.length;
    const unsure = waiting.filter((id) => (below === undefined || id < below) && (after === undefined || id > after));
    const fromSql = answered(after, below, need, new Set(unsure));
    const decoded: ExchangeSummary[] = [];
    for (const id of unsure) {
      if (decoded.length >= need) break;
      const summary = sources.decodeAndTest(id, false);
      if (summary) decoded.push(summary);
    }
    rows.push(...[...fromSql, ...decoded].sort((a, b) => b.id - a.id).slice(0, need));
  };
  if (stale === null) {
    settled(floor, before);
    return rows;
  }
  const low = Math.max(stale.low, (floor ?? 0) + 1);
  settled(Math.max(stale.high, floor ?? 0), before);
  for (let high = Math.min(stale.high, (before ?? Infinity) - 1); rows.length < limit && high >= low; ) {
    const ids = sources.idsBetween(low, high, decodeChunk);
    for (const id of ids) {
      if (rows.length >= limit) break;
      const summary = sources.decodeAndTest(id, true);
      if (summary) rows.push(summary);
    }
    if (ids.length < decodeChunk) break;
    high = ids[ids.length - 1] - 1;
  }
  settled(floor, Math.min(stale.low, before ?? Infinity));
  return rows;
}

/** Whether the filter has a bare word, which the search index or the decoded texts answer. */
export function hasWord(node: FilterNode | null): boolean {
  return anyTerm(node, (term) => term.type === 'text');
}
