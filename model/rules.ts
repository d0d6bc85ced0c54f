// What the inspector shows of the interception rules (intercept/): the REST shape of
// GET /api/rules and the switch PATCH /api/rules/:name flips. No Node imports: the
// browser's Rules panel uses these types.

/** Where a rule acts: before the request goes upstream, before the response reaches the client, or on a WebSocket frame from that side. */
export type RulePoint = 'request' | 'response' | 'ws:client' | 'ws:server';

export const rulePoints: readonly RulePoint[] = ['request', 'response', 'ws:client', 'ws:server'];

/** One loaded rule, as GET /api/rules lists it. */
export interface RuleView {
  name: string;
  at: RulePoint;
  /** The rule's filter text; "" matches every message at its point. */
  match: string;
  enabled: boolean;
  /** Messages it changed (or answered, delayed, dropped, failed) since it was loaded. */
  hits: number;
  /** The last time it could not act, as a sentence: a value that did not fit, a message that did not decode. */
  error?: string;
  /** Set for a rule added from the inspector (POST /api/rules) rather than read from the rules file: it lasts until the proxy stops, or DELETE removes it. */
  added?: true;
}

/** What the inspector's server asks of the running rules. */
export interface RuleControl {
  list(): RuleView[];
  /** Switches a rule on or off in the running set (not in the file); null when no rule has that name. */
  setEnabled(name: string, enabled: boolean): RuleView | null;
  /** Tells the listener whenever the list changes: a reload, a switch, a hit. */
  onChange(listener: () => void): void;
  /** Adds a rule, given as its JSON in a rules file, to the running set (POST /api/rules); rejects with a Refusal (model/user-refusal.ts) saying what is wrong. */
  add(rule: unknown): Promise<RuleView>;
  /** Removes a rule added from the inspector (DELETE /api/rules/:name); rejects with a Refusal. */
  remove(name: string): Promise<void>;
}
