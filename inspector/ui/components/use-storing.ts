// Traffic journaled while nobody watched is stored in the background; its exchanges
// come on the live stream, and the banner counts down until the last is stored.

import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../services/api.ts';

/** How often the banner asks how much is left. */
const storingPollMs = 1000;

/** Tap calls the proxy is still storing as rows (null: none), and its setter for what a page says. */
export function useStoring(api: Api): [number | null, (count: number | null) => void] {
  const [storing, setStoring] = useState<number | null>(null);
  const isStoring = storing !== null;
  useEffect(() => {
    if (!isStoring) return;
    const abort = new AbortController();
    let timer = 0;
    // One question at a time, a second after the last answer: the thread answering is the one storing.
    const ask = () => {
      timer = window.setTimeout(() => {
        api.stats(abort.signal).then(
          (stats) => {
            if (stats.journaled > 0) {
              setStoring(stats.journaled);
              ask();
            } else setStoring(null);
          },
          (err: Error) => {
            // The count stays as it was; the next answer puts it right.
            if (err.name !== 'AbortError') ask();
          },
        );
      }, storingPollMs);
    };
    ask();
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [isStoring]);
  return [storing, setStoring];
}
