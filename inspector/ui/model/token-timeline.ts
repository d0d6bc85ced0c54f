// The token timeline: the /exec calls of one token, or of every token of a subject,
// interleaved with its WebSocket connections and their events, with the stretches when
// no WebSocket was connected marked "events lost" (the ca2 server keeps no events for
// offline clients) and, across tokens, where each token was first used.

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
  | { kind: 'lost'; at: number; to: number }
  /** The first exchange of one of several tokens: the boundary where a new token came into use. */
  | { kind: 'token'; at: number; token: TokenRef; index: number; count: number };

export interface TokenTimeline {
  start: number;
  end: number;
  connections: Connection[];
  lost: Interval[];
  entries: TimelineEntry[];
  /** How many distinct tokens the exchanges carried. */
  tokenCount: number;
}

/** What a timeline shows: a subject's exchanges, or only those of one of its tokens. */
export interface TimelineScope {
  /** The filter value: the JWT subject, or the token's prefix when it has none. */
  value: string;
  /** A tokenKey: only that token's exchanges. */
  token: string | null;
  /** The tokenKey of the exchange the timeline was opened from, which "This token" shows; null when a shared link does not say. */
  origin: string | null;
}

/**
 * Tells one token from the subject's others. The prefix alone does not: JWTs signed
 * alike share their first characters (the header); the expiry tells fresh tokens apart.
 */
export function tokenKey(token: Pick<TokenRef, 'prefix' | 'exp'>): string {
  return `${token.exp ?? ''}:${token.prefix}`;
}

/** Whether a summary belongs in the scope's timeline (its exchanges were loaded by the subject's filter). */
export function inScope(summary: ExchangeSummary, scope: TimelineScope): boolean {
  return scope.token === null || (summary.token !== null && tokenKey(summary.token) === scope.token);
}

/** The timeline of one token, or with `everyToken` of every token of its subject (or of its prefix without one). */
export function scopeOf(token: TokenRef, everyToken: boolean): TimelineScope {
  const key = tokenKey(token);
  return { value: token.sub ?? token.prefix, token: everyToken ? null : key, origin: key };
}

/**
 * The one token "This token" shows: the one shown, else the one the timeline was opened
 * from, else (a link that does not say) the newest of `summaries` (newest first).
 */
export function thisToken(scope: TimelineScope, summaries: readonly ExchangeSummary[]): string | null {
  const known = scope.token ?? scope.origin;
  if (known !== null) return known;
  const newest = summaries.find((s) => s.token)?.token;
  return newest ? tokenKey(newest) : null;
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
  if (summaries.length === 0) return { start: now, end: now, connections, lost: [], entries, tokenCount: 0 };
  const firstUse = new Map<string, { at: number; token: TokenRef }>();
  for (const summary of summaries) {
    if (!summary.token) continue;
    const key = tokenKey(summary.token);
    const at = Date.parse(summary.startedAt);
    const seen = firstUse.get(key);
    if (!seen || at < seen.at) firstUse.set(key, { at, token: summary.token });
  }
  if (firstUse.size > 1) {
    const uses = [...firstUse.values()].sort((a, b) => a.at - b.at);
    uses.forEach((use, index) => entries.push({ kind: 'token', at: use.at, token: use.token, index, count: uses.length }));
  }
  const lost = uncovered(start, end, connections, input.minGapMs ?? 0);
  for (const gap of lost) entries.push({ kind: 'lost', at: gap.from, to: gap.to });
  const order: Record<TimelineEntry['kind'], number> = { 'ws-close': 0, lost: 1, token: 2, 'ws-open': 3, 'ws-event': 4, exec: 5 };
  entries.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
  return { start, end, connections: connections.sort((a, b) => a.from - b.from), lost, entries, tokenCount: firstUse.size };
}

/** Position of a moment on the timeline as a percentage of its width. */
export function percentAt(at: number, timeline: Pick<TokenTimeline, 'start' | 'end'>): number {
  const span = timeline.end - timeline.start;
  if (span <= 0) return 0;
  return Math.min(100, Math.max(0, ((at - timeline.start) / span) * 100));
}
