// The proxy's running rules for the Rules panel and its button: asked for when the live
// stream connects (changes may have been missed before), then kept current by the
// server's `rules` events (a switch, a hit, a reload) and by the answer to a switch, an
// added breakpoint or a removal.

import { useEffect, useState } from 'preact/hooks';
import type { RulePoint, RuleView } from '../../../model/rules.ts';
import { breakpointRule } from '../model/pauses-panel.ts';
import { withRule } from '../model/rules-panel.ts';
import type { Api } from '../services/api.ts';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

export interface Rules {
  /** null until the server has answered. */
  list: RuleView[] | null;
  /** Why the list could not be had, or a switch was refused, as a sentence. */
  error: string | null;
  setEnabled: (name: string, enabled: boolean) => void;
  /** Arms a breakpoint (POST /api/rules); rejects with the server's sentence, for the caller to show. */
  arm: (match: string, at: RulePoint) => Promise<RuleView>;
  /** Removes a rule added from the inspector; a refusal shows as `error`. */
  remove: (name: string) => void;
}

export function useRules(api: Api, stream: LiveStream, fail: (err: unknown) => void): Rules {
  const [list, setList] = useState<RuleView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refused = (err: unknown) => {
    setError((err as Error).message);
    fail(err);
  };
  const [connects, setConnects] = useState(0);
  useLiveEvent(stream, 'connected', () => setConnects((n) => n + 1));
  useEffect(() => {
    if (connects === 0) return;
    const abort = new AbortController();
    api.rules(abort.signal).then(setList, (err: Error) => {
      if (err.name !== 'AbortError') refused(err);
    });
    return () => abort.abort();
  }, [connects]);
  useLiveEvent(stream, 'rules', setList);
  return {
    list,
    error,
    setEnabled: (name, enabled) => {
      setError(null);
      api.setRuleEnabled(name, enabled).then((view) => setList((current) => current && withRule(current, view)), refused);
    },
    arm: async (match, at) => {
      try {
        const view = await api.addRule(breakpointRule(match, at));
        setList((current) => current && [...current.filter((rule) => rule.name !== view.name), view]);
        return view;
      } catch (err) {
        fail(err);
        throw err;
      }
    },
    remove: (name) => {
      setError(null);
      api.removeRule(name).then(() => setList((current) => current && current.filter((rule) => rule.name !== name)), refused);
    },
  };
}
