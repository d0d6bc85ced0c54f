// The inspector app's pure logic (inspector/ui/model/), run in node.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExchangeSummary, LiveBatch, WsFrame } from '../../model/types.ts';
import { atLiveEdge, nearEnd, scrollToReveal, visibleRange } from '../../inspector/ui/model/virtual-list.ts';
import { TrafficRows } from '../../inspector/ui/model/traffic-rows.ts';
import { DisplayList, type Expansion } from '../../inspector/ui/model/display-list.ts';
import { base64Length, base64ToBytes, hexLines, inRange, lineCount, lineOfOffset } from '../../inspector/ui/model/hex-dump.ts';
import { approximateSize, childrenOf, clipboardText, collapseAboveBytes, preview, startsOpen } from '../../inspector/ui/model/json-tree.ts';
import { buildTokenTimeline, inScope, mergeIntervals, percentAt, scopeOf, thisToken, tokenFilter, tokenKey, uncovered } from '../../inspector/ui/model/token-timeline.ts';
import { applySuggestion, hasTerm, kindsOn, suggest, toggleKind, toggleTerm, wordAtCaret } from '../../inspector/ui/model/filter-edit.ts';
import { SeenValues } from '../../inspector/ui/model/seen-values.ts';
import { readUrlState, takeToken, writeUrlState } from '../../inspector/ui/model/url-state.ts';
import { formatClock, formatDateTime, formatDuration, formatOffset, formatRelative } from '../../inspector/ui/model/format.ts';
import { countOf, formatSize } from '../../model/format.ts';
import { closeSummary, frameSummary, framesByExchange, mergeFrames } from '../../inspector/ui/model/frames.ts';
import { compileLiveFilter, filterKeyHelp, serverFilterProblem } from '../../inspector/ui/model/live-filter.ts';
import { checkRequestOf, diffMarks, diffValue, editorAllows, editorStatus, parseEdited, schemaCheckOf, tokenExpiry } from '../../inspector/ui/model/replay.ts';
import { LiveListeners } from '../../inspector/ui/model/live-listeners.ts';
import { LiveChecks, maxIdsPerCheck, type CheckAnswer } from '../../inspector/ui/model/live-checks.ts';
import { shortcutAction, shortcuts } from '../../inspector/ui/model/shortcuts.ts';

function summary(id: number, fields: Partial<ExchangeSummary> = {}): ExchangeSummary {
  return {
    id,
    kind: 'exec',
    startedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + id * 1000).toISOString(),
    durationMs: 5,
    method: 'POST',
    path: '/exec',
    status: 200,
    service: 'auth',
    operation: 'login',
    trx: `trx-${id}`,
    errors: [],
    requestSize: 10,
    responseSize: 20,
    frames: 0,
    problems: [],
    state: 'complete',
    token: null,
    replayOf: null,
    rules: [],
    ...fields,
  };
}

function frame(seq: number, direction: 'client' | 'server', at: string, fields: Partial<WsFrame> = {}): WsFrame {
  return { seq, direction, at, opcode: 2, size: 3, body: '', decoded: null, truncated: false, ...fields };
}

const all = () => true;

function live(...exchanges: ExchangeSummary[]): LiveBatch {
  return { exchanges, frames: [] };
}

describe('virtual list', () => {
  it('renders only the rows in the viewport plus the overscan', () => {
    const range = visibleRange(2800, 560, 28, 100_000, 5);
    assert.deepEqual(range, { start: 95, end: 125, totalHeight: 2_800_000 });
  });

  it('clamps at both ends and handles an empty list', () => {
    assert.deepEqual(visibleRange(-50, 280, 28, 3, 2), { start: 0, end: 3, totalHeight: 84 });
    assert.deepEqual(visibleRange(10_000, 280, 28, 20, 0), { start: 10, end: 20, totalHeight: 560 });
    assert.deepEqual(visibleRange(0, 280, 28, 0), { start: 0, end: 0, totalHeight: 0 });
  });

  it('scrolls as little as possible to reveal a row, and not at all when it is visible', () => {
    assert.equal(scrollToReveal(5, 0, 280, 28), null);
    assert.equal(scrollToReveal(2, 140, 280, 28), 56);
    assert.equal(scrollToReveal(20, 0, 280, 28), 21 * 28 - 280);
  });

  it('asks for older rows within two screens of the end and knows the live edge', () => {
    assert.equal(nearEnd(0, 500, 5000), false);
    assert.equal(nearEnd(3600, 500, 5000), true);
    assert.equal(atLiveEdge(0), true);
    assert.equal(atLiveEdge(3), true);
    assert.equal(atLiveEdge(40), false);
  });
});

