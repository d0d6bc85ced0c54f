// proxy --rules FILE [--rules-seed N] [--break-timeout TIME]: the rules loaded in the
// proxy's thread, where the forwarding path asks them, with the inspector (in the
// recording worker) shown their list and allowed to switch them, and the messages their
// breakpoints pause (intercept/pauses.ts).

import { RuleSet } from '../intercept/rule-set.ts';
import { RulesWatch } from '../intercept/rules-watch.ts';
import { RuleStage } from '../intercept/stage.ts';
import { misfit } from '../intercept/check-values.ts';
import { parseRule, RulesFileError } from '../intercept/rules-file.ts';
import { Refusal } from '../model/user-refusal.ts';
import { DEFAULT_BREAK_TIMEOUT_MS, Pauses } from '../intercept/pauses.ts';
import { UserError } from '../model/user-error.ts';
import { createCodec } from '../proto/codec.ts';
import type { InterceptStage } from '../proxy/intercept.ts';
import type { RecordingWorker } from '../app/worker-bridge.ts';

/** How often at most the inspector hears that hit counts moved. */
const TELL_INSPECTOR_MS = 100;

export interface LoadedRules {
  stage: InterceptStage;
  /** What breakpoints hold now. */
  pauses: Pauses;
  /** Shows the inspector the rules and takes its switches. */
  attach(recording: RecordingWorker): void;
  /** Lets every paused message go on as it came (the proxy is stopping), and stops watching the file. */
  close(): void;
}

/** The longest --break-timeout: past a day a pause is a leak, not a debugging session. */
const MAX_BREAK_TIMEOUT_MS = 24 * 3600_000;

/** --break-timeout: "60", "60s", "1500ms", "2m", or 0 for no limit; in ms. Throws a UserError. */
export function parseBreakTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BREAK_TIMEOUT_MS;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!Number.isFinite(ms) || ms > MAX_BREAK_TIMEOUT_MS) throw new UserError(`--break-timeout ${text}: expected a time such as 60s, 1500ms or 2m (at most 24 hours), or 0 to wait until each pause is decided.`);
  return Math.round(ms);
}

/**
 * The running rules: those of --rules FILE (watched), and those the inspector adds. Without
 * a file there are none until the inspector adds one, and nothing is armed meanwhile.
 * Throws a UserError naming the file, line and reason for a broken file.
 */
export function loadRules(file: string | undefined, seedText: string | undefined, breakTimeoutText: string | undefined, protoPaths: string[], say: (line: string) => void): LoadedRules {
  const breakTimeoutMs = parseBreakTimeout(breakTimeoutText);
  if (file === undefined && seedText !== undefined) throw new UserError('--rules-seed seeds the rules of --rules FILE; pass --rules too.');
  let seed: number | undefined;
  if (seedText !== undefined) {
    seed = Number(seedText);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`--rules-seed ${seedText}: expected a whole number from 0 to 4294967295.`);
  }
  const set = new RuleSet({ seed });
  // The stage decodes in this thread: the recorder's codec lives in its worker.
  const codec = createCodec({ protoPaths });
  const watch = file === undefined ? null : new RulesWatch(file, set, codec, say);
  watch?.start();
  const pauses = new Pauses(codec, { timeoutMs: breakTimeoutMs, log: say });
  let timer: NodeJS.Timeout | undefined;
  return {
    stage: new RuleStage(set, codec, say, pauses),
    pauses,
    attach(recording) {
      const tell = () => recording.showRules(set.list());
      tell();
      set.onChange(() => {
        timer ??= setTimeout(() => {
          timer = undefined;
          tell();
        }, TELL_INSPECTOR_MS).unref();
      });
      recording.attachPauses(pauses);
      recording.onRuleSwitch((name, enabled) => {
        if (set.setEnabled(name, enabled)) say(`rules: "${name}" switched ${enabled ? 'on' : 'off'} in the inspector`);
      });
      recording.onRuleEdit({
        add(rule) {
          let spec;
          try {
            spec = parseRule(rule, 'POST /api/rules');
          } catch (err) {
            if (err instanceof RulesFileError) throw new Refusal(err.message, 400);
            throw err;
          }
          const problem = misfit(spec, codec);
          if (problem !== null) throw new Refusal(`POST /api/rules: ${problem}.`, 400);
          if (!set.add(spec)) throw new Refusal(`A rule is named "${spec.name}" already; GET /api/rules lists them. Give this one another name.`, 409);
          say(`rules: "${spec.name}" added in the inspector (at ${spec.at}${spec.match ? `, matching ${spec.match}` : ''})`);
          return set.list().find((r) => r.name === spec.name)!;
        },
        remove(name) {
          const removed = set.remove(name);
          if (removed === 'no such rule') throw new Refusal(`No rule is named "${name}"; GET /api/rules lists them.`, 404);
          if (removed === 'from the file') throw new Refusal(`The rule "${name}" comes from ${file}: switch it off (PATCH /api/rules/:name with { "enabled": false }) or edit the file.`, 409);
          say(`rules: "${name}" removed in the inspector`);
          return null;
        },
      });
    },
    close() {
      clearTimeout(timer);
      watch?.close();
      pauses.stop('the proxy is stopping', { sayIfNonePaused: false });
    },
  };
}
