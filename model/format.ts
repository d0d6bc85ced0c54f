// How sizes, counts and calls read, the same on the terminal and in the inspector.
// No Node imports: the browser uses these too.

const sizeUnits = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 0 B, 912 B, 1.4 KB, 12 KB, 3.2 MB: three significant digits at most; empty for what no size can be. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < sizeUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en')} ${sizeUnits[unit]}`;
}

/** "1 frame", "3 frames", "1,204 stretches": a count with its noun in the number it needs. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? singular : plural}`;
}

/** "instances.create", "instances" when no operation is known, null when no service is: how a call is named everywhere. */
export function operationLabel(call: { service?: string | null; operation?: string | null }): string | null {
  if (!call.service) return null;
  return call.operation ? `${call.service}.${call.operation}` : call.service;
}