describe('traffic rows and the live tail', () => {
  it('keeps rows newest first whatever order pages and live rows arrive in', () => {
    const rows = new TrafficRows();
    rows.applyLive(live(summary(10)), all);
    rows.appendOlder([summary(9), summary(8)]);
    rows.applyLive(live(summary(12), summary(11)), all);
    rows.appendOlder([summary(10), summary(7)]);
    assert.deepEqual(rows.rows.map((r) => r.id), [12, 11, 10, 9, 8, 7]);
    assert.equal(rows.indexOf(8), 4);
    assert.equal(rows.indexOf(99), -1);
  });

  it('updates a shown row in place when the same id arrives again', () => {
    const rows = new TrafficRows();
    rows.reset([summary(2), summary(1, { state: 'pending', status: null })]);
    rows.applyLive(live(summary(1, { status: 500 })), all);
    assert.equal(rows.rows.length, 2);
    assert.equal(rows.get(1)?.status, 500);
  });

  it('holds new rows while paused, counts them, and shows them on resume', () => {
    const rows = new TrafficRows();
    rows.reset([summary(2), summary(1)]);
    rows.setPaused(true);
    rows.applyLive(live(summary(3), summary(4), summary(3, { status: 503 })), all);
    assert.deepEqual(rows.rows.map((r) => r.id), [2, 1]);
    assert.equal(rows.pendingCount, 2);
    assert.equal(rows.get(3)?.status, 503);
    rows.setPaused(false);
    assert.deepEqual(rows.rows.map((r) => r.id), [4, 3, 2, 1]);
    assert.equal(rows.pendingCount, 0);
  });

  it('applies updates to shown rows even while paused, since they move nothing', () => {
    const rows = new TrafficRows();
    rows.reset([summary(1, { state: 'pending' })]);
    rows.setPaused(true);
    rows.applyLive(live(summary(1, { state: 'complete' })), all);
    assert.equal(rows.pendingCount, 0);
    assert.equal(rows.get(1)?.state, 'complete');
  });

  it('flushes pending rows on demand without resuming', () => {
    const rows = new TrafficRows();
    rows.setPaused(true);
    rows.applyLive(live(summary(5)), all);
    rows.flushPending();
    assert.equal(rows.isPaused, true);
    assert.deepEqual(rows.rows.map((r) => r.id), [5]);
  });

  it('drops rows the filter rejects and removes a shown row an update makes leave the filter', () => {
    const rows = new TrafficRows();
    const onlyErrors = (s: ExchangeSummary) => s.errors.length > 0;
    rows.applyLive(live(summary(1, { errors: ['SE_UNKNOWN_ERROR'] }), summary(2)), onlyErrors);
    assert.deepEqual(rows.rows.map((r) => r.id), [1]);
    rows.applyLive(live(summary(1)), onlyErrors);
    assert.deepEqual(rows.rows, []);
  });

  it('counts live frames into their WebSocket row when no new summary comes with them', () => {
    const rows = new TrafficRows();
    const at = '2025-01-01T12:00:00.000Z';
    rows.applyLive(live(summary(1, { kind: 'ws', state: 'pending', frames: 1, requestSize: 100, responseSize: 98 })), all);
    rows.applyLive({ exchanges: [], frames: [{ exchangeId: 1, frame: frame(1, 'server', at, { size: 40 }) }, { exchangeId: 1, frame: frame(2, 'client', at, { size: 7 }) }] }, all);
    assert.deepEqual([rows.get(1)?.frames, rows.get(1)?.requestSize, rows.get(1)?.responseSize], [3, 107, 138]);
    // A summary in the same batch already counts the batch's frames.
    rows.applyLive({ exchanges: [summary(1, { kind: 'ws', state: 'pending', frames: 4 })], frames: [{ exchangeId: 1, frame: frame(3, 'server', at) }] }, all);
    assert.equal(rows.get(1)?.frames, 4);
  });

  it('counts frames into a row held while paused, and shows its latest state when "N new" is clicked', () => {
    const rows = new TrafficRows();
    rows.reset([summary(1)]);
    rows.setPaused(true);
    const at = '2025-01-01T12:00:00.000Z';
    rows.applyLive(live(summary(2, { kind: 'ws', state: 'pending', frames: 1 })), all);
    rows.applyLive({ exchanges: [], frames: [{ exchangeId: 2, frame: frame(1, 'server', at) }] }, all);
    rows.applyLive(live(summary(2, { kind: 'ws', state: 'complete', frames: 2 })), all);
    rows.flushPending();
    assert.deepEqual([rows.get(2)?.state, rows.get(2)?.frames], ['complete', 2]);
  });

  it('does not let a stored row read at connect take back an end or frames the live row shows', () => {
    const rows = new TrafficRows();
    rows.applyLive(live(summary(3, { kind: 'ws', state: 'complete', frames: 5 }), summary(2, { kind: 'ws', state: 'pending', frames: 4 })), all);
    rows.applyStored([summary(3, { kind: 'ws', state: 'pending', frames: 5 }), summary(2, { kind: 'ws', state: 'pending', frames: 2 }), summary(1)], all);
    assert.deepEqual(rows.rows.map((r) => [r.id, r.state, r.frames]), [[3, 'complete', 5], [2, 'pending', 4], [1, 'complete', 0]]);
    rows.applyStored([summary(2, { kind: 'ws', state: 'complete', frames: 6 })], all);
    assert.equal(rows.get(2)?.state, 'complete');
  });

  it('shows stored rows read at connect at once when paused, unless they are newer than every shown row', () => {
    const rows = new TrafficRows();
    rows.setPaused(true);
    rows.applyStored([summary(5), summary(4)], all);
    assert.deepEqual([rows.rows.map((r) => r.id), rows.pendingCount], [[5, 4], 0], 'an empty list moves nothing');
    rows.applyStored([summary(7), summary(3)], all);
    assert.deepEqual([rows.rows.map((r) => r.id), rows.pendingCount], [[5, 4, 3], 1]);
  });

  it('takes the server\'s answer on changed rows: those it selects join or update, the others leave', () => {
    const rows = new TrafficRows();
    rows.applyStored([summary(5), summary(3), summary(1)], all);
    rows.applyChecked([6, 5, 4, 3], [summary(6), summary(4), summary(3, { status: 500 })]);
    assert.deepEqual(rows.rows.map((r) => [r.id, r.status]), [[6, 200], [4, 200], [3, 500], [1, 200]]);
    rows.setPaused(true);
    rows.applyChecked([7, 6], [summary(7)]);
    assert.deepEqual([rows.rows.map((r) => r.id), rows.pendingCount], [[4, 3, 1], 1], 'a new row waits while paused; one that left goes at once');
    rows.applyChecked([7], []);
    assert.equal(rows.pendingCount, 0);
  });

  it('bumps its version on every change so the view re-renders', () => {
    const rows = new TrafficRows();
    const before = rows.version;
    rows.applyLive(live(summary(1)), all);
    assert.ok(rows.version > before);
  });
});

