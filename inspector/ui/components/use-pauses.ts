// The messages breakpoints hold, for the Paused panel and its badge: asked for when the
// live stream connects (pauses may have come and gone while it was away), then kept
// current by the server's `paused` and `resumed` events and by the answer to a decision.
// Frames injected on a paused frame's WebSocket go from here too.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { FrameInjection, PauseDecision, PausedView, ResumedView } from '../../../model/pauses.ts';
import { countOf } from '../../../model/format.ts';
import { resumedText } from '../../../model/pauses.ts';
import { mergePaused, withoutPaused, withPaused, withWaiting, type PausesSince } from '../model/pauses-panel.ts';
import type { Api } from '../services/api.ts';
import { showToast } from './Toast.tsx';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

export interface Pauses {
  /** Oldest first; null until the server has answered. */
  list: PausedView[] | null;
  /** Why the list could not be had, or a decision was refused, as a sentence. */
  error: string | null;
  /** Sends a decision; resolves whether it was carried out (a refusal shows as `error`). */
  decide: (id: number, decision: PauseDecision) => Promise<boolean>;
  /** Sends a frame on a paused frame's WebSocket; resolves whether it went (a refusal shows as `error`). */
  inject: (id: number, injection: FrameInjection) => Promise<boolean>;
  /** Continues every paused message as it is. */
  continueAll: () => void;
}

export function usePauses(api: Api, stream: LiveStream, fail: (err: unknown) => void): Pauses {
  const [list, setList] = useState<PausedView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const since = useRef<PausesSince>({ paused: new Map(), resumed: new Set() });
  const refused = (err: unknown) => {
    setError((err as Error).message);
    fail(err);
  };
  const [connects, setConnects] = useState(0);
  useLiveEvent(stream, 'connected', () => {
    // A proxy started again numbers its pauses from 1: nothing from before counts.
    since.current = { paused: new Map(), resumed: new Set() };
    setConnects((n) => n + 1);
  });
  useEffect(() => {
    if (connects === 0) return;
    const abort = new AbortController();
    api.paused(abort.signal).then(
      (listed) => setList(mergePaused(listed, since.current)),
      (err: Error) => {
        if (err.name !== 'AbortError') refused(err);
      },
    );
    return () => abort.abort();
  }, [connects]);
  useLiveEvent(stream, 'paused', (pause) => {
    since.current.paused.set(pause.id, pause);
    setList((current) => current && withPaused(current, pause));
    showToast(`Paused ${pause.call} at ${pause.point} (rule "${pause.rule}")`);
  });
  useLiveEvent(stream, 'waiting', (waiting) => {
    const known = since.current.paused.get(waiting.id);
    if (known) since.current.paused.set(waiting.id, { ...known, waiting: waiting.waiting });
    setList((current) => current && withWaiting(current, waiting));
  });
  const resumed = (view: ResumedView) => {
    since.current.paused.delete(view.id);
    since.current.resumed.add(view.id);
    setList((current) => current && withoutPaused(current, view.id));
  };
  useLiveEvent(stream, 'resumed', resumed);

  const decide = async (id: number, decision: PauseDecision): Promise<boolean> => {
    setError(null);
    try {
      const view = await api.decide(id, decision);
      resumed(view);
      showToast(resumedText(view));
      return true;
    } catch (err) {
      refused(err);
      return false;
    }
  };
  const inject = async (id: number, injection: FrameInjection): Promise<boolean> => {
    setError(null);
    try {
      await api.inject(id, injection);
      showToast(`Injected a frame from the ${injection.from} on the WebSocket of #${id}`);
      return true;
    } catch (err) {
      refused(err);
      return false;
    }
  };
  const continueAll = () => {
    setError(null);
    const ids = (list ?? []).map((pause) => pause.id);
    void Promise.allSettled(ids.map((id) => api.decide(id, { action: 'continue' }))).then((results) => {
      let continued = 0;
      for (const result of results) {
        if (result.status === 'rejected') refused(result.reason);
        else {
          resumed(result.value);
          continued += 1;
        }
      }
      showToast(`Continued ${continued} of ${countOf(ids.length, 'paused message')}`);
    });
  };
  return { list, error, decide, inject, continueAll };
}
