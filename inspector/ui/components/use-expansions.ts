// WebSocket rows expanded into their frames in the list: the frames load from the
// exchange's detail when a row opens, and live frames join the open rows as they come.

import { useState } from 'preact/hooks';
import type { Expansion } from '../model/display-list.ts';
import { framesByExchange, mergeFrames } from '../model/frames.ts';
import type { Api } from '../services/api.ts';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';

export interface Expansions {
  byId: ReadonlyMap<number, Expansion>;
  expand: (id: number) => void;
  collapse: (id: number) => void;
}

export function useExpansions(api: Api, stream: LiveStream): Expansions {
  const [byId, setById] = useState<ReadonlyMap<number, Expansion>>(new Map());

  useLiveEvent(stream, 'batch', (batch) => {
    if (batch.frames.length === 0) return;
    const byExchange = framesByExchange(batch.frames);
    setById((current) => {
      let next: Map<number, Expansion> | null = null;
      for (const [id, frames] of byExchange) {
        const expansion = current.get(id);
        if (!expansion?.frames) continue;
        next ??= new Map(current);
        next.set(id, { frames: mergeFrames(expansion.frames, frames) });
      }
      return next ?? current;
    });
  });

  const expand = (id: number) => {
    setById(new Map(byId).set(id, { frames: null }));
    api.detail(id).then(
      (loaded) =>
        setById((current) => {
          const known = current.get(id);
          if (!known) return current;
          return new Map(current).set(id, { frames: mergeFrames(loaded.frames, known.frames ?? []) });
        }),
      (err: Error) => setById((current) => (current.has(id) ? new Map(current).set(id, { frames: null, error: `Frames did not load: ${err.message}` }) : current)),
    );
  };
  const collapse = (id: number) => {
    const next = new Map(byId);
    next.delete(id);
    setById(next);
  };
  return { byId, expand, collapse };
}
