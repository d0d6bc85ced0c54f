// How durations and times read in the inspector (sizes and counts: model/format.ts): short, aligned, never "NaN" or
// "Infinity". An unknown value (null, NaN, an infinite size or duration) reads as an
// empty string; a negative duration (clocks that stepped back, a file that says so)
// keeps its sign; a date past what JavaScript's dates hold says so.

/** The Unicode minus, as wide as the digits. */
const minus = '−';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const yearMs = 365.25 * dayMs;

/** 0.4 ms, 12 ms, 1.24 s, 2 m 05 s, 3 h 02 m, 4 d 07 h, 12 y 104 d, −12 ms; an empty string for an unknown duration. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  if (ms < 0) return `${minus}${formatDuration(-ms)}`;
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} m ${pad(Math.floor((ms % 60_000) / 1000))} s`;
  if (ms < dayMs) return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} m`;
  if (ms < yearMs) return `${Math.floor(ms / dayMs)} d ${pad(Math.floor((ms % dayMs) / hourMs))} h`;
  // Past a million years the days say nothing, and the digits would run on (an exp of 1e300).
  const years = Math.floor(ms / yearMs);
  if (years >= 1_000_000) return 'over 1,000,000 y';
  return `${years.toLocaleString('en')} y ${Math.floor((ms % yearMs) / dayMs)} d`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds: 14:03:22.123. */
export function formatClock(iso: string | number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** JavaScript dates end 100,000,000 days either side of 1970. */
const lastDateMs = 8.64e15;

/**
 * Local date and time for facts such as a token's expiry: 2024-05-01 14:03:22, years
 * past 9999 and before 1 as they are (12000-01-13 …, −0044-03-15 …).
 */
export function formatDateTime(msSinceEpoch: number): string {
  if (Number.isNaN(msSinceEpoch)) return '';
  if (msSinceEpoch > lastDateMs) return `after the year ${new Date(lastDateMs).getUTCFullYear()}`;
  if (msSinceEpoch < -lastDateMs) return `before the year ${minus}${-new Date(-lastDateMs).getUTCFullYear()}`;
  const d = new Date(msSinceEpoch);
  const year = d.getFullYear();
  return `${year < 0 ? minus : ''}${pad(Math.abs(year), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A signed offset such as +1.204 s, for positions on a timeline; empty when unknown. */
export function formatOffset(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  return `${ms < 0 ? minus : '+'}${formatDuration(Math.abs(ms))}`;
}

/** "in 3 m 10 s" / "4 h 02 m ago": how far a moment is from a reference moment; empty when either is unknown. */
export function formatRelative(targetMs: number, referenceMs: number): string {
  const delta = targetMs - referenceMs;
  if (!Number.isFinite(delta)) return '';
  const text = formatDuration(Math.abs(delta));
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

