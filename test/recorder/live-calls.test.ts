// The live view of journaled calls, over the real ring, recorder, journal and SQLite file:
// while someone watches, calls are journaled all the same, the watchers are told of each
// exchange as it is journaled, in order, with the summary its row gets later, and reads
// before those rows exist answer as they do after.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '../../proto/codec.ts';
import { LiveBatchBuilder } from '../../model/live-batch.ts';
import type { ExchangeSummary } from '../../model/types.ts';
import type { RecorderListener } from '../../model/recorder-listener.ts';
import { exec, frame, journalRun, ws } from '../../support/journal-run.ts';
import { journalTraffic } from '../../support/journal-traffic.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-live-calls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec();
let files = 0;

const run = () => journalRun(join(dir, `l${++files}.sqlite`), codec);

/** A watcher as the live stream is one: what it is told, gathered into one batch as the browser gathers them. */
function watcher(watching: { now: boolean }) {
  const batch = new LiveBatchBuilder();
  /** Each exchange id in the order it was first told. */
  const order: number[] = [];
  const told = new Set<number>();
  const frames: [exchangeId: number, seq: number][] = [];
  const listener: RecorderListener = {
    listening: () => watching.now,
    exchange(summary) {
      if (!told.has(summary.id)) order.push(summary.id);
      told.add(summary.id);
      batch.exchange(summary);
    },
    frame(exchangeId, f) {
      frames.push([exchangeId, f.seq]);
      batch.frame({ exchangeId, frame: f });
    },
  };
  return { listener, order, frames, latest: () => new Map(batch.take().exchanges.map((s) => [s.id, s])) };
}

/** Every exchange the store lists, oldest first. */
const listed = (r: ReturnType<typeof run>): ExchangeSummary[] => r.store.listExchanges({ limit: 1000 }).items.reverse();

describe('the live view of journaled calls', () => {
  test('a watched burst is journaled, told in order with the summaries its rows get later, and read before its rows exist as after', { timeout: 60_000 }, async () => {
    const r = run();
    const w = watcher({ now: true });
    r.recorder.addListener(w.listener);
    // A WebSocket made into rows before the burst, so it goes on from its row.
    r.writer.exchangeEnded(ws(1000), 'with');
    r.writer.wsFrame(frame(1000, 0));
    r.pump();
    r.journal.expandAll();
    journalTraffic(r.writer, { exchanges: 60, openWebSocket: 1000 });
    r.pump();
    r.store.flush();
    assert.equal(r.rows().exchanges.length, 1, 'no row yet for the burst');
    assert.ok(r.rows().journaled > 20, 'the burst waits in the journal');

    const ids = w.order;
    assert.equal(ids.length, 64, 'every exchange told: the WebSocket from before, 60 calls, the long one, the one still running and the WebSocket begun in the burst');
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'told in the order the calls were tapped');
    const before = listed(r);
    const sockets = before.filter((s) => s.kind === 'ws').map((s) => s.id);
    assert.equal(sockets.length, 2);
    assert.ok(w.frames.length > 10 && w.frames.every(([id]) => sockets.includes(id)), 'frames told under their WebSockets');
    const details = new Map(ids.map((id) => [id, r.store.getExchange(id)]));
    const told = w.latest();
    assert.deepEqual(before.map((s) => s.id), ids, 'the list holds every journaled exchange');

    await r.store.whenStored();
    r.store.flush();
    assert.equal(r.rows().journaled, 0);
    assert.equal(r.rows().exchanges.length, 64);
    const after = listed(r);
    assert.deepEqual(before, after, 'the list read from the journal is the list of the rows');
    for (const summary of after) assert.deepEqual(told.get(summary.id), summary, `exchange ${summary.id}: the summary told is its row's`);
    for (const [id, detail] of details) assert.deepEqual(detail, r.store.getExchange(id), `exchange ${id}: its detail read from the journal is its row's`);
    assert.equal(w.latest().size, 0, 'making the rows told the watcher nothing more');
    r.close();
  });

  test('watching that begins mid-burst takes up the flows open then, and tells their ends and frames with the summaries their rows get', { timeout: 60_000 }, async () => {
    const r = run();
    const watching = { now: false };
    const w = watcher(watching);
    r.recorder.addListener(w.listener);
    // One WebSocket made into rows before the journal, one begun in it, and a long call started in it: open as watching begins.
    r.writer.exchangeEnded(ws(1), 'with');
    r.writer.wsFrame(frame(1, 0));
    r.pump();
    r.journal.expandAll();
    r.writer.wsFrame(frame(1, 1));
    r.writer.exchangeEnded(exec(2), 'with');
    r.writer.exchangeEnded(ws(3), 'with');
    for (let seq = 0; seq < 4; seq++) r.writer.wsFrame(frame(3, seq));
    r.writer.requestStarted(exec(4));
    r.pump();
    assert.deepEqual(w.order, [], 'nobody was told while nobody watched');

    watching.now = true;
    r.writer.wsFrame(frame(1, 2));
    r.writer.wsFrame(frame(3, 4));
    r.writer.exchangeEnded(exec(4), 'with');
    r.writer.exchangeEnded(exec(5), 'with');
    r.writer.wsClosed({ ...ws(3), endedAt: 1_800_000_002_000 }, { flowId: 3, code: 1000, reason: 'bye', by: 'server', at: 1_800_000_002_000 });
    r.pump();
    r.store.flush();
    assert.equal(r.rows().exchanges.length, 1, 'only the first WebSocket has a row yet');
    assert.deepEqual(w.frames, [[1, 2], [3, 4]], 'frames told under the ids their exchanges have');
    const told = w.latest();

    await r.store.whenStored();
    r.store.flush();
    const rows = new Map(listed(r).map((s) => [s.id, s]));
    for (const id of [3, 4, 5]) assert.ok(told.has(id), `the end of exchange ${id} told`);
    for (const [id, summary] of told) assert.deepEqual(summary, rows.get(id), `exchange ${id}: the summary told is its row's, every frame counted`);
    assert.equal(rows.get(3)!.frames, 5);
    r.close();
  });
});
