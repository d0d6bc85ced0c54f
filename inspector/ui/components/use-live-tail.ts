// The live tail over the list: live rows that the applied filter matches join it as
// they come. While the user looks at something (scrolled away from the top, or a row
// selected) new rows wait behind "N new", so nothing moves under their eyes.

import { useEffect, useState } from 'preact/hooks';
import type { SeenValues } from '../model/seen-values.ts';
import { useLiveEvent, type LiveStream } from './use-live-stream.ts';
import type { Pages } from './use-pages.ts';

export interface LiveTail {
  /** Bumped to scroll the list back to the live edge. */
  toTop: number;
  jumpToLive: () => void;
  onScrolledAway: (away: boolean) => void;
}

/** `holding`: a row is selected. */
export function useLiveTail(stream: LiveStream, pages: Pages, seen: SeenValues, holding: boolean): LiveTail {
  const { rows, rerender } = pages;
  const [scrolledAway, setScrolledAway] = useState(false);
  const [toTop, setToTop] = useState(0);

  useLiveEvent(stream, 'batch', (batch) => {
    for (const summary of batch.exchanges) seen.addSummary(summary);
    rows.applyLive(batch, pages.matches);
    pages.check(batch);
    rerender();
  });

  const paused = scrolledAway || holding;
  useEffect(() => {
    rows.setPaused(paused);
    rerender();
  }, [paused]);

  const jumpToLive = () => {
    rows.flushPending();
    setToTop((n) => n + 1);
    rerender();
  };
  return { toTop, jumpToLive, onScrolledAway: setScrolledAway };
}
