// proxy --rules FILE [--rules-seed N]: the rules loaded in the proxy's thread, where the
// forwarding path asks them, with the inspector (in the recording worker) shown their
// list and allowed to switch them.

import { RuleSet } from '../intercept/rule-set.ts';
import { RulesWatch } from '../intercept/rules-watch.ts';
import { RuleStage } from '../intercept/stage.ts';
import { UserError } from '../model/user-error.ts';
import { createCodec } from '../proto/codec.ts';
import type { InterceptStage } from '../proxy/intercept.ts';
import type { RecordingWorker } from '../app/worker-bridge.ts';

/** How often at most the inspector hears that hit counts moved. */
const TELL_INSPECTOR_MS = 100;

export interface LoadedRules {
  stage: InterceptStage;
  /** Shows the inspector the rules and takes its switches. */
  attach(recording: RecordingWorker): void;
  close(): void;
}

/** null without --rules; throws a UserError naming the file, line and reason for a broken one. */
export function loadRules(file: string | undefined, seedText: string | undefined, protoPaths: string[], say: (line: string) => void): LoadedRules | null {
  if (file === undefined) {
    if (seedText !== undefined) throw new UserError('--rules-seed seeds the rules of --rules FILE; pass --rules too.');
    return null;
  }
  let seed: number | undefined;
  if (seedText !== undefined) {
    seed = Number(seedText);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`--rules-seed ${seedText}: expected a whole number from 0 to 4294967295.`);
  }
  const set = new RuleSet({ seed });
  // The stage decodes in this thread: the recorder's codec lives in its worker.
  const codec = createCodec({ protoPaths });
  const watch = new RulesWatch(file, set, codec, say);
  watch.start();
  let timer: NodeJS.Timeout | undefined;
  return {
    stage: new RuleStage(set, codec, say),
    attach(recording) {
      const tell = () => recording.showRules(set.list());
      tell();
      set.onChange(() => {
        timer ??= setTimeout(() => {
          timer = undefined;
          tell();
        }, TELL_INSPECTOR_MS).unref();
      });
      recording.onRuleSwitch((name, enabled) => {
        if (set.setEnabled(name, enabled)) say(`rules: "${name}" switched ${enabled ? 'on' : 'off'} in the inspector`);
      });
    },
    close() {
      clearTimeout(timer);
      watch.close();
    },
  };
}
