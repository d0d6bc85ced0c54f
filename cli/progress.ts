// How `replay` shows its progress: a bar redrawn in place on a terminal (done/total,
// differences so far, ETA), plain lines every few seconds when stdout is a file or a pipe.

import type { SessionProgress } from '../replay/session.ts';

const PLAIN_PROGRESS_EVERY_MS = 5_000;
const BAR_WIDTH = 24;

/** A bar redrawn in place on a terminal; elsewhere a plain line every few seconds and at the end. */
export function progressReporter(tty: boolean, write: (text: string) => void, now: () => number = Date.now) {
  const started = now();
  let lastLine = 0;
  let drawn = false;
  let last: SessionProgress | null = null;
  const eta = (p: SessionProgress) => {
    if (p.done === 0 || p.done === p.total) return '';
    const seconds = Math.round((((now() - started) / p.done) * (p.total - p.done)) / 1000);
    return `  ETA ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const counts = (p: SessionProgress) => `${p.done}/${p.total}, ${p.different} different, ${p.failed} failed`;
  return {
    update(p: SessionProgress) {
      last = p;
      if (tty) {
        const filled = p.total === 0 ? BAR_WIDTH : Math.round((p.done / p.total) * BAR_WIDTH);
        write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${counts(p)}${eta(p)}\x1b[K`);
        drawn = true;
      } else if (now() - lastLine >= PLAIN_PROGRESS_EVERY_MS || p.done === p.total) {
        lastLine = now();
        write(`replayed ${counts(p)}${eta(p)}\n`);
      }
    },
    end() {
      if (drawn) write('\n');
      else if (!tty && last && last.done !== last.total) write(`replayed ${counts(last)}\n`);
    },
  };
}
