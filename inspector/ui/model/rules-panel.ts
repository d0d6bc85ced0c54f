// The Rules panel without the DOM: the list the server sent, kept current by the answer
// to a switch, and what each point means in words.

import type { RulePoint, RuleView } from '../../../model/rules.ts';

/** Where each point acts, for the title of its column. */
export const pointMeaning: Record<RulePoint, string> = {
  request: 'before the request goes upstream',
  response: 'before the response reaches the client',
  'ws:client': 'on each client frame before it is relayed',
  'ws:server': 'on each server frame before it is relayed',
};

/** The list with one rule replaced by its newer view (PATCH's answer); the rest as they were. */
export function withRule(rules: readonly RuleView[], view: RuleView): RuleView[] {
  return rules.map((rule) => (rule.name === view.name ? view : rule));
}

/** The top bar button's count: rules switched on, and how many are loaded when some are off. */
export function rulesCount(rules: readonly RuleView[]): string {
  const on = rules.filter((rule) => rule.enabled).length;
  return on === rules.length ? String(on) : `${on}/${rules.length}`;
}
