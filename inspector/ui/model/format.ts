// How numbers and times read in the inspector: short, aligned, never "NaN".

const sizeUnits = ['B', 'KB', 'MB', 'GB'];

/** 0 B, 912 B, 1.4 KB, 12 KB, 3.2 MB: three significant digits at most. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < sizeUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${sizeUnits[unit]}`;
}

/** 0.4 ms, 12 ms, 1.24 s, 2 m 05 s; an empty string for an unknown duration. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
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

/** Local date and time for facts such as a token's expiry: 2024-05-01 14:03:22. */
export function formatDateTime(msSinceEpoch: number): string {
  const d = new Date(msSinceEpoch);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A signed offset such as +1.204 s, for positions on a timeline. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  return `${sign}${formatDuration(Math.abs(ms)) || '0 ms'}`;
}

/** "in 3 m 10 s" / "4 h 02 m ago": how far a moment is from a reference moment. */
export function formatRelative(targetMs: number, referenceMs: number): string {
  const delta = targetMs - referenceMs;
  const text = formatDuration(Math.abs(delta));
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** "1 frame", "3 frames", "1,204 stretches": a count with its noun in the number it needs. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? singular : plural}`;
}
