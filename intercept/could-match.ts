// Whether a rule could match an exchange, judged from its request line and headers alone:
// the forwarding path holds an exchange whole only when this says yes. Terms that need
// the body or the answer (service:, status:, error:, field:, text…) count as unknown, and
// unknown only rules out nothing, so an exchange a rule would match is never streamed past it.

import type { FilterNode } from '../model/filter.ts';
import { matches } from '../model/filter-match.ts';
import type { ExchangeSummary } from '../model/types.ts';

type Judged = boolean | 'unknown';

export function couldMatch(filter: FilterNode | null, head: ExchangeSummary): boolean {
  return filter === null || judge(filter, head) !== false;
}

function judge(node: FilterNode, head: ExchangeSummary): Judged {
  switch (node.type) {
    case 'and': {
      let result: Judged = true;
      for (const item of node.items) {
        const r = judge(item, head);
        if (r === false) return false;
        if (r === 'unknown') result = 'unknown';
      }
      return result;
    }
    case 'or': {
      let result: Judged = false;
      for (const item of node.items) {
        const r = judge(item, head);
        if (r === true) return true;
        if (r === 'unknown') result = 'unknown';
      }
      return result;
    }
    case 'not': {
      const r = judge(node.item, head);
      return r === 'unknown' ? 'unknown' : !r;
    }
    case 'kind':
    case 'replay':
    case 'time':
      return matches(node, head);
    case 'field':
      return node.field === 'path' ? matches(node, head) : 'unknown';
    default:
      return 'unknown';
  }
}
