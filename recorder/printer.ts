// One concise line per exchange on the terminal, as mitmdump prints them.

import type { ExchangeSummary } from '../model/types.ts';
import type { RecorderListener } from '../model/recorder-listener.ts';
import { countOf, formatSize, operationLabel } from '../model/format.ts';

export class TerminalPrinter implements RecorderListener {
  /** ws connections already announced as open, so updates while they run stay quiet. */
  private readonly openAnnounced = new Set<number>();

  constructor(private readonly write: (line: string) => void) {}

  exchange(summary: ExchangeSummary): void {
    if (summary.state === 'pending') {
      if (summary.kind === 'ws' && summary.status === 101 && !this.openAnnounced.has(summary.id)) {
        this.openAnnounced.add(summary.id);
        this.write(formatLine(summary));
      }
      return;
    }
    this.openAnnounced.delete(summary.id);
    this.write(formatLine(summary));
  }
}

export function formatLine(s: ExchangeSummary): string {
  // A closed connection is told when it closes, so the terminal reads in time order.
  const duration = s.durationMs !== null && Number.isFinite(s.durationMs) ? s.durationMs : null;
  const closed = s.kind === 'ws' && s.state !== 'pending' && duration !== null;
  const time = clock(Date.parse(s.startedAt) + (closed ? duration! : 0));
  const what = s.kind === 'http' ? `${s.method} ${s.path}` : s.kind === 'ws' ? wsLabel(s) : callName(s);
  const status = s.status === null ? s.state : String(s.status);
  const parts = [time, s.kind.padEnd(4), what.padEnd(28), status.padStart(3)];
  if (duration !== null) parts.push(`${Math.round(duration)}ms`);
  parts.push(`${formatSize(s.requestSize)} → ${formatSize(s.responseSize)}`);
  if (s.errors.length) parts.push(s.errors.join(','));
  if (s.problems.length) parts.push(`⚠ ${s.problems.length === 1 ? s.problems[0] : `${s.problems.length} problems`}`);
  if (s.replayOf !== null) parts.push(`replay of #${s.replayOf}`);
  if (s.rules.length) parts.push(`changed by ${s.rules.map((r) => `"${r}"`).join(', ')}`);
  return parts.join('  ');
}

/** The UTC time of day, 20:48:15.123, in any year (ISO writes years past 9999 with six digits); dashes when no date can hold it. */
function clock(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return '--:--:--.---';
  const iso = date.toISOString();
  return iso.slice(iso.indexOf('T') + 1, -1);
}

function callName(s: ExchangeSummary): string {
  return operationLabel(s) ?? s.path;
}

function wsLabel(s: ExchangeSummary): string {
  if (s.state === 'pending') return `${s.path} open`;
  // An earlier run was killed while it was open: nobody saw it close.
  const frames = countOf(s.frames, 'frame');
  if (s.state === 'interrupted') return `${s.path} interrupted, ${frames}`;
  return `${s.path} closed, ${frames}`;
}
