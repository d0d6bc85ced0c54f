// What testing a rule's match needs of a message. Most rules name a service, an op, a
// path or a status: the envelope's summary answers those (proto/summary.ts, a scan of its
// top-level fields), so a held message no rule matches is never decoded whole. Terms the
// summary cannot answer (field:, problem:, token:, free text) need the message decoded.

import type { FilterNode } from '../model/filter.ts';
import { anyTerm } from '../model/filter-terms.ts';
import type { LiveRule } from './rule-set.ts';

const cache = new WeakMap<FilterNode, boolean>();

/** Whether the rule's filter needs the message decoded whole, not only its summary. */
export function needsDecoded(rule: LiveRule): boolean {
  const filter = rule.spec.filter;
  if (filter === null) return false;
  let needs = cache.get(filter);
  if (needs === undefined) {
    needs = anyTerm(filter, needsWhole);
    cache.set(filter, needs);
  }
  return needs;
}

/** Whether any of these rules needs the message decoded whole to be matched. */
export function anyNeedsDecoded(rules: readonly LiveRule[]): boolean {
  return rules.some(needsDecoded);
}

/** Terms the summary cannot answer. */
const needsWhole = (term: FilterNode) => term.type === 'decoded' || term.type === 'problem' || term.type === 'token' || term.type === 'text';