describe('display list with expanded WebSocket rows', () => {
  const rows = [summary(5), summary(4, { kind: 'ws' }), summary(3), summary(2, { kind: 'ws' }), summary(1)];
  const indexOf = (id: number) => rows.findIndex((r) => r.id === id);
  const at = '2025-01-01T12:00:00.000Z';

  it('lists the frames of an expanded row right below it', () => {
    const expansions = new Map<number, Expansion>([[4, { frames: [frame(0, 'client', at), frame(1, 'server', '2025-01-01T12:00:01.500Z')] }]]);
    const list = new DisplayList(rows, expansions, indexOf);
    assert.equal(list.count, 7);
    const kinds = Array.from({ length: list.count }, (_, i) => {
      const item = list.itemAt(i)!;
      return item.type === 'exchange' ? `x${item.row.id}` : item.type === 'frame' ? `f${item.frame.seq}` : 'note';
    });
    assert.deepEqual(kinds, ['x5', 'x4', 'f0', 'f1', 'x3', 'x2', 'x1']);
    const second = list.itemAt(3);
    assert.equal(second?.type === 'frame' && second.previousAt, at);
    assert.equal(list.displayIndexOfRow(2), 4);
  });

  it('shows one note row while frames load or when loading failed', () => {
    const expansions = new Map<number, Expansion>([
      [4, { frames: null }],
      [2, { frames: null, error: 'Frames did not load: gone.' }],
    ]);
    const list = new DisplayList(rows, expansions, indexOf);
    assert.equal(list.count, 7);
    assert.deepEqual(list.itemAt(2), { type: 'note', exchangeId: 4, text: 'Loading frames…' });
    assert.deepEqual(list.itemAt(5), { type: 'note', exchangeId: 2, text: 'Frames did not load: gone.' });
    assert.equal(list.displayIndexOfRow(4), 6);
    assert.equal(list.itemAt(7), undefined);
  });

  it('steps through exchange and frame rows alike, over notes, for j and k', () => {
    const expansions = new Map<number, Expansion>([
      [4, { frames: [frame(0, 'client', at), frame(1, 'server', at)] }],
      [2, { frames: null }],
    ]);
    const list = new DisplayList(rows, expansions, indexOf);
    const name = (item: ReturnType<DisplayList['step']>) => (item?.type === 'exchange' ? `x${item.row.id}` : item ? `f${item.exchangeId}.${item.frame.seq}` : 'none');
    const down: string[] = [];
    for (let item = list.step(-1, 1); item; item = list.step(item.type === 'exchange' ? list.displayIndexOfRow(item.rowIndex) : list.displayIndexOfFrame(indexOf(item.exchangeId), item.frame.seq), 1)) down.push(name(item));
    assert.deepEqual(down, ['x5', 'x4', 'f4.0', 'f4.1', 'x3', 'x2', 'x1'], 'the note under row 2 is stepped over');
    assert.equal(name(list.step(list.displayIndexOfFrame(1, 0), -1)), 'x4');
    assert.equal(name(list.step(0, -1)), 'none');
    assert.equal(list.displayIndexOfFrame(1, 7), -1);
  });

  it('ignores expansions of rows that are not loaded', () => {
    const list = new DisplayList(rows, new Map([[99, { frames: [] }]]), indexOf);
    assert.equal(list.count, rows.length);
  });
});

describe('hex dump layout', () => {
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i === 16 ? 0x41 : i));

  it('lays out 16 bytes a line with offsets and printable ASCII', () => {
    assert.equal(lineCount(40), 3);
    const [line] = hexLines(bytes, 1, 1);
    assert.equal(line!.offsetText, '00000010');
    assert.equal(line!.cells.length, 16);
    assert.deepEqual(line!.cells[0], { offset: 16, hex: '41', ascii: 'A' });
    assert.equal(line!.cells[1]!.ascii, '·');
  });

  it('computes only the lines asked for and stops at the end', () => {
    const lines = hexLines(bytes, 2, 10);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.cells.length, 8);
    assert.equal(lineOfOffset(33), 2);
  });

  it('tests offsets against a half-open range', () => {
    assert.equal(inRange(4, { start: 4, end: 6 }), true);
    assert.equal(inRange(6, { start: 4, end: 6 }), false);
    assert.equal(inRange(4, null), false);
  });

  it('decodes base64 bodies and sizes them without decoding', () => {
    assert.deepEqual([...base64ToBytes('CgNhYmM=')], [10, 3, 97, 98, 99]);
    assert.equal(base64Length('CgNhYmM='), 5);
    assert.equal(base64Length(''), 0);
  });
});

