// The stored traffic as REST pages it: the first page for the applied filter (live rows
// that arrive meanwhile are kept), older pages as the list nears its end, and the newest
// page again on every connect of the live stream. The rows are shared with the live tail.
// For a filter summaries cannot answer (field: terms), the server also says which live
// rows belong (model/live-checks.ts).

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ExchangePage, LiveBatch } from '../../../model/types.ts';
import { LiveChecks } from '../model/live-checks.ts';
import { compileLiveFilter, serverFilterProblem } from '../model/live-filter.ts';
import { TrafficRows, type RowPredicate } from '../model/traffic-rows.ts';
import { ApiError, pageSize, type Api } from '../services/api.ts';
import type { Filter } from './use-filter.ts';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

export interface Pages {
  rows: TrafficRows;
  /** Renders again after the rows changed in place. */
  rerender: () => void;
  /** Whether a live row belongs in the list: the filter whose first page is shown. */
  matches: RowPredicate;
  /** After a live batch is applied: for a filter that needs the server, asks it about the rows the batch changed. */
  check: (batch: LiveBatch) => void;
  footer: string | null;
  loadingFirst: boolean;
  loadOlder: () => void;
}

export interface PagesOptions {
  api: Api;
  /** The first page, already requested for the filter in the URL. */
  firstPage: { filter: string; page: Promise<ExchangePage> } | null;
  filter: Filter;
  stream: LiveStream;
  fail: (err: unknown) => void;
  /** Each page says how many tap calls the proxy still has to store as rows (null: none). */
  onJournaled: (count: number | null) => void;
}

export function usePages({ api, firstPage, filter, stream, fail, onJournaled }: PagesOptions): Pages {
  const { applied, seen } = filter;
  const rows = useRef(new TrafficRows()).current;
  const [, setVersion] = useState(0);
  const rerender = useCallback(() => setVersion((v) => v + 1), []);
  const [footer, setFooter] = useState<string | null>(null);
  const [loadingFirst, setLoadingFirst] = useState(true);
  const predicate = useRef(compileLiveFilter(applied));
  const paging = useRef<{ next: number | null; loading: boolean; generation: number }>({ next: null, loading: false, generation: 0 });
  const appliedNow = useRef(applied);
  appliedNow.current = applied;
  const checks = useRef<LiveChecks | null>(null);
  checks.current ??= new LiveChecks(
    (ids) => api.page({ filter: appliedNow.current, ids }).then((page) => page.items),
    ({ ids, matching }) => {
      rows.applyChecked(ids, matching);
      rerender();
    },
    fail,
  );

  useEffect(() => {
    const generation = ++paging.current.generation;
    const abort = new AbortController();
    predicate.current = compileLiveFilter(applied);
    checks.current!.reset();
    rows.reset([]);
    paging.current.next = null;
    paging.current.loading = true;
    setLoadingFirst(true);
    setFooter(null);
    rerender();
    const prefetched = firstPage && firstPage.filter === applied && generation === 1 ? firstPage.page : null;
    (prefetched ?? api.page({ filter: applied, limit: pageSize }, abort.signal)).then(
      (page) => {
        if (generation !== paging.current.generation) return;
        for (const item of page.items) seen.addSummary(item);
        rows.appendOlder(page.items);
        onJournaled(page.journaled ?? null);
        paging.current.next = page.next;
        paging.current.loading = false;
        setLoadingFirst(false);
        setFooter(page.next === null ? 'End of the recorded traffic.' : null);
        rerender();
      },
      (err: Error) => {
        if (err.name === 'AbortError' || generation !== paging.current.generation) return;
        paging.current.loading = false;
        setLoadingFirst(false);
        if (err instanceof ApiError && err.status === 400) filter.reject(serverFilterProblem(err.message, err.position));
        else setFooter(err.message);
        fail(err);
        rerender();
      },
    );
    return () => abort.abort();
  }, [applied]);

  const loadOlder = useCallback(() => {
    const state = paging.current;
    if (state.loading || state.next === null) return;
    const generation = state.generation;
    state.loading = true;
    setFooter('Loading older exchanges…');
    api.page({ filter: applied, before: state.next, limit: pageSize }).then(
      (page) => {
        if (generation !== state.generation) return;
        for (const item of page.items) seen.addSummary(item);
        rows.appendOlder(page.items);
        state.next = page.next;
        state.loading = false;
        setFooter(page.next === null ? 'End of the recorded traffic.' : null);
        rerender();
      },
      (err: Error) => {
        if (generation !== state.generation) return;
        state.loading = false;
        setFooter(`Older exchanges did not load: ${err.message}`);
        fail(err);
      },
    );
  }, [applied]);

  // What changed before this connect (while offline, or since the first page was read): the newest page again.
  useLiveEvent(stream, 'connected', () => {
    const generation = paging.current.generation;
    api.page({ filter: applied, limit: pageSize }).then((page) => {
      if (generation !== paging.current.generation) return;
      rows.applyStored(page.items, () => true);
      onJournaled(page.journaled ?? null);
      rerender();
    }, fail);
  });

  const matches: RowPredicate = (summary) => {
    const compiled = predicate.current;
    if (!compiled.ok) return false;
    // Rows the server put in stay and take updates; whether new ones belong, check() asks.
    return compiled.needsServer ? rows.get(summary.id) !== undefined : compiled.matches(summary);
  };
  const check = (batch: LiveBatch) => {
    const compiled = predicate.current;
    if (compiled.ok && compiled.needsServer) checks.current!.add(batch);
  };
  return { rows, rerender, matches, check, footer, loadingFirst, loadOlder };
}
