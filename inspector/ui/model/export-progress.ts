// How the Export dialog says how far a download's export has got, from the progress the
// server tells on the live stream: each phase with its own rate and time left, counted on
// this browser's clock from when the phase was first told.

import type { ExportProgressView } from '../../../model/types.ts';
import { countOf } from '../../../model/format.ts';
import { formatDuration } from './format.ts';

export interface ExportWatch {
  /** The last progress told, or null before the first. */
  view: ExportProgressView | null;
  /** When the phase it is in was first told (ms, this browser's clock), and how much was done then. */
  phaseSince: number;
  phaseFrom: number;
}

export const notYetTold: ExportWatch = { view: null, phaseSince: 0, phaseFrom: 0 };

/** The watch after one more progress told at `now`. */
export function watched(watch: ExportWatch, view: ExportProgressView, now: number): ExportWatch {
  if (watch.view?.phase === view.phase) return { ...watch, view };
  return { view, phaseSince: now, phaseFrom: view.done };
}

/** "Redacting and writing 4,000 of 10,000 exchanges, 1,200 a second, about 5.00 s left…". */
export function exportProgressText({ view, phaseSince, phaseFrom }: ExportWatch, now: number): string {
  if (view === null) return 'Starting the export…';
  if (view.phase === 'failed') return view.error ?? 'The export failed.';
  if (view.phase === 'done') return `Exported ${countOf(view.total, 'exchange')}; the file is downloading.`;
  const counts = `${view.done.toLocaleString('en')} of ${countOf(view.total, 'exchange')}`;
  const what = view.phase === 'reading' ? `Reading ${counts} for the tokens they carry` : `Redacting and writing ${counts}`;
  const seconds = (now - phaseSince) / 1000;
  const rate = (view.done - phaseFrom) / seconds;
  if (!(rate > 0) || view.done >= view.total) return `${what}…`;
  return `${what}, ${Math.round(rate).toLocaleString('en')} a second, about ${formatDuration(((view.total - view.done) / rate) * 1000)} left…`;
}
