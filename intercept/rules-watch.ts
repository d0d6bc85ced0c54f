// proxy --rules FILE while the proxy runs: loaded at start (a broken file stops the start
// with one sentence), then read again whenever it changes. A change that breaks the file
// is said on the terminal and the rules loaded before stay; nothing half-loads.

import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Codec } from '../proto/codec.ts';
import { misfit } from './check-values.ts';
import type { RuleSpec } from './rule.ts';
import type { RuleSet } from './rule-set.ts';
import { readRulesFile, RulesFileError } from './rules-file.ts';

/** Editors write a file in several steps: one reload once they are done. */
const SETTLE_MS = 50;

export class RulesWatch {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | undefined;
  private loadedHash = '';

  constructor(
    private readonly file: string,
    private readonly rules: RuleSet,
    private readonly codec: Codec,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads the file; throws RulesFileError when it is broken. Then watches it. */
  start(): void {
    this.load();
    // The folder, not the file: an editor that saves by renaming a new file over it would end a watch on the file.
    this.watcher = watch(dirname(this.file), (_event, name) => {
      if (name !== null && name !== basename(this.file)) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(), SETTLE_MS);
    });
    this.watcher.on('error', (err) => this.log(`rules: stopped watching ${this.file} (${err.message}); restart the proxy to load changes.`));
  }

  /** Reads the file again now (also what a change to it triggers). */
  reload(): void {
    try {
      this.load();
    } catch (err) {
      if (!(err instanceof RulesFileError)) throw err;
      this.log(`rules: ${err.message} The ${this.rules.size} rule(s) loaded before stay.`);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private load(): void {
    let hash = '';
    try {
      hash = createHash('sha256').update(readFileSync(this.file)).digest('hex');
    } catch {
      // readRulesFile says why the file cannot be read.
    }
    if (hash !== '' && hash === this.loadedHash) return;
    const specs = readRulesFile(this.file);
    for (const spec of specs) {
      const problem = misfit(spec, this.codec);
      if (problem !== null) throw new RulesFileError(`${this.file}:${spec.line}: ${problem}.`);
    }
    const replaced = this.rules.load(specs);
    this.loadedHash = hash;
    this.log(`rules: loaded ${describe(specs)} from ${this.file}`);
    for (const name of replaced) this.log(`rules: "${name}", added in the inspector, is replaced by the rule of that name in ${this.file}`);
  }
}

function describe(specs: RuleSpec[]): string {
  if (specs.length === 0) return 'no rules';
  const names = specs.map((s) => `"${s.name}"${s.enabled ? '' : ' (off)'}`).join(', ');
  return `${specs.length} rule${specs.length === 1 ? '' : 's'}: ${names}`;
}
