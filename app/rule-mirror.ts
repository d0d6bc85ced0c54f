// The rules as the inspector in the recording worker sees them: the proxy's thread owns
// the running set (intercept/) and sends its list whenever it changes; a switch flipped
// in the inspector goes back to it and shows at once; a rule added or removed there is
// asked of it, and the answer (or why it was refused) comes back to the request.

import type { RuleControl, RuleView } from '../model/rules.ts';
import { ThreadRequests, type ThreadOutcome } from './thread-requests.ts';

/** What the mirror tells the proxy's thread. */
export interface RuleMessages {
  switch(name: string, enabled: boolean): void;
  add(requestId: number, rule: unknown): void;
  remove(requestId: number, name: string): void;
}

export class RuleMirror implements RuleControl {
  private rules: RuleView[] = [];
  private readonly listeners: (() => void)[] = [];
  /** Adds answer with the rule's view, removes with null. */
  private readonly requests = new ThreadRequests<RuleView | null>();

  constructor(private readonly tellProxy: RuleMessages) {}

  /** The proxy's thread sent the list as it is now. */
  update(rules: RuleView[]): void {
    this.rules = rules;
    this.changed();
  }

  /** The proxy's thread answered an add (a view) or a remove (null). */
  edited(requestId: number, outcome: ThreadOutcome<RuleView | null>): void {
    this.requests.answer(requestId, outcome);
  }

  list(): RuleView[] {
    return this.rules;
  }

  setEnabled(name: string, enabled: boolean): RuleView | null {
    const index = this.rules.findIndex((r) => r.name === name);
    if (index < 0) return null;
    const rule = { ...this.rules[index]!, enabled };
    this.rules = this.rules.map((r, i) => (i === index ? rule : r));
    this.tellProxy.switch(name, enabled);
    this.changed();
    return rule;
  }

  // The list the proxy sends follows within a moment; until then the change shows here at once, so a GET after the answer sees it.
  async add(rule: unknown): Promise<RuleView> {
    const view = (await this.requests.ask('adding a rule', (requestId) => this.tellProxy.add(requestId, rule)))!;
    this.rules = [...this.rules.filter((r) => r.name !== view.name), view];
    this.changed();
    return view;
  }

  async remove(name: string): Promise<void> {
    await this.requests.ask(`removing the rule "${name}"`, (requestId) => this.tellProxy.remove(requestId, name));
    this.rules = this.rules.filter((r) => r.name !== name);
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
