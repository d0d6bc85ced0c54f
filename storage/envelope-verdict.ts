// Judging a journaled /exec exchange on its envelopes, before a journal walk replays it
// (recorder/journal-view.ts). Replaying a call costs tens of microseconds; a filter that
// selects few exchanges (error:, token:) would have a page replay thousands of calls it
// then refuses. An exchange that begins and ends in one call is tested first on what its
// envelopes' summaries say (Codec.summarize, a scan of their top-level fields), which are
// the very facts its replay works out for these terms: so it is left out only where its
// replay would be refused too, and one they take is replayed for its page at once, its
// facts worked out once and in full.
//
// Terms these facts decide: service:, op:, error:, token:, kind:, since: and until:. Any
// other term could go either way, and `not` of it too: a filter is decided only when it
// is true, or false, whatever those terms turn out to be.

import type { FilterNode } from '../model/filter.ts';
import { matches } from '../model/filter-match.ts';
import { anyTerm, judge } from '../model/filter-terms.ts';
import type { ExchangeSummary, TokenRef } from '../model/types.ts';
import { isoTime } from './views.ts';

/** What a journal walk reads of an /exec exchange before replaying it, each fact read when a term asks for it. */
export interface EnvelopeFacts {
  startedAt: number;
  /** The service and operation its request's summary says. */
  called(): { service: string | null; operation: string | null };
  /** The ServerErrors its response's summary says. */
  errors(): string[];
  /** Its token as the recorder gives it: its subject and prefix. */
  token(): TokenRef | null;
}

/**
 * Whether an exchange with these envelope facts passes the filter (true), cannot (false),
 * or could go either way on terms they do not decide (null); null for the whole when the
 * filter has no term they decide.
 */
export function envelopeVerdict(filter: FilterNode | null, now: number): ((exchange: EnvelopeFacts) => boolean | null) | null {
  if (filter === null || !anyTerm(filter, decided)) return null;
  const verdicts: TokenVerdicts = new Map();
  return (exchange) => new Decision(exchange, now, verdicts).of(filter);
}

/**
 * Each token: term's verdict by token: a client sends the same token on every call, and
 * EnvelopeFacts.token gives the same object for the same token.
 */
type TokenVerdicts = Map<FilterNode, WeakMap<TokenRef, boolean>>;

function decided(node: FilterNode): boolean {
  switch (node.type) {
    case 'field':
      return node.field === 'service' || node.field === 'op';
    case 'token':
    case 'kind':
    case 'error':
    case 'time':
      return true;
    default:
      return false;
  }
}

class Decision {
  /** The summary fields the decided terms read, as the replay's summary has them, filled in as terms ask. */
  private readonly summary: ExchangeSummary = {
    id: 0, kind: 'exec', startedAt: '', durationMs: null, method: '', path: '', status: null, service: null, operation: null, trx: null, errors: [],
    requestSize: 0, responseSize: 0, frames: 0, problems: [], state: 'complete', token: null, replayOf: null, rules: [],
  };
  private readonly read = new Set<FilterNode['type'] | 'called'>();

  constructor(
    private readonly exchange: EnvelopeFacts,
    private readonly now: number,
    private readonly verdicts: TokenVerdicts,
  ) {}

  /** The filter's value on the exchange: true, false, or null when a term it depends on could go either way. */
  of(filter: FilterNode): boolean | null {
    return judge(filter, (term) => (term.type === 'token' ? this.tokenVerdict(term) : decided(term) ? this.verdict(term) : null));
  }

  private verdict(node: FilterNode): boolean {
    return matches(node, this.summaryFor(node), { now: this.now });
  }

  private tokenVerdict(node: FilterNode): boolean {
    const token = this.summaryFor(node).token;
    if (token === null) return this.verdict(node);
    let byToken = this.verdicts.get(node);
    if (byToken === undefined) this.verdicts.set(node, (byToken = new WeakMap()));
    let verdict = byToken.get(token);
    if (verdict === undefined) byToken.set(token, (verdict = this.verdict(node)));
    return verdict;
  }

  private summaryFor(node: FilterNode): ExchangeSummary {
    const key = node.type === 'field' ? 'called' : node.type;
    if (this.read.has(key)) return this.summary;
    this.read.add(key);
    const { summary, exchange } = this;
    if (key === 'called') Object.assign(summary, exchange.called());
    else if (key === 'error') summary.errors = exchange.errors();
    else if (key === 'token') summary.token = exchange.token();
    else if (key === 'time') summary.startedAt = isoTime(exchange.startedAt);
    return summary;
  }
}
