// The running rules as the inspector's server sees them (model/rules.ts RuleControl),
// kept in memory: the contract's other side, which intercept/ implements in the proxy.
// Tests of the REST routes and the Rules panel switch and hit rules through it.

import type { RuleControl, RuleView } from '../../model/rules.ts';
import { Refusal } from '../../model/user-refusal.ts';

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

  /** Takes any object with a name and an at, as the proxy would after checking it. */
  async add(rule: unknown): Promise<RuleView> {
    const { name, at, match } = rule as { name?: unknown; at?: unknown; match?: unknown };
    if (typeof name !== 'string' || typeof at !== 'string') throw new Refusal('POST /api/rules: a rule needs a name and an at.', 400);
    if (this.views.some((v) => v.name === name)) throw new Refusal(`A rule is named "${name}" already.`, 409);
    const view: RuleView = { name, at: at as RuleView['at'], match: typeof match === 'string' ? match : '', enabled: true, hits: 0, added: true };
    this.views.push(view);
    this.changed();
    return { ...view };
  }

  async remove(name: string): Promise<void> {
    const index = this.views.findIndex((v) => v.name === name);
    if (index < 0) throw new Refusal(`No rule is named "${name}".`, 404);
    this.views.splice(index, 1);
    this.changed();
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
