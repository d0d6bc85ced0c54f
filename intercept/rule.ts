// One rule as the rules file gives it, checked (intercept/rules-file.ts): where it acts,
// what it matches and what it does, in the order the file lists the actions.

import type { PathSegment } from '../model/field-path.ts';
import type { FilterNode } from '../model/filter.ts';
import type { RulePoint } from '../model/rules.ts';
import type { JsonObject, JsonValue } from '../model/types.ts';

export type RuleFailure = { how: 'reset' } | { how: 'timeout' } | { how: 'close'; code: number; reason: string };

export interface RuleSpec {
  name: string;
  at: RulePoint;
  /** The filter text as written, and parsed. */
  match: string;
  filter: FilterNode | null;
  /** Only the first N matches; null: every one. */
  times: number | null;
  /** The chance a match is acted on; null: always. */
  probability: number | null;
  enabled: boolean;
  set: { text: string; path: PathSegment[]; value: JsonValue }[];
  delete: { text: string; path: PathSegment[] }[];
  /** The whole decoded message, in place of the one at hand. */
  replace: JsonObject | null;
  /** At request: the ServerResponse to answer with, never going upstream. */
  respond: JsonObject | null;
  /** The HTTP status of the answer (with respond) or of the response. */
  status: number | null;
  delayMs: number;
  drop: boolean;
  /** WebSocket frames to send after this one, in its direction. */
  inject: JsonObject[];
  fail: RuleFailure | null;
  /** Pause the message (a breakpoint, intercept/pauses.ts) after the rule's other actions, until someone decides or --break-timeout passes. */
  break: boolean;
  /** Where the rule starts in its file. */
  line: number;
}

/** Whether a rule changes the bytes of the message (rather than only holding, answering or ending it). */
export function rewrites(rule: RuleSpec): boolean {
  return rule.set.length > 0 || rule.delete.length > 0 || rule.replace !== null;
}