describe('JSON tree', () => {
  it('opens small messages a few levels deep and keeps bodies over 1 MB closed', () => {
    assert.equal(startsOpen(0, 500, 3), true);
    assert.equal(startsOpen(4, 500, 3), false);
    assert.equal(startsOpen(0, collapseAboveBytes + 1, 3), false);
    assert.equal(startsOpen(1, 500, 5000), false);
  });

  it('previews closed containers and long strings on one line', () => {
    assert.equal(preview([1, 2]), '[2 items]');
    assert.equal(preview({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }), '{ a, b, c, d, … 2 more }');
    assert.equal(preview('x'.repeat(100), 10), `"${'x'.repeat(8)}…`);
  });

  it('lists only the first children of a long array', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => i);
    assert.deepEqual(childrenOf(big, 2), [
      [0, 0],
      [1, 1],
    ]);
  });

  it('copies strings as they are and the rest as indented JSON', () => {
    assert.equal(clipboardText('demo@ca2.example'), 'demo@ca2.example');
    assert.equal(clipboardText({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  });

  it('estimates size and stops counting past the limit', () => {
    assert.ok(approximateSize({ key: 'value' }) >= 12);
    const huge = Array.from({ length: 200_000 }, () => 'abcdefghij');
    assert.ok(approximateSize(huge) > collapseAboveBytes);
  });
});

describe('token timeline', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
  const iso = (ms: number) => new Date(t0 + ms).toISOString();
  const token = { sub: 'usr_1', prefix: 'eyJhbGciOiJI' };

  it('merges overlapping intervals and finds the uncovered stretches', () => {
    assert.deepEqual(mergeIntervals([{ from: 5, to: 8 }, { from: 0, to: 3 }, { from: 2, to: 4 }]), [
      { from: 0, to: 4 },
      { from: 5, to: 8 },
    ]);
    assert.deepEqual(uncovered(0, 10, [{ from: 2, to: 4 }, { from: 3, to: 6 }]), [
      { from: 0, to: 2 },
      { from: 6, to: 10 },
    ]);
    assert.deepEqual(uncovered(0, 10, [{ from: 0, to: 10 }]), []);
    assert.deepEqual(uncovered(0, 10, [{ from: 1, to: 9 }], 1), []);
  });

  it('marks the time between WebSocket connections as events lost and interleaves calls and events', () => {
    const summaries = [
      summary(1, { startedAt: iso(0), durationMs: 10, token }),
      summary(2, { kind: 'ws', status: 101, startedAt: iso(100), durationMs: 1000, token }),
      summary(3, { startedAt: iso(3000), durationMs: 10, errors: ['SE_EXPIRED_TOKEN_ERROR'], token }),
      summary(4, { kind: 'ws', status: 101, startedAt: iso(5000), durationMs: null, state: 'pending', token }),
    ];
    const wsDetails = new Map([
      [2, { frames: [frame(0, 'client', iso(110)), frame(1, 'server', iso(120))], close: { code: 1000, reason: '', by: 'client' as const, at: iso(1100) } }],
      [4, { frames: [frame(0, 'server', iso(6000))], close: null }],
    ]);
    const timeline = buildTokenTimeline({ summaries, wsDetails, now: t0 + 8000 });
    assert.equal(timeline.start, t0);
    assert.equal(timeline.end, t0 + 8000);
    assert.deepEqual(
      timeline.lost.map((g) => [g.from - t0, g.to - t0]),
      [
        [0, 100],
        [1100, 5000],
      ],
    );
    assert.deepEqual(
      timeline.entries.map((e) => `${e.kind}@${e.at - t0}`),
      ['lost@0', 'exec@0', 'ws-open@100', 'ws-event@120', 'ws-close@1100', 'lost@1100', 'exec@3000', 'ws-open@5000', 'ws-event@6000'],
    );
    assert.equal(timeline.connections[1]!.open, true);
    assert.equal(percentAt(t0 + 4000, timeline), 50);
  });

  it('counts an interrupted WebSocket as connected until its last frame, not as still open', () => {
    const summaries = [
      summary(1, { kind: 'ws', status: 101, startedAt: iso(0), durationMs: null, state: 'interrupted', token }),
      summary(2, { startedAt: iso(4000), durationMs: 10, token }),
    ];
    const wsDetails = new Map([[1, { frames: [frame(0, 'client', iso(10)), frame(1, 'server', iso(2500))], close: null }]]);
    const timeline = buildTokenTimeline({ summaries, wsDetails, now: t0 + 60_000 });
    assert.deepEqual(
      timeline.connections.map((c) => [c.from - t0, c.to - t0, c.open]),
      [[0, 2500, false]],
    );
    assert.deepEqual(timeline.lost.map((g) => [g.from - t0, g.to - t0]), [[2500, 4010]]);
  });

  it('does not count a refused upgrade as connected', () => {
    const summaries = [summary(1, { kind: 'ws', status: 401, startedAt: iso(0), durationMs: 50 })];
    const timeline = buildTokenTimeline({ summaries, wsDetails: new Map(), now: t0 + 1000 });
    assert.equal(timeline.connections.length, 0);
    assert.deepEqual(timeline.lost.map((g) => g.to - g.from), [50]);
  });

  it('is empty for a token with no exchanges', () => {
    const timeline = buildTokenTimeline({ summaries: [], wsDetails: new Map(), now: t0 });
    assert.deepEqual(timeline.entries, []);
  });

  it('tells one token of a subject from the others by its expiry, since JWT prefixes are alike', () => {
    const expired = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 100, expired: true };
    const fresh = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 5000 };
    const only = scopeOf(fresh, false);
    assert.deepEqual(only, { value: 'usr_1', token: tokenKey(fresh), origin: tokenKey(fresh) });
    assert.deepEqual(scopeOf(fresh, true), { value: 'usr_1', token: null, origin: tokenKey(fresh) });
    const rows = [summary(1, { token: expired }), summary(2, { token: fresh }), summary(3)];
    assert.deepEqual(rows.filter((s) => inScope(s, only)).map((s) => s.id), [2]);
    assert.deepEqual(rows.filter((s) => inScope(s, scopeOf(fresh, true))).map((s) => s.id), [1, 2, 3]);
  });

  it('shows as "This token" the token of the exchange the subject\'s timeline was opened from, not the newest', () => {
    const older = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 100, expired: true };
    const newest = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 5000 };
    const newestFirst = [summary(3, { token: newest }), summary(2), summary(1, { token: older })];
    assert.equal(thisToken(scopeOf(older, true), newestFirst), tokenKey(older));
    assert.equal(thisToken(scopeOf(newest, false), newestFirst), tokenKey(newest));
    assert.equal(thisToken({ value: 'usr_1', token: null, origin: null }, newestFirst), tokenKey(newest), 'a link that does not say: the newest');
    assert.equal(thisToken({ value: 'usr_1', token: null, origin: null }, [summary(1)]), null);
  });

  it('marks where each of several tokens was first used, and nothing for a single token', () => {
    const old = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 100 };
    const fresh = { sub: 'usr_1', prefix: 'eyJhbGciOiJI', exp: 5000 };
    const summaries = [summary(1, { startedAt: iso(0), token: old }), summary(2, { startedAt: iso(2000), token: fresh }), summary(3, { startedAt: iso(3000), token: old })];
    const timeline = buildTokenTimeline({ summaries, wsDetails: new Map(), now: t0 + 4000 });
    assert.equal(timeline.tokenCount, 2);
    assert.deepEqual(
      timeline.entries.filter((e) => e.kind === 'token' || e.kind === 'exec').map((e) => (e.kind === 'token' ? `token${e.index + 1}/${e.count}@${e.at - t0}` : `exec@${e.at - t0}`)),
      ['token1/2@0', 'exec@0', 'token2/2@2000', 'exec@2000', 'exec@3000'],
    );
    const one = buildTokenTimeline({ summaries: summaries.filter((s) => s.token === old), wsDetails: new Map(), now: t0 + 4000 });
    assert.equal(one.entries.some((e) => e.kind === 'token'), false);
  });

  it('writes the filter for a token value, quoting what needs it', () => {
    assert.equal(tokenFilter('usr_1'), 'token:usr_1');
    assert.equal(tokenFilter('a b'), 'token:"a b"');
  });
});

