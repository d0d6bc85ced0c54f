// The rules as the inspector in the recording worker sees them: the proxy's thread owns
// the running set (intercept/) and sends its list whenever it changes; a switch flipped
// in the inspector goes back to it and shows at once.

import type { RuleControl, RuleView } from '../model/rules.ts';

export class RuleMirror implements RuleControl {
  private rules: RuleView[] = [];
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly tellProxy: (name: string, enabled: boolean) => void) {}

  /** The proxy's thread sent the list as it is now. */
  update(rules: RuleView[]): void {
    this.rules = rules;
    this.changed();
  }

  list(): RuleView[] {
    return this.rules;
  }

  setEnabled(name: string, enabled: boolean): RuleView | null {
    const index = this.rules.findIndex((r) => r.name === name);
    if (index < 0) return null;
    const rule = { ...this.rules[index]!, enabled };
    this.rules = this.rules.map((r, i) => (i === index ? rule : r));
    this.tellProxy(name, enabled);
    this.changed();
    return rule;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
