// The one filter language (model/filter.ts) as the app uses it: parsed once per
// change, evaluated in memory on each live summary, and its errors shaped for the
// filter box, whether they come from the parser here or from the server's 400.
// A filter with field: terms needs the decoded messages, which summaries lack: the
// server answers for its live rows instead (live-checks.ts).

import { parseFilter } from '../../../model/filter.ts';
import { FilterError } from '../../../model/filter-error.ts';
import { filterKeys } from '../../../model/filter-keys.ts';
import { matches, needsMessages } from '../../../model/filter-match.ts';
import type { ExchangeSummary } from '../../../model/types.ts';
import type { FilterKeyHelp } from './filter-edit.ts';

export interface FilterProblem {
  /** What was expected, without the "at N:" prefix (the box marks the position itself). */
  message: string;
  position: number | null;
}

export type CompiledFilter =
  /** needsServer: `matches` cannot tell from a summary; ask the server which rows the filter selects. */
  | { ok: true; matches: (summary: ExchangeSummary) => boolean; needsServer: boolean }
  | { ok: false; problem: FilterProblem };

export const filterKeyHelp: FilterKeyHelp[] = filterKeys;

export function compileLiveFilter(text: string): CompiledFilter {
  try {
    const tree = parseFilter(text);
    return { ok: true, matches: (summary) => matches(tree, summary), needsServer: needsMessages(tree) };
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, problem: { message: err.expected, position: err.position } };
    throw err;
  }
}

/** The server's 400 answer for a malformed filter, in the same shape as a local parse error. */
export function serverFilterProblem(message: string, position: number | null): FilterProblem {
  return { message: position === null ? message : message.replace(/^at \d+:\s*/, ''), position };
}
