// The rules a proxy run has loaded, with what each has done: hits, the switch the Rules
// panel flips, the matches `times` has left, and the last problem. A reload swaps the
// rules in one step and keeps the hits and switches of rules that keep their names.

import type { RuleView } from '../model/rules.ts';
import type { RulePoint } from '../model/rules.ts';
import type { RuleSpec } from './rule.ts';

/** One loaded rule and its running state. */
export interface LiveRule {
  spec: RuleSpec;
  enabled: boolean;
  hits: number;
  error: string | null;
}

export class RuleSet {
  /** The file's rules, then those added from the inspector, in the order they act. */
  private rules: LiveRule[] = [];
  /** Names of the rules added from the inspector: a reload of the file keeps them. */
  private readonly added = new Set<string>();
  private byPoint = new Map<RulePoint, LiveRule[]>();
  private readonly listeners: (() => void)[] = [];
  private readonly random: () => number;
  /** Read on every exchange and frame by the forwarding path: kept up to date, never computed there. */
  readonly armed = { http: false, ws: false };

  constructor(options: { seed?: number } = {}) {
    this.random = options.seed === undefined ? Math.random : seeded(options.seed);
  }

  /**
   * Takes the file's rules; a rule named as before keeps its hits. Rules added from the
   * inspector stay, after the file's, unless the file now has a rule of the same name:
   * those are returned, replaced by the file's.
   */
  load(specs: RuleSpec[]): string[] {
    const before = new Map(this.rules.map((r) => [r.spec.name, r]));
    const names = new Set(specs.map((s) => s.name));
    const replaced = [...this.added].filter((name) => names.has(name));
    for (const name of replaced) this.added.delete(name);
    this.rules = [
      ...specs.map((spec) => ({ spec, enabled: spec.enabled, hits: before.get(spec.name)?.hits ?? 0, error: null })),
      ...this.rules.filter((r) => this.added.has(r.spec.name)),
    ];
    this.index();
    return replaced;
  }

  /** Adds a rule after the others (POST /api/rules); false when one has its name already. */
  add(spec: RuleSpec): boolean {
    if (this.rules.some((r) => r.spec.name === spec.name)) return false;
    this.added.add(spec.name);
    this.rules = [...this.rules, { spec, enabled: spec.enabled, hits: 0, error: null }];
    this.index();
    return true;
  }

  /** Removes a rule added from the inspector: 'removed', or why not. */
  remove(name: string): 'removed' | 'from the file' | 'no such rule' {
    if (!this.rules.some((r) => r.spec.name === name)) return 'no such rule';
    if (!this.added.has(name)) return 'from the file';
    this.added.delete(name);
    this.rules = this.rules.filter((r) => r.spec.name !== name);
    this.index();
    return 'removed';
  }

  /** The enabled rules at a point, in file order. */
  at(point: RulePoint): readonly LiveRule[] {
    return this.byPoint.get(point) ?? [];
  }

  /**
   * Whether a rule whose filter matched acts this time: `times` not used up, and the
   * probability's roll. A rule that acts counts a hit; returns whether it was its first.
   */
  take(rule: LiveRule): 'no' | 'first' | 'again' {
    const { times, probability } = rule.spec;
    if (times !== null && rule.hits >= times) return 'no';
    if (probability !== null && this.random() >= probability) return 'no';
    rule.hits += 1;
    this.changed();
    return rule.hits === 1 ? 'first' : 'again';
  }

  /** A rule matched but could not act (a value that did not fit, a message that did not decode). */
  problem(rule: LiveRule, error: string): void {
    rule.error = error;
    this.changed();
  }

  list(): RuleView[] {
    return this.rules.map((r) => ({
      name: r.spec.name,
      at: r.spec.at,
      match: r.spec.match,
      enabled: r.enabled,
      hits: r.hits,
      ...(r.error === null ? {} : { error: r.error }),
      ...(this.added.has(r.spec.name) ? { added: true as const } : {}),
    }));
  }

  setEnabled(name: string, enabled: boolean): RuleView | null {
    const rule = this.rules.find((r) => r.spec.name === name);
    if (!rule) return null;
    rule.enabled = enabled;
    this.index();
    return this.list().find((r) => r.name === name)!;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.rules.length;
  }

  private index(): void {
    this.byPoint = new Map();
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      const list = this.byPoint.get(rule.spec.at) ?? [];
      list.push(rule);
      this.byPoint.set(rule.spec.at, list);
    }
    this.armed.http = this.byPoint.has('request') || this.byPoint.has('response');
    this.armed.ws = this.byPoint.has('ws:client') || this.byPoint.has('ws:server');
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** mulberry32: a small generator whose sequence a seed fixes, so a test or a bug report can replay which matches a probability took. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
