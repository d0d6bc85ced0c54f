// The per-token timeline: a token's /exec calls interleaved with its WebSocket
// connections and their events, with the stretches when no WebSocket was connected
// marked "events lost" — the ca2 server keeps no events for offline clients.

import type { ExchangeSummary, TokenRef, WsClose, WsFrame } from '../../../model/types.ts';

export interface Interval {
  from: number;
  to: number;
}

export interface Connection extends Interval {
  exchangeId: number;
  /** Still connected (the row is pending): `to` is "now". */
  open: boolean;
}

export type TimelineEntry =
  | { kind: 'exec'; at: number; summary: ExchangeSummary }
  | { kind: 'ws-open'; at: number; summary: ExchangeSummary }
  | { kind: 'ws-event'; at: number; exchangeId: number; frame: WsFrame }
  | { kind: 'ws-close'; at: number; summary: ExchangeSummary; close: WsClose | null }
  | { kind: 'lost'; at: number; to: number };

export interface TokenTimeline {
  start: number;
  end: number;
  connections: Connection[];
  lost: Interval[];
  entries: TimelineEntry[];
}

/** The filter that selects a token's exchanges: its JWT subject when it has one, its prefix otherwise. */
export function tokenFilterValue(token: TokenRef): string {
  return token.sub ?? token.prefix;
}

/** The filter for a token value, quoted when it holds spaces, quotes or parentheses. */
export function tokenFilter(value: string): string {
  return /^[^\s"()]+$/.test(value) ? `token:${value}` : `token:"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Merges overlapping intervals; the result is sorted and disjoint. */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.from <= last.to) last.to = Math.max(last.to, interval.to);
    else merged.push({ from: interval.from, to: interval.to });
  }
  return merged;
}

/** Parts of [start, end] that no interval covers, ignoring stretches shorter than minGapMs. */
export function uncovered(start: number, end: number, covered: Interval[], minGapMs = 0): Interval[] {
  const gaps: Interval[] = [];
  let cursor = start;
  for (const interval of mergeIntervals(covered)) {
    if (interval.to <= cursor) continue;
    if (interval.from > end) break;
    if (interval.from - cursor > minGapMs) gaps.push({ from: cursor, to: interval.from });
    cursor = Math.max(cursor, interval.to);
  }
  if (end - cursor > minGapMs) gaps.push({ from: cursor, to: end });
  return gaps;
}

export interface TimelineInput {
  /** The token's exchanges, any order. */
  summaries: ExchangeSummary[];
  /** Frames and close of the WebSocket rows whose detail was loaded, by exchange id. */
  wsDetails: ReadonlyMap<number, { frames: WsFrame[]; close: WsClose | null }>;
  now: number;
  minGapMs?: number;
}

export function buildTokenTimeline(input: TimelineInput): TokenTimeline {
  const { summaries, wsDetails, now } = input;
  const entries: TimelineEntry[] = [];
  const connections: Connection[] = [];
  let start = Infinity;
  let end = -Infinity;
  for (const summary of summaries) {
    const at = Date.parse(summary.startedAt);
    const open = summary.state === 'pending';
    const finished = open ? now : at + (summary.durationMs ?? 0);
    start = Math.min(start, at);
    end = Math.max(end, finished);
    if (summary.kind === 'ws') {
      const detail = wsDetails.get(summary.id);
      // The recorded close can come a moment after the summary's duration ends; an
      // interrupted connection has neither, but was up at least until its last frame.
      const lastFrameAt = Math.max(finished, ...(detail?.frames ?? []).map((f) => Date.parse(f.at)));
      const closedAt = detail?.close ? Math.max(lastFrameAt, Date.parse(detail.close.at)) : open ? finished : lastFrameAt;
      end = Math.max(end, closedAt);
      // A refused upgrade (no 101) never connected, so it covers nothing.
      const connected = summary.status === 101 || summary.status === null;
      if (connected) connections.push({ exchangeId: summary.id, from: at, to: closedAt, open });
      entries.push({ kind: 'ws-open', at, summary });
      for (const frame of detail?.frames ?? []) {
        if (frame.direction === 'server') entries.push({ kind: 'ws-event', at: Date.parse(frame.at), exchangeId: summary.id, frame });
      }
      if (!open) entries.push({ kind: 'ws-close', at: closedAt, summary, close: detail?.close ?? null });
    } else {
      entries.push({ kind: 'exec', at, summary });
    }
  }
  if (summaries.length === 0) return { start: now, end: now, connections, lost: [], entries };
  const lost = uncovered(start, end, connections, input.minGapMs ?? 0);
  for (const gap of lost) entries.push({ kind: 'lost', at: gap.from, to: gap.to });
  const order: Record<TimelineEntry['kind'], number> = { 'ws-close': 0, lost: 1, 'ws-open': 2, 'ws-event': 3, exec: 4 };
  entries.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
  return { start, end, connections: connections.sort((a, b) => a.from - b.from), lost, entries };
}

/** Position of a moment on the timeline as a percentage of its width. */
export function percentAt(at: number, timeline: Pick<TokenTimeline, 'start' | 'end'>): number {
  const span = timeline.end - timeline.start;
  if (span <= 0) return 0;
  return Math.min(100, Math.max(0, ((at - timeline.start) / span) * 100));
}
