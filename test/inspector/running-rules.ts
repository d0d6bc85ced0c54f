// The running rules as the inspector's server sees them (model/rules.ts RuleControl),
// kept in memory: the contract's other side, which intercept/ implements in the proxy.
// Tests of the REST routes and the Rules panel switch and hit rules through it.

import type { RuleControl, RuleView } from '../../model/rules.ts';

export class RunningRules implements RuleControl {
  private readonly listeners: (() => void)[] = [];
  constructor(private readonly views: RuleView[]) {}

  list(): RuleView[] {
    return this.views.map((view) => ({ ...view }));
  }

  setEnabled(name: string, enabled: boolean): RuleView | null {
    const view = this.views.find((v) => v.name === name);
    if (!view) return null;
    view.enabled = enabled;
    this.changed();
    return { ...view };
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** A message the rule acted on. */
  hit(name: string): void {
    this.views.find((v) => v.name === name)!.hits += 1;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