describe('filter editing', () => {
  const keys = [
    { key: 'service', description: 'service called' },
    { key: 'status', description: 'HTTP status', values: ['2xx', '5xx'] },
    { key: 'kind', description: 'kind', values: ['exec', 'ws', 'http'] },
  ];
  const seen = new SeenValues();
  seen.addSummary(summary(1, { service: 'billing' }));
  seen.addSummary(summary(2, { service: 'billing' }));
  seen.addSummary(summary(3, { service: 'auth' }));
  const values = (key: string, prefix: string) => seen.values(key, prefix);

  it('finds the word under the caret, its key and a negation', () => {
    assert.deepEqual(wordAtCaret('kind:ws -serv', 13), { start: 8, end: 13, negated: true, key: null, partial: 'serv' });
    assert.deepEqual(wordAtCaret('(service:bi', 11), { start: 1, end: 11, negated: false, key: 'service', partial: 'bi' });
  });

  it('suggests keys for a bare word and values seen for a key, most frequent first', () => {
    assert.deepEqual(suggest('s', 1, keys, values).map((s) => s.label), ['service:', 'status:']);
    assert.deepEqual(suggest('service:', 8, keys, values).map((s) => s.label), ['billing', 'auth']);
    assert.deepEqual(suggest('status:5', 8, keys, values).map((s) => s.label), ['5xx']);
    assert.deepEqual(suggest('x or', 4, keys, values), []);
  });

  it('replaces the word with the suggestion and moves the caret after it', () => {
    const [key] = suggest('kind:ws ser', 11, keys, values);
    assert.deepEqual(applySuggestion('kind:ws ser', 11, key!), { text: 'kind:ws service:', caret: 16 });
    const [value] = suggest('-service:a', 10, keys, values);
    assert.deepEqual(applySuggestion('-service:a', 10, value!), { text: '-service:auth ', caret: 14 });
  });

  it('toggles one top-level term', () => {
    assert.equal(toggleTerm('service:auth', 'error:any'), 'service:auth error:any');
    assert.equal(toggleTerm('service:auth error:any', 'error:any'), 'service:auth');
    assert.equal(hasTerm('a  kind:ws ', 'kind:ws'), true);
    assert.equal(hasTerm('kind:wss', 'kind:ws'), false);
  });

  it('puts a filter with a top-level or in parentheses before adding a toggle\'s term, and gives the text back when it goes off', () => {
    const typed = 'service:auth or service:billing';
    const errorsOnly = toggleTerm(typed, 'error:any');
    assert.equal(errorsOnly, '(service:auth or service:billing) error:any');
    assert.equal(hasTerm(errorsOnly, 'error:any'), true);
    const compiled = compileLiveFilter(errorsOnly);
    assert.ok(compiled.ok);
    const withErrors = { errors: ['SE_UNKNOWN_ERROR'] };
    assert.deepEqual(
      [summary(1, { service: 'auth' }), summary(2, { service: 'billing' }), summary(3, { service: 'auth', ...withErrors }), summary(4, { service: 'billing', ...withErrors }), summary(5, { service: 'instances', ...withErrors })].map(compiled.matches),
      [false, false, true, true, false],
    );
    assert.equal(toggleTerm(errorsOnly, 'error:any'), typed);
    const withExec = toggleKind(errorsOnly, 'exec');
    assert.equal(withExec, '(service:auth or service:billing) error:any kind:exec');
    assert.equal(toggleKind(toggleTerm(withExec, 'error:any'), 'exec'), typed);
    assert.equal(toggleKind(typed, 'ws'), '(service:auth or service:billing) kind:ws');
    assert.equal(toggleKind(toggleKind(typed, 'ws'), 'ws'), typed);
  });

  it('reads only terms the whole filter requires as a toggle that is on', () => {
    assert.equal(hasTerm('service:auth or error:any', 'error:any'), false);
    assert.equal(hasTerm('not error:any', 'error:any'), false);
    assert.equal(hasTerm('- error:any', 'error:any'), false);
    assert.equal(hasTerm('path:"a error:any" (x or error:any)', 'error:any'), false);
    assert.equal(toggleTerm('service:auth or error:any', 'error:any'), '(service:auth or error:any) error:any');
    assert.equal(toggleTerm('not error:any', 'error:any'), 'not error:any error:any');
    assert.equal(toggleTerm('service:auth and error:any', 'error:any'), 'service:auth');
    assert.equal(toggleTerm('error:any AND service:auth', 'error:any'), 'service:auth');
    assert.equal(toggleTerm('(a b)', 'error:any'), '(a b) error:any');
    assert.equal(toggleTerm('(a b) error:any', 'error:any'), '(a b)', 'a group without or is the user\'s own');
    assert.equal(toggleTerm('(kind:exec or kind:ws) error:any', 'error:any'), '(kind:exec or kind:ws)', 'the kinds\' group stays one for their toggles');
    assert.equal(toggleTerm('path:"a b" (x', 'error:any'), 'path:"a b" (x error:any', 'an unclosed group is left as it is');
  });

  it('turns the exec and ws toggles on and off independently, both on meaning both kinds', () => {
    const both = toggleKind('service:auth kind:exec', 'ws');
    assert.equal(both, 'service:auth (kind:exec or kind:ws)');
    assert.deepEqual([...kindsOn(both)].sort(), ['exec', 'ws']);
    const matches = compileLiveFilter(both);
    assert.ok(matches.ok);
    assert.deepEqual(['exec', 'ws', 'http'].map((kind) => matches.matches(summary(1, { kind: kind as ExchangeSummary['kind'] }))), [true, true, false]);
    assert.equal(toggleKind(both, 'exec'), 'service:auth kind:ws');
    assert.equal(toggleKind('service:auth kind:ws', 'ws'), 'service:auth');
    assert.equal(toggleKind('kind:http error:any', 'exec'), 'error:any kind:exec', 'kind:http would leave nothing to show');
    assert.deepEqual([...kindsOn('(kind:ws or kind:exec)')].sort(), ['exec', 'ws']);
    assert.deepEqual([...kindsOn('kind:wss')], []);
  });

  it('collects values from summaries including errors and token subjects', () => {
    const own = new SeenValues();
    own.addSummary(summary(1, { errors: ['SE_EXPIRED_TOKEN_ERROR'], token: { sub: 'usr_9', prefix: 'eyJ' }, status: 401 }));
    assert.deepEqual(own.values('error'), ['SE_EXPIRED_TOKEN_ERROR']);
    assert.deepEqual(own.values('token', 'USR'), ['usr_9']);
    assert.deepEqual(own.values('status'), ['401']);
  });

  it('offers the names of the rules that changed rows, quoted when they hold spaces', () => {
    const own = new SeenValues();
    own.addSummary(summary(1, { rules: ['billing is rate limited', 'slow'] }));
    assert.deepEqual(own.values('rule').sort(), ['billing is rate limited', 'slow']);
    const ruleKey = filterKeyHelp.find((k) => k.key === 'rule')!;
    assert.deepEqual(suggest('rule:bi', 7, [ruleKey], (key, prefix) => own.values(key, prefix)).map((s) => s.insert), ['rule:"billing is rate limited"']);
  });
});

