// How a command shows the progress of long work (export, import, replay): on a terminal,
// one line redrawn in place with a bar, done/total, the rate and the time left, once the
// work has lasted long enough to be worth watching; when stdout is a file or a pipe, a
// plain line every few seconds and the last one.

import type { SessionProgress } from '../replay/session.ts';

const PLAIN_EVERY_MS = 5_000;
/** On a terminal: nothing is drawn before the work has lasted this long, then at most once per redraw. */
const DRAW_AFTER_MS = 500;
const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

export interface Progress {
  /** What is being done, as the line begins: "exporting", "importing bug.har". The rate and the ETA count from when it first comes. */
  label: string;
  /** Items done: exchanges. */
  done: number;
  /** Items in all; null where only the share done is known (a HAR file, by the bytes read). */
  total: number | null;
  /** With no total: how much of the work is done, from 0 to 1. */
  share?: number;
  /** What the items are, after the counts: "exchanges". */
  unit?: string;
  /** Said after the counts: ", 1 different, 0 failed". */
  detail?: string;
}

export interface ProgressLine {
  update(progress: Progress): void;
  /** The work is over (or stopped): the last state is left readable. */
  end(): void;
}

export function progressLine(tty: boolean, write: (text: string) => void, now: () => number = Date.now): ProgressLine {
  let phaseStart = now();
  let label: string | null = null;
  let lastShown = 0;
  let shownAny = false;
  let last: Progress | null = null;
  let lastWasShown = false;

  const share = (p: Progress) => (p.total === null ? (p.share ?? 0) : p.total === 0 ? 1 : p.done / p.total);
  /** The counts, and while the work goes on the rate and the time left. */
  const text = (p: Progress, going: boolean) => {
    const part = share(p);
    const unit = p.unit ? ` ${p.unit}` : '';
    const counts = p.total === null ? `${Math.floor(part * 100)}%, ${count(p.done)}${unit}` : `${count(p.done)}/${count(p.total)}${unit}`;
    const seconds = (now() - phaseStart) / 1000;
    if (!going || part >= 1 || seconds <= 0) return `${counts}${p.detail ?? ''}`;
    const left = part > 0 ? Math.round((seconds / part) * (1 - part)) : null;
    const eta = left === null ? '' : `, ETA ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    return `${counts}${p.detail ?? ''}, ${rateOf(p.done / seconds)}/s${eta}`;
  };
  let lastLine = '';
  const show = (p: Progress, going: boolean) => {
    const filled = Math.round(share(p) * BAR_WIDTH);
    const line = tty ? `\r${p.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text(p, going)}\x1b[K` : `${p.label} ${text(p, going)}\n`;
    // The same state told twice (the end of the work, then its close) is shown once.
    if (line !== lastLine) write(line);
    lastLine = line;
    lastShown = now();
    shownAny = true;
  };

  return {
    update(p) {
      if (p.label !== label) {
        if (label !== null) phaseStart = now();
        label = p.label;
      }
      last = p;
      const finished = share(p) >= 1;
      if (tty) {
        lastWasShown = (now() - phaseStart >= DRAW_AFTER_MS && now() - lastShown >= REDRAW_EVERY_MS) || (finished && shownAny);
      } else {
        lastWasShown = finished || now() - Math.max(lastShown, phaseStart) >= PLAIN_EVERY_MS;
      }
      if (lastWasShown) show(p, true);
    },
    end() {
      if (last && !lastWasShown && (shownAny || !tty)) show(last, false);
      if (tty && shownAny) write('\n');
    },
  };
}

/** `replay`'s progress: replayed so far, of how many, and how many differed or failed. */
export function progressReporter(tty: boolean, write: (text: string) => void, now: () => number = Date.now) {
  const line = progressLine(tty, write, now);
  return {
    update: (p: SessionProgress) => line.update({ label: 'replayed', done: p.done, total: p.total, detail: `, ${p.different} different, ${p.failed} failed` }),
    end: () => line.end(),
  };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function rateOf(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US');
}
