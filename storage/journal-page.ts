// A list page while tap calls wait in the journal (recorder/tap-journal.ts). What they
// record is part of the recording before it is made into rows: each journal row carries
// the ids its exchanges will have (storage/migrations.ts, version 10), and the recorder's
// side (recorder/journal-view.ts) summarises its calls on the fly, newest rows first, with
// the code that makes rows. So a page lists journaled exchanges by those ids, merged with
// the rows stored, and is the page it will be once everything is stored.
//
// The walk over the journal goes back a step at a time until the exchanges it settled,
// with the rows stored in the same range of ids, fill the page: every exchange from an id
// on that the journal begins or goes on with is settled by then. Stored rows that the
// journal goes on with (a flow open before it) are replaced by what the journal makes of
// them.

import type { FilterNode } from '../model/filter.ts';
import { anyTerm } from '../model/filter-terms.ts';
import type { Flow } from '../model/flow.ts';
import type { ExchangeSummary } from '../model/types.ts';
import type { EnvelopeFacts } from './envelope-verdict.ts';

/** What the recorder's side of the journal does for the store's readers (recorder/journal-view.ts). */
export interface JournaledFlows {
  /**
   * A walk over what the journal begins or goes on with, newest first, for exchanges with
   * ids below `before` (all: undefined); null when the journal holds rows that do not
   * carry their ids (written before they did), which only storing them can place.
   * `admits`, when given, is passed by every exchange the page can take, judged on its facts
   * but its problems (none but the capture's): an /exec exchange it refuses is given so,
   * without the decode of its response that its problems need. `judges`, when given, says
   * on its envelopes whether the page takes an /exec exchange (storage/envelope-verdict.ts):
   * one that begins and ends in one call is then not replayed when it cannot, and replayed
   * with its facts in full when it does.
   */
  walk(before: number | undefined, admits: ((flow: Flow) => boolean) | null, judges: ((exchange: EnvelopeFacts) => boolean | null) | null): JournalWalk | null;
  /** The exchange as the journal leaves it, if the journal begins or goes on with it; else null. */
  flow(id: number): Flow | null;
}

export interface JournalWalk {
  /** The first id the journal gives: exchanges below it that the walk gives are stored rows it goes on with. */
  readonly firstId: number;
  /**
   * The exchanges settled by the next step back, and `below`: every exchange with an id
   * from `below` up (and under the walk's `before`) that the journal begins or goes on
   * with is among those given so far. Null once the whole journal was walked.
   */
  step(): { flows: Flow[]; below: number } | null;
}

/**
 * Whether the filter tests nothing an exchange's problems say, so that its facts but its
 * problems (JournaledFlows.walk's `admits`) answer it as its full ones do: no problem:, bare
 * word (words search the problems too) or field: term.
 */
export function testsWithoutProblems(node: FilterNode | null): boolean {
  return !anyTerm(node, (term) => term.type === 'problem' || term.type === 'text' || term.type === 'decoded');
}

export interface JournalPageSources {
  /** The flow's summary if it passes the filter. */
  test(flow: Flow): ExchangeSummary | null;
  /** Stored rows that pass, newest first, with ids from `from` up (and under the page's `before`), at most `limit`. */
  stored(from: number, limit: number): ExchangeSummary[];
}

export function journalPage(walk: JournalWalk, limit: number, sources: JournalPageSources): ExchangeSummary[] {
  const found: ExchangeSummary[] = [];
  /** Stored rows the journal goes on with: their rows say what they were before it. */
  const replaced = new Set<number>();
  let below = Infinity;
  let settled = 0;
  for (;;) {
    const step = walk.step();
    if (step === null) {
      below = 0;
      break;
    }
    for (const flow of step.flows) {
      if (flow.id < walk.firstId) replaced.add(flow.id);
      const summary = sources.test(flow);
      if (summary) found.push(summary);
    }
    below = step.below;
    settled = found.reduce((n, s) => n + (s.id >= below ? 1 : 0), 0);
    if (settled >= limit) break;
  }
  const stored = sources.stored(below, limit + replaced.size).filter((s) => !replaced.has(s.id));
  return [...found.filter((s) => s.id >= below), ...stored].sort((a, b) => b.id - a.id).slice(0, limit);
}
