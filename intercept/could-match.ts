// Whether a rule could match an exchange, judged from what is known of it so far: at its
// request line, then with its request's facts, then with the answer's status. The
// forwarding path holds a side whole only when this says yes. Terms that need more (the
// answer's body for error:, field:, text…) count as unknown, and unknown only rules out
// nothing, so a message a rule would match is never streamed past it.

import type { FilterNode } from '../model/filter.ts';
import { matches } from '../model/filter-match.ts';
import { judge } from '../model/filter-terms.ts';
import type { ExchangeSummary } from '../model/types.ts';

/**
 * How much of the exchange the summary holds: its request line and headers; then its
 * request's facts (service, op, trx, token); then also the answer's status.
 */
export type Known = 'head' | 'request' | 'status';

export function couldMatch(filter: FilterNode | null, head: ExchangeSummary, known: Known = 'head'): boolean {
  return filter === null || judge(filter, (term) => judgeTerm(term, head, known)) !== false;
}

/** A term's value on what is known of the exchange so far; null where it needs more. */
function judgeTerm(node: FilterNode, head: ExchangeSummary, known: Known): boolean | null {
  switch (node.type) {
    case 'kind':
    case 'replay':
    case 'time':
      return matches(node, head);
    case 'field':
      return node.field === 'path' || known !== 'head' ? matches(node, head) : null;
    case 'token':
      return known !== 'head' ? matches(node, head) : null;
    case 'number':
      return node.field === 'status' && known === 'status' ? matches(node, head) : null;
    default:
      return null;
  }
}