describe('URL state', () => {
  it('reads the filter, the open exchange and the timeline from the query', () => {
    assert.deepEqual(readUrlState('?filter=service%3Aauth+status%3A5xx&open=42&timeline=usr_1&timelineToken=1700000000%3AeyJ'), {
      filter: 'service:auth status:5xx',
      open: 42,
      timeline: 'usr_1',
      timelineToken: '1700000000:eyJ',
      timelineFrom: null,
    });
    assert.deepEqual(readUrlState('?open=abc&timelineToken=x&timelineFrom=y'), { filter: '', open: null, timeline: null, timelineToken: null, timelineFrom: null });
    assert.equal(readUrlState('?timeline=usr_1&timelineFrom=100%3AeyJ').timelineFrom, '100:eyJ');
  });

  it('writes the state back and keeps other parameters', () => {
    assert.equal(writeUrlState('?x=1&open=3', { filter: 'kind:ws', open: null, timeline: null, timelineToken: null, timelineFrom: null }), '?x=1&filter=kind%3Aws');
    assert.equal(writeUrlState('?filter=a&timelineToken=x', { filter: ' ', open: null, timeline: null, timelineToken: 'x', timelineFrom: 'x' }), '');
    assert.equal(writeUrlState('', { filter: '', open: null, timeline: 'usr_1', timelineToken: ':eyJ', timelineFrom: ':eyJ' }), '?timeline=usr_1&timelineToken=%3AeyJ');
    assert.equal(writeUrlState('', { filter: '', open: null, timeline: 'usr_1', timelineToken: null, timelineFrom: ':eyJ' }), '?timeline=usr_1&timelineFrom=%3AeyJ');
  });

  it('takes the UI token out of the query string', () => {
    assert.deepEqual(takeToken('?token=abc&filter=x'), { token: 'abc', search: '?filter=x' });
    assert.deepEqual(takeToken('?filter=x'), { token: null, search: '?filter=x' });
  });
});

describe('formatting and frames', () => {
  it('puts a count\'s noun in the singular for one and the plural otherwise', () => {
    assert.equal(countOf(1, 'frame'), '1 frame');
    assert.deepEqual([countOf(0, 'frame'), countOf(3, 'frame'), countOf(1204, 'row')], ['0 frames', '3 frames', '1,204 rows']);
    assert.deepEqual([countOf(1, 'stretch', 'stretches'), countOf(2, 'stretch', 'stretches')], ['1 stretch', '2 stretches']);
  });

  it('formats sizes and durations compactly', () => {
    assert.equal(formatSize(912), '912 B');
    assert.equal(formatSize(1434), '1.4 KB');
    assert.equal(formatSize(12 * 1024 * 1024), '12 MB');
    assert.equal(formatDuration(null), '');
    assert.equal(formatDuration(0.42), '0.4 ms');
    assert.equal(formatDuration(1240), '1.24 s');
    assert.equal(formatDuration(125_000), '2 m 05 s');
  });

  it('gives negative durations and offsets their sign, and nothing for an unknown or infinite one', () => {
    assert.equal(formatDuration(-12), '−12 ms');
    assert.equal(formatDuration(-1240), '−1.24 s');
    assert.deepEqual([-Infinity, Infinity, NaN].map(formatDuration), ['', '', '']);
    assert.equal(formatOffset(-1204), '−1.20 s');
    assert.equal(formatOffset(1204), '+1.20 s');
    assert.deepEqual([-Infinity, NaN].map(formatOffset), ['', '']);
    assert.equal(formatRelative(0, 2 * 3_600_000), '2 h 00 m ago');
    assert.equal(formatRelative(Infinity, 0), '');
  });

  it('reads long durations in days and years, and an absurd one as over a million years', () => {
    const day = 86_400_000;
    assert.equal(formatDuration(3 * 3_600_000 + 2 * 60_000), '3 h 02 m');
    assert.equal(formatDuration(4 * day + 7 * 3_600_000), '4 d 07 h');
    assert.equal(formatDuration(12 * 365.25 * day + 104 * day), '12 y 104 d');
    assert.equal(formatDuration(1e303), 'over 1,000,000 y');
    assert.equal(formatRelative(1e303, 0), 'in over 1,000,000 y');
  });

  it('gives nothing for a size no file can have, and counts terabytes', () => {
    assert.deepEqual([-1, NaN, Infinity, -Infinity].map(formatSize), ['', '', '', '']);
    assert.equal(formatSize(5 * 1024 ** 4), '5.0 TB');
    assert.equal(formatSize(3e18), '2,728,484 TB');
  });

  it('writes far-future and ancient dates whole, and says when a date is past what one can hold', () => {
    const at = (year: number, month: number, day: number) => {
      const date = new Date(2000, 0, 1);
      date.setFullYear(year, month, day);
      return date.getTime();
    };
    assert.equal(formatDateTime(at(2024, 4, 1) + 3_723_000), '2024-05-01 01:02:03');
    assert.equal(formatDateTime(at(12000, 0, 13)), '12000-01-13 00:00:00');
    assert.equal(formatDateTime(at(-44, 2, 15)), '−0044-03-15 00:00:00');
    assert.equal(formatDateTime(1e300), 'after the year 275760');
    assert.equal(formatDateTime(Infinity), 'after the year 275760');
    assert.equal(formatDateTime(-1e300), 'before the year −271821');
    assert.equal(formatDateTime(NaN), '');
    assert.equal(formatClock(new Date(at(12000, 0, 13) + 1_234).toISOString()), '00:00:01.234');
    assert.deepEqual([formatClock('not a time'), formatClock(Infinity), formatClock(-Infinity)], ['', '', '']);
  });

  it('summarises frames by their decoded service, errors or role', () => {
    const decoded = (json: object, service?: string, errors: string[] = []) => ({ json: json as never, summary: { service, errors }, problems: [] });
    assert.equal(frameSummary(frame(1, 'server', '', { decoded: decoded({}) })), 'empty WsEvent (authenticated)');
    assert.equal(frameSummary(frame(1, 'server', '', { decoded: decoded({ errors: [] }, undefined, ['SE_EXPIRED_TOKEN_ERROR']) })), 'SE_EXPIRED_TOKEN_ERROR');
    assert.equal(frameSummary(frame(1, 'server', '', { decoded: decoded({ billing: {} }, 'billing') })), 'billing');
    assert.equal(frameSummary(frame(1, 'client', '', { opcode: 9 })), 'ping');
    assert.equal(closeSummary({ code: 4001, reason: 'expired', by: 'server', at: '' }), 'closed by the server, code 4001: “expired”');
  });

  it('merges live frames into loaded ones without duplicates, in seq order', () => {
    const merged = mergeFrames([frame(0, 'client', ''), frame(2, 'server', '')], [frame(2, 'server', ''), frame(1, 'server', '')]);
    assert.deepEqual(merged.map((f) => f.seq), [0, 1, 2]);
  });
});

describe('live filter', () => {
  it('evaluates the shared filter language on live summaries', () => {
    const compiled = compileLiveFilter('service:billing status:5xx');
    assert.equal(compiled.ok, true);
    if (!compiled.ok) return;
    assert.equal(compiled.matches(summary(1, { service: 'billing', status: 503 })), true);
    assert.equal(compiled.matches(summary(2, { service: 'billing', status: 200 })), false);
  });

  it('reports a malformed filter with its position and without the "at N:" prefix', () => {
    const compiled = compileLiveFilter('status:');
    assert.equal(compiled.ok, false);
    if (compiled.ok) return;
    assert.equal(compiled.problem.position, 7);
    assert.doesNotMatch(compiled.problem.message, /^at \d+/);
    assert.deepEqual(serverFilterProblem('at 7: expected a value after "status:"', 7), { message: 'expected a value after "status:"', position: 7 });
  });

  it('offers every key of the language to autocomplete', () => {
    assert.ok(filterKeyHelp.some((k) => k.key === 'token'));
    assert.ok(filterKeyHelp.find((k) => k.key === 'kind')?.values?.includes('ws'));
  });
});

describe('the resend editor and comparison', () => {
  it('checks the edited request as it is typed', () => {
    assert.deepEqual(parseEdited('{"auth": {}}'), { ok: true, value: { auth: {} } });
    const broken = parseEdited('{"auth": ');
    assert.equal(broken.ok, false);
    assert.match((broken as { error: string }).error, /^Not JSON yet: /);
    assert.deepEqual(parseEdited('[1]'), { ok: false, error: 'The request must be a JSON object: the decoded ClientRequest.' });
  });

  it('asks the server about a JSON object only, and lets the action go once it fits or cannot be checked', () => {
    const edited = parseEdited('{"trx": "AA=="}');
    const broken = parseEdited('{"trx": ');
    assert.deepEqual(checkRequestOf(edited, 'ClientRequest', 'CgE='), { type: 'ClientRequest', json: { trx: 'AA==' }, base64: 'CgE=' });
    assert.deepEqual(checkRequestOf(edited, 'WsEvent'), { type: 'WsEvent', json: { trx: 'AA==' } });
    assert.equal(checkRequestOf(broken, 'ClientRequest'), null);

    const fits = schemaCheckOf('ServerResponse', { ok: true, bytes: 1 });
    const unfit = schemaCheckOf('ServerResponse', { ok: false, error: 'The message does not fit ServerResponse: errors[0]: "X" is not a value of this enum.' });
    const unchecked = { state: 'unchecked', error: 'The inspector server did not answer: is the proxy still running?' } as const;
    assert.deepEqual(
      [null, { state: 'checking' } as const, fits, unfit, unchecked].map((check) => [editorAllows(edited, check), editorStatus(edited, check)]),
      [
        [true, null],
        [false, { state: 'checking', text: 'Checking against the schema…' }],
        [true, { state: 'fits', text: 'Fits ServerResponse: 1 byte.' }],
        [false, { state: 'unfit', text: 'The message does not fit ServerResponse: errors[0]: "X" is not a value of this enum.' }],
        [true, { state: 'unchecked', text: 'Not checked against the schema: The inspector server did not answer: is the proxy still running? Sending says whether it fits.' }],
      ],
    );
    assert.equal(editorAllows(broken, fits), false, 'not JSON, whatever an older check said');
    assert.equal(editorStatus(broken, fits)?.state, 'syntax');
  });

  it('reads a JWT expiry and says whether it has passed, and nothing for other tokens', () => {
    const token = (exp: number) => `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ sub: 'u', exp })).replace(/=+$/, '')}.sig`;
    assert.deepEqual(tokenExpiry(token(1000), 2_000_000), { exp: 1000, expired: true });
    assert.deepEqual(tokenExpiry(token(3000), 2_000_000), { exp: 3000, expired: false });
    assert.equal(tokenExpiry('opaque-token', 0), null);
  });

  it('marks the differing paths and shows absent sides as (none)', () => {
    const marks = diffMarks([{ path: 'a.b[1]', change: 'changed', before: 1, after: 2 }, { path: 'c', change: 'added', before: null, after: 'x' }]);
    assert.equal(marks.get('a.b[1]'), 'changed');
    assert.equal(marks.get('c'), 'added');
    assert.equal(diffValue(null, false), '(none)');
    assert.match(diffValue('x'.repeat(100), true), /^"x{76}…$/);
  });
});

describe('the display index of an exchange or of one of its frames', () => {
  const rows = [summary(3), summary(2, { kind: 'ws' }), summary(1)];
  const at = '2025-01-01T12:00:00.000Z';
  const list = new DisplayList(rows, new Map([[2, { frames: [frame(0, 'client', at), frame(4, 'server', at)] }]]), (id) => rows.findIndex((r) => r.id === id));

  it('finds a row by its exchange id and a frame row by its seq, and -1 for what is not listed', () => {
    assert.equal(list.displayIndexOf(3, null), 0);
    assert.equal(list.displayIndexOf(2, 4), 3);
    assert.equal(list.displayIndexOf(1, null), 4);
    assert.equal(list.displayIndexOf(2, 9), -1);
    assert.equal(list.displayIndexOf(1, 0), -1);
    assert.equal(list.displayIndexOf(99, null), -1);
  });
});

describe('live frames by exchange', () => {
  it('groups a batch\'s frames by exchange, each in the order recorded', () => {
    const at = '2025-01-01T12:00:00.000Z';
    const byExchange = framesByExchange([
      { exchangeId: 7, frame: frame(3, 'client', at) },
      { exchangeId: 8, frame: frame(0, 'server', at) },
      { exchangeId: 7, frame: frame(4, 'server', at) },
    ]);
    assert.deepEqual([...byExchange.keys()], [7, 8]);
    assert.deepEqual(byExchange.get(7)!.map((f) => f.seq), [3, 4]);
    assert.equal(framesByExchange([]).size, 0);
  });
});

describe('live listeners', () => {
  it('calls the listeners of an event with its arguments, and stops once one is taken away', () => {
    const listeners = new LiveListeners();
    const heard: string[] = [];
    const stop = listeners.on('batch', (batch) => heard.push(`a${batch.exchanges.length}`));
    listeners.on('batch', () => heard.push('b'));
    listeners.on('connected', () => heard.push('connected'));
    listeners.emit('batch', live(summary(1), summary(2)));
    stop();
    listeners.emit('batch', live());
    listeners.emit('connected');
    assert.deepEqual(heard, ['a2', 'b', 'b', 'connected']);
  });

  it('calls a function added twice twice, and takes away one of its adds at a time', () => {
    const listeners = new LiveListeners();
    let calls = 0;
    const listener = () => calls++;
    const first = listeners.on('connected', listener);
    listeners.on('connected', listener);
    listeners.emit('connected');
    first();
    first();
    listeners.emit('connected');
    assert.equal(calls, 3);
  });

  it('finishes an event for every listener when one takes itself away while it is heard', () => {
    const listeners = new LiveListeners();
    const heard: string[] = [];
    const stop = listeners.on('connected', () => {
      heard.push('once');
      stop();
    });
    listeners.on('connected', () => heard.push('always'));
    listeners.emit('connected');
    listeners.emit('connected');
    assert.deepEqual(heard, ['once', 'always', 'always']);
  });
});

describe('keyboard shortcuts', () => {
  it('maps each key to one action, and none to a key that is no shortcut', () => {
    assert.equal(shortcutAction('j'), 'next');
    assert.equal(shortcutAction('ArrowDown'), 'next');
    assert.equal(shortcutAction('Escape'), 'close');
    assert.equal(shortcutAction('?'), 'help');
    assert.equal(shortcutAction('x'), null);
    assert.equal(shortcutAction('J'), null);
    const keys = shortcuts.flatMap((s) => s.keys);
    assert.equal(new Set(keys).size, keys.length, 'no key does two things');
    assert.equal(new Set(shortcuts.map((s) => s.action)).size, shortcuts.length, 'each action is listed once');
    for (const shortcut of shortcuts) assert.equal(shortcut.keys.length, shortcut.shown.length, shortcut.action);
  });
});

describe('live checks for filters the summaries cannot answer', () => {
  function setup() {
    const asked: { ids: number[]; answer: (items: ExchangeSummary[]) => void; refuse: (err: Error) => void }[] = [];
    const answers: CheckAnswer[] = [];
    const failures: unknown[] = [];
    const checks = new LiveChecks(
      (ids) => new Promise((answer, refuse) => asked.push({ ids, answer, refuse })),
      (answer) => answers.push(answer),
      (err) => failures.push(err),
    );
    return { checks, asked, answers, failures };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('asks about the exchanges a batch changed, its frames\' too, one question at a time', async () => {
    const { checks, asked, answers } = setup();
    checks.add({ exchanges: [summary(3)], frames: [{ exchangeId: 2, frame: frame(0, 'server', '') }] });
    checks.add(live(summary(4)));
    checks.add(live(summary(3), summary(5)));
    assert.deepEqual(asked.map((q) => q.ids), [[3, 2]], 'the later ids wait for the answer');
    asked[0]!.answer([summary(3)]);
    await settle();
    assert.deepEqual(answers, [{ ids: [3, 2], matching: [summary(3)] }]);
    assert.deepEqual(asked.map((q) => q.ids), [[3, 2], [4, 3, 5]], 'what changed meanwhile goes in one question, 3 again since it changed after it was asked about');
  });

  it('asks at most a page of ids at once', () => {
    const { checks, asked } = setup();
    checks.add(live(...Array.from({ length: maxIdsPerCheck + 5 }, (_, i) => summary(i + 1))));
    assert.equal(asked[0]!.ids.length, maxIdsPerCheck);
  });

  it('drops the answer for a filter that changed meanwhile, and what waited for it', async () => {
    const { checks, asked, answers } = setup();
    checks.add(live(summary(1)));
    checks.add(live(summary(2)));
    checks.reset();
    asked[0]!.answer([summary(1)]);
    await settle();
    assert.deepEqual([answers, asked.length], [[], 1]);
  });

  it('asks again about a failed question with the next batch, not at once', async () => {
    const { checks, asked, failures } = setup();
    checks.add(live(summary(1)));
    asked[0]!.refuse(new Error('gone'));
    await settle();
    assert.deepEqual([failures.length, asked.length], [1, 1]);
    checks.add(live(summary(2)));
    assert.deepEqual(asked[1]!.ids, [1, 2]);
  });

  it('is needed exactly for filters with field: terms', () => {
    const needs = (text: string) => {
      const compiled = compileLiveFilter(text);
      assert.ok(compiled.ok);
      return compiled.needsServer;
    };
    assert.equal(needs('service:auth error:any'), false);
    assert.equal(needs('service:auth (status:5xx or -field:errors)'), true);
  });
});
