// The tap journal over the real ring, recorder and a real SQLite file: calls kept raw
// (watched or not) become the same rows they would have made at once, in order,
// when idle, before any read, and after a run that died.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCodec } from '../../proto/codec.ts';
import { TAP_CALL_VERSION } from '../../recorder/tap-codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { recoverOrphanedJournal, type TapJournalOptions } from '../../recorder/tap-journal.ts';
import { StorageError, Store } from '../../storage/store.ts';
import { startInspectorServer } from '../../inspector/server/app.ts';
import { openForReading } from '../../capture/sources.ts';
import { examine } from '../../storage/file-check.ts';
import { everything, exec, frame, journalRun, otherVersion, ws } from '../../support/journal-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec();
let files = 0;

/** The worker's side of a proxy run over a fresh file. */
const run = (file = join(dir, `j${++files}.sqlite`), options: Partial<TapJournalOptions> = {}) => journalRun(file, codec, options);

describe('tap journal', () => {
  test('calls are kept raw; a read finds them in the journal under the ids they will have, and has them made into rows, in order', async () => {
    const r = run();
    for (let id = 1; id <= 10; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    r.store.flush();
    assert.equal(r.rows().exchanges.length, 0, 'no exchange row yet');
    assert.equal(r.store.stats().journaled, 10);

    const page = r.store.listExchanges({ filter: 'trx:trx-0003' });
    assert.deepEqual(page.items.map((s) => [s.id, s.trx]), [[3, 'trx-0003']], 'the read found the journaled call');
    assert.equal(page.journaled, undefined, 'a page that holds the journaled exchanges says nothing of the journal');
    await r.store.whenStored();
    r.store.flush();
    const { exchanges, journaled } = r.rows();
    assert.deepEqual(exchanges.map((e) => e.trx), Array.from({ length: 10 }, (_, i) => `trx-${String(i + 1).padStart(4, '0')}`), 'ids in the order the calls were tapped');
    assert.equal(journaled, 0, 'the journal rows went in the same transactions');
    assert.equal(r.store.stats().journaled, 0);

    // Emptied and filled again: the new rows are not mistaken for ones already made.
    for (let id = 11; id <= 13; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    assert.deepEqual(r.store.listExchanges().items.map((s) => s.id), Array.from({ length: 13 }, (_, i) => 13 - i));
    await r.store.whenStored();
    r.store.flush();
    assert.equal(r.rows().journaled, 0);
    assert.deepEqual(r.rows().exchanges.map((e) => [e.id, e.trx]), Array.from({ length: 13 }, (_, i) => [i + 1, `trx-${String(i + 1).padStart(4, '0')}`]));
    r.close();
  });

  test('under load with nobody watching, the journal is made into rows as it grows past its cap', () => {
    const r = run(undefined, { maxJournaled: 5 });
    for (let id = 1; id <= 40; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    r.store.flush();
    const { exchanges } = r.rows();
    assert.ok(exchanges.length >= 30, `${exchanges.length} of 40 already rows`);
    assert.ok(r.store.stats().journaled <= 10);
    r.close();
  });

  test('a read is answered from the journal at once while it is made into rows in the background, and calls tapped meanwhile keep their order', { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const r = run(undefined, { readWaitCalls: 5, log: (line) => lines.push(line) });
    for (let id = 1; id <= 30; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    const page = r.store.listExchanges();
    assert.ok(r.store.stats().journaled > 0, 'nothing was made into rows before the read answered');
    assert.deepEqual(page.items.map((s) => [s.id, s.trx]), Array.from({ length: 30 }, (_, i) => [30 - i, `trx-${String(30 - i).padStart(4, '0')}`]), 'every exchange, newest first');
    assert.equal(page.journaled, undefined);
    // Traffic goes on while the rows are made: it joins the journal behind the older calls.
    for (let id = 31; id <= 36; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    await r.store.whenStored();
    assert.equal(r.store.stats().journaled, 0);
    assert.equal(r.store.listExchanges().journaled, undefined, 'once stored, pages say nothing of it');
    assert.deepEqual(r.rows().exchanges.map((e) => e.trx), Array.from({ length: 36 }, (_, i) => `trx-${String(i + 1).padStart(4, '0')}`));
    assert.match(lines[0]!, /^recording: storing \d+ tap calls journaled under load, in the background; \/api\/stats counts what is left \(journaled\)\.$/);
    assert.match(lines.at(-1)!, /^recording: the \d+ tap calls journaled under load are stored\.$/);
    r.close();

    // Row for row what a read that waited for everything would have stored.
    const waited = run();
    for (let id = 1; id <= 36; id++) waited.writer.exchangeEnded(exec(id), 'with');
    waited.pump();
    waited.store.listExchanges();
    waited.close();
    assert.deepEqual(everything(r.file), everything(waited.file));
  });

  test('a read under heavy traffic is answered from the journal in place and leaves the rows for a pause; an export waiting for them still has them made', { timeout: 30_000 }, async () => {
    const r = run();
    // Over a thousand calls within a second, with no pause (the run's tap is never quiet long enough).
    for (let id = 1; id <= 1_500; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump({ journalRowCalls: 16 });
    const page = r.store.listExchanges();
    assert.deepEqual(page.items.slice(0, 2).map((s) => s.trx), ['trx-1500', 'trx-1499'], 'answered from the journal');
    // Turns of making rows, were any scheduled, would run in these.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(r.store.stats().journaled, 1_500, 'no rows made for the read');
    await r.store.whenStored();
    assert.equal(r.store.stats().journaled, 0, 'made for the export');
    assert.equal(r.rows().exchanges.length, 1_500);
    r.close();
  });

  test('a reader waits for what was journaled when it asked, not for traffic that keeps coming after', { timeout: 60_000 }, async () => {
    const r = run(undefined, { readWaitCalls: 5 });
    for (let id = 1; id <= 30; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    let answered = false;
    void r.store.whenStored().then(() => (answered = true));
    // Calls arrive faster than they are made into rows: the journal never empties.
    let id = 30;
    for (let turn = 0; turn < 200 && !answered; turn++) {
      for (let i = 0; i < 300; i++) r.writer.exchangeEnded(exec(++id), 'with');
      r.pump();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(answered, 'the reader was answered');
    assert.ok(r.store.stats().journaled > 0, 'while later calls were still journaled');
    assert.deepEqual(r.rows().exchanges.slice(0, 30).map((e) => e.trx), Array.from({ length: 30 }, (_, i) => `trx-${String(i + 1).padStart(4, '0')}`), 'with every call journaled before it asked stored');
    r.close();
  });

  test('writes that fail while a journal is stored in the background are retried, and whoever waits gets every row', { timeout: 30_000 }, async () => {
    const r = run(undefined, { readWaitCalls: 5 });
    for (let id = 1; id <= 30; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    r.store.flush();
    // Another connection holds the write lock: every commit fails with SQLITE_BUSY until it lets go.
    const locker = new Database(r.file);
    locker.exec('BEGIN EXCLUSIVE');
    const stored = r.store.whenStored();
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(r.store.stats().writeFailures > 0, 'the background tried and failed');
    locker.exec('ROLLBACK');
    locker.close();
    // The store's and the journal's retry timers are unref'd, as a worker's other handles keep it alive; here this does.
    const alive = setInterval(() => undefined, 50);
    await stored;
    clearInterval(alive);
    r.store.flush();
    assert.deepEqual(r.rows().exchanges.map((e) => e.trx), Array.from({ length: 30 }, (_, i) => `trx-${String(i + 1).padStart(4, '0')}`));
    assert.equal(r.rows().journaled, 0);
    r.close();
  });

  test('an export from the inspector waits for a journal being made into rows, and holds every exchange', { timeout: 30_000 }, async () => {
    const r = run(undefined, { readWaitCalls: 5 });
    const server = await startInspectorServer({ store: r.store, host: '127.0.0.1', port: 0, token: null, log: () => undefined, export: { codec, toolVersion: 'test' } });
    try {
      const origin = `http://127.0.0.1:${server.address.port}`;
      for (let id = 1; id <= 30; id++) r.writer.exchangeEnded(exec(id), 'with');
      r.pump();
      const preview = (await (await fetch(`${origin}/api/export/preview?filter=kind:exec`)).json()) as { exchanges: number };
      assert.equal(preview.exchanges, 30);
      for (let id = 31; id <= 60; id++) r.writer.exchangeEnded(exec(id), 'with');
      r.pump();
      const page = (await (await fetch(`${origin}/api/exchanges?limit=1000`)).json()) as { items: unknown[] };
      assert.equal(page.items.length, 60, 'the page holds the journaled exchanges too');
      for (let id = 61; id <= 90; id++) r.writer.exchangeEnded(exec(id), 'with');
      r.pump();
      const har = (await (await fetch(`${origin}/api/export?format=har&filter=kind:exec`)).json()) as { log: { entries: unknown[] } };
      assert.equal(har.log.entries.length, 90);
    } finally {
      await server.close();
      r.close();
    }
  });

  test('once the tap has been quiet a while, the journal is made into rows without a read', { timeout: 30_000 }, async () => {
    const r = run(undefined, { idleAfterMs: 20 });
    for (let id = 1; id <= 10; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    const deadline = Date.now() + 10_000;
    while (r.rows().exchanges.length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    r.store.flush();
    assert.equal(r.rows().exchanges.length, 10, 'every journaled call became a row with no read');
    assert.equal(r.rows().journaled, 0);
    r.close();
  });

  for (const watched of [false, true]) {
    test(`a run that died leaves its journal; the next run, or a reader, makes it into rows and marks open exchanges interrupted${watched ? ', watched as it journaled' : ''}`, () => {
      const file = join(dir, `killed-${watched}.sqlite`);
      const dead = run(file);
      const told = new Set<number>();
      dead.recorder.addListener({ listening: () => watched, exchange: (summary) => void told.add(summary.id) });
      dead.writer.exchangeEnded(exec(1), 'with');
      dead.writer.requestStarted(exec(2));
      dead.writer.exchangeEnded(ws(3), 'with');
      dead.writer.wsFrame(frame(3, 0));
      dead.pump();
      dead.store.flush();
      // As kill -9 leaves it: journal rows committed, and a recorder that never closed.
      const db = new Database(file);
      db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
      db.close();
      assert.ok(dead.rows().journaled > 0);

      const reader = Store.open(file, { codec });
      assert.ok(reader.orphanedJournal(), 'nobody is left to make it into rows');
      const notices: string[] = [];
      recoverOrphanedJournal(reader, codec, (line) => notices.push(line));
      reader.close();
      assert.match(notices[0]!, /made 4 tap calls that a run journaled but never stored/);
      const { exchanges, frames, journaled } = dead.rows();
      assert.equal(journaled, 0);
      assert.deepEqual(exchanges.map((e) => [e.kind, e.state]), [['exec', 'complete'], ['exec', 'interrupted'], ['ws', 'interrupted']]);
      assert.deepEqual(frames, [{ exchange_id: 3, seq: 0 }]);
      assert.deepEqual([...told], watched ? [1, 2, 3] : [], 'the watcher was told of each as it was journaled');
    });
  }

  for (const watched of [false, true]) {
    test(`a journal too large to store while closing is left in the file whole; the next reader stores it as the run would have${watched ? ', watched as it journaled' : ''}`, () => {
      const traffic = (r: ReturnType<typeof run>) => {
        for (let id = 1; id <= 20; id++) r.writer.exchangeEnded(exec(id), 'with');
        r.writer.exchangeEnded(ws(21), 'with');
        for (let seq = 0; seq < 8; seq++) r.writer.wsFrame(frame(21, seq));
        r.writer.wsClosed({ ...ws(21), endedAt: 1_800_000_002_000 }, { flowId: 21, code: 1000, reason: '', by: 'client', at: 1_800_000_002_000 });
        r.pump();
      };
      const lines: string[] = [];
      const left = run(undefined, { readWaitCalls: 5, log: (line) => lines.push(line) });
      const told = new Set<number>();
      left.recorder.addListener({ listening: () => watched, exchange: (summary) => void told.add(summary.id) });
      traffic(left);
      assert.equal(told.size, watched ? 21 : 0, 'the watcher was told of each exchange as it was journaled');
      assert.equal(left.journal.finish(Date.now()), 30, 'no time to store any of it');
      assert.match(lines.at(-1)!, /^recording: 30 tap calls journaled under load are left in .+; the next proxy run on it stores them \(meanwhile list reads them as they are, export, mock and import from a copy\)\.$/);
      left.journal.stop();
      left.recorder.stop();
      left.store.close();

      const reader = Store.open(left.file, { codec });
      const notices: string[] = [];
      recoverOrphanedJournal(reader, codec, (line) => notices.push(line));
      reader.close();
      assert.match(notices[0]!, /made 30 tap calls that a run journaled but never stored \(it stopped first\) into rows/);
      const stored = run();
      traffic(stored);
      assert.equal(stored.journal.finish(Date.now() + 60_000), 0);
      stored.close();
      assert.deepEqual(everything(left.file), everything(stored.file));
    });
  }

  test('a left-over journal that cannot be stored (the disk is full) is refused in a sentence, and what is left of it is stored by a later try', () => {
    const file = join(dir, 'full.sqlite');
    const dead = run(file);
    for (let id = 1; id <= 300; id++) dead.writer.exchangeEnded(exec(id), 'with');
    dead.pump();
    dead.journal.stop();
    dead.recorder.stop();
    dead.store.close();
    const journaled = dead.rows().journaled;

    // No room to grow: the rows the journal would become do not fit.
    const full = Store.open(file, { codec, maxBytes: statSync(file).size });
    assert.throws(
      () => recoverOrphanedJournal(full, codec, () => undefined),
      (err: Error) => err instanceof StorageError && /^Could not store the \d+ tap calls a run left journaled in .+full\.sqlite: writes to it fail\. Free the disk or end whoever holds it locked, then try again\.$/.test(err.message),
    );
    full.close();
    const left = dead.rows().journaled;
    assert.ok(left > 0 && left <= journaled, `${left} of ${journaled} journal rows left, each stored part committed with its deletion`);

    const roomy = Store.open(file, { codec });
    recoverOrphanedJournal(roomy, codec, () => undefined);
    roomy.close();
    assert.deepEqual(dead.rows().exchanges.map((e) => e.trx), Array.from({ length: 300 }, (_, i) => `trx-${String(i + 1).padStart(4, '0')}`));
  });

  test('a flow open in the journal is named by the exchange it will be, before any row is made (a breakpoint names its paused call so)', () => {
    const r = run();
    // Quick exchanges, then one that stays open (paused at a breakpoint) among more, a WebSocket open from before the journal.
    r.writer.exchangeEnded(ws(1), 'with');
    r.pump();
    r.journal.expandAll();
    for (let id = 2; id <= 40; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.writer.requestStarted(exec(41));
    for (let id = 42; id <= 60; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump({ journalRowCalls: 4 });
    r.store.flush();
    assert.equal(r.rows().exchanges.length, 1, 'only the WebSocket is a row: the rest wait in the journal');
    const paused = r.journal.exchangeOf(41);
    assert.equal(r.journal.exchangeOf(1), 1, 'a flow open before the journal began keeps its row');
    assert.equal(r.journal.exchangeOf(40), undefined, 'an ended flow is no longer open');
    assert.equal(r.journal.exchangeOf(99), undefined, 'nor is one never tapped');
    assert.equal(r.store.stats().journaled, 59, 'naming it made no rows');
    r.journal.expandAll();
    assert.equal(r.journal.exchangeOf(41), undefined, 'with the journal empty, the recorder names it');
    assert.equal(r.recorder.exchangeIdOf(41), paused);
    // Decided and answered: its row is the one it was named by.
    r.writer.exchangeEnded(exec(41), 'with');
    r.pump();
    r.journal.expandAll();
    r.store.flush();
    assert.deepEqual(r.rows().exchanges.filter((e) => e.trx === 'trx-0041').map((e) => e.id), [paused]);
    r.close();
  });

  test('flows open as a journal starts are taken up from their rows after a crash, as if it never happened', () => {
    /** Traffic in two halves: first made into rows, then journaled while a WebSocket and two execs are open. */
    const traffic = (r: ReturnType<typeof run>) => {
      // The first client frame carries the token the exchange's facts keep.
      r.writer.exchangeEnded(ws(1), 'with');
      for (let seq = 0; seq < 3; seq++) r.writer.wsFrame(frame(1, seq));
      r.writer.requestStarted(exec(2));
      r.writer.requestStarted(exec(3));
      r.pump();
      r.journal.expandAll();
      for (let seq = 3; seq < 6; seq++) r.writer.wsFrame(frame(1, seq));
      r.writer.exchangeEnded(exec(2), 'with');
      r.writer.exchangeEnded(exec(4), 'with');
      r.writer.wsClosed({ ...ws(1), endedAt: 1_800_000_002_000 }, { flowId: 1, code: 1000, reason: 'bye', by: 'client', at: 1_800_000_002_000 });
      r.pump();
      r.store.flush();
    };

    // The same traffic recorded by a run that never crashed, all of it at once.
    const alive = run();
    traffic(alive);
    alive.journal.expandAll();
    alive.store.flush();

    // Recovered by a reader (list, export) and by the next proxy run, which first marks the killed run's pending rows interrupted.
    for (const by of ['reader', 'next run'] as const) {
      const file = join(dir, `open-across-${by.replace(' ', '-')}.sqlite`);
      const dead = run(file);
      traffic(dead);
      assert.ok(dead.rows().journaled > 0 && dead.rows().exchanges.length > 0, 'the second half is journaled although flows are open');
      // As kill -9 leaves it.
      const db = new Database(file);
      db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
      db.close();
      if (by === 'reader') {
        const reader = Store.open(file, { codec });
        recoverOrphanedJournal(reader, codec, () => undefined);
        reader.close();
      } else {
        run(file).close();
      }
      const recovered = dead.rows();
      assert.equal(recovered.journaled, 0, by);
      assert.deepEqual(
        recovered.exchanges.map((e) => [e.id, e.kind, e.state, e.frames]),
        [
          [1, 'ws', 'complete', 6],
          [2, 'exec', 'complete', 0],
          [3, 'exec', 'interrupted', 0],
          [4, 'exec', 'complete', 0],
        ],
        by,
      );
      assert.deepEqual(everything(file, 3), everything(alive.file, 3), `recovered by the ${by}: rows, bodies, facts and frames as an uninterrupted run wrote them`);
    }
    alive.close();
  });

  test('a crash while the journal is being made into rows leaves the rest journaled, recovered exactly', () => {
    const r = run();
    // A WebSocket open across many journal rows, with exchanges between its frames.
    r.writer.exchangeEnded(ws(1), 'with');
    for (let seq = 0; seq < 60; seq++) {
      r.writer.wsFrame(frame(1, seq));
      if (seq % 5 === 0) r.writer.exchangeEnded(exec(100 + seq), 'with');
    }
    r.writer.wsClosed({ ...ws(1), endedAt: 1_800_000_002_000 }, { flowId: 1, code: 1000, reason: 'bye', by: 'server', at: 1_800_000_002_000 });
    r.pump();
    r.store.flush();
    const journalRows = r.rows().journaled;
    assert.ok(journalRows > 20, `${journalRows} journal rows`);

    // kill -9 after the second of the transactions that make them into rows: what is committed then, copied.
    const snapshot = join(dir, 'mid-expansion.sqlite');
    const atomically = r.store.atomically.bind(r.store);
    let commits = 0;
    r.store.atomically = (fn) => {
      atomically(fn);
      if (++commits === 2) new Database(r.file, { readonly: true }).exec(`VACUUM INTO '${snapshot}'`);
    };
    r.journal.expandAll();
    assert.ok(commits > 2, `${commits} transactions`);
    const killed = new Database(snapshot);
    killed.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
    const left = (killed.prepare('SELECT count(*) AS n FROM tap_journal').get() as { n: number }).n;
    killed.close();
    assert.ok(left > 0 && left < journalRows, `${left} of ${journalRows} journal rows left at the crash`);

    const reader = Store.open(snapshot, { codec });
    recoverOrphanedJournal(reader, codec, () => undefined);
    reader.close();
    r.store.flush();
    assert.deepEqual(everything(snapshot), everything(r.file), 'the same rows as the run that finished');
    assert.equal(everything(r.file).frames.length, 60);
    r.close();
  });

  test("a replay open as a journal starts is not noted (its calls never pass through the journal), so a crash leaves its row as it ended", () => {
    const file = join(dir, 'replay-across.sqlite');
    const r = run(file);
    // What replay/target.ts does: the recorder called directly, with the flow marked as a replay and its id negated.
    const replay: TappedFlow = { ...exec(-5), source: 'replay' };
    r.recorder.requestStarted(replay);
    r.writer.exchangeEnded(exec(1), 'with');
    r.pump();
    r.recorder.exchangeEnded(replay);
    r.store.flush();
    assert.deepEqual(r.store.journalOpenFlows(TAP_CALL_VERSION), []);
    const db = new Database(file);
    db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
    db.close();
    const reader = Store.open(file, { codec });
    recoverOrphanedJournal(reader, codec, () => undefined);
    reader.close();
    assert.deepEqual(r.rows().exchanges.map((e) => [e.id, e.trx, e.state]), [[1, 'trx-00-5', 'complete'], [2, 'trx-0001', 'complete']]);
    r.recorder.stop();
    r.journal.stop();
    r.store.close();
  });

  test('journal rows another ca2-inspector wrote, and its notes of open flows, are kept in the file as written through a reader and a run, and said', async () => {
    const file = join(dir, 'other-versions.sqlite');
    const dead = run(file);
    for (let id = 1; id <= 9; id++) dead.writer.exchangeEnded(exec(id), 'with');
    dead.pump();
    dead.journal.stop();
    dead.recorder.stop();
    dead.store.close();
    const db = new Database(file);
    const rows = db.prepare('SELECT seq, records FROM tap_journal ORDER BY seq').all() as { seq: number; records: Buffer }[];
    assert.equal(rows.length, 3, 'three rows of three calls');
    // The first from a newer ca2-inspector, the second from one before versions; the third is this one's.
    db.prepare('UPDATE tap_journal SET records = ? WHERE seq = ?').run(otherVersion(rows[0]!.records, 9), rows[0]!.seq);
    db.prepare('UPDATE tap_journal SET records = ? WHERE seq = ?').run(otherVersion(rows[1]!.records, null), rows[1]!.seq);
    db.prepare("INSERT OR REPLACE INTO store_state (key, value) VALUES ('journal_open_flows_v9', '[[5,1]]'), ('journal_open_flows', '[[6,2]]')").run();
    db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
    db.close();
    const journal = () => {
      const db = new Database(file, { readonly: true });
      try {
        return {
          rows: db.prepare('SELECT seq, calls, records FROM tap_journal ORDER BY seq').all() as { seq: number }[],
          notes: db.prepare("SELECT key, value FROM store_state WHERE key IN ('journal_open_flows_v9', 'journal_open_flows') ORDER BY key").all(),
        };
      } finally {
        db.close();
      }
    };
    const left = journal();
    const others = { rows: left.rows.slice(0, 2), notes: left.notes };
    const said = [
      `${file}: 1 journal row (3 tap calls) written by a newer ca2-inspector (tap calls of version 9; this one reads version ${TAP_CALL_VERSION}) is kept in the file as written; the ca2-inspector that wrote it, or a newer one, reads it.`,
      `${file}: 1 journal row (3 tap calls) written by an older ca2-inspector (from before tap calls carried a version; this one reads version ${TAP_CALL_VERSION}) is kept in the file as written; the ca2-inspector that wrote it reads it.`,
    ];
    const trx = (ids: number[]) => ids.map((id) => `trx-${String(id).padStart(4, '0')}`);

    // A reader (list, export) stores this one's row in its copy, and leaves the file as it was.
    const notices: string[] = [];
    const read = openForReading(file, { use: { flag: '--db', command: 'list', writes: false }, notice: (line) => notices.push(line) });
    assert.deepEqual(read.store.listExchanges().items.map((s) => s.trx).reverse(), trx([7, 8, 9]));
    assert.equal(read.store.stats().journaled, 0, 'the kept rows are not counted as waiting to be stored');
    read.close();
    assert.deepEqual(notices, [...said, `${file}: made 3 tap calls that a run journaled but never stored (it stopped first) into rows; the exchanges it left open are marked interrupted.`]);
    assert.deepEqual(journal(), left, 'the reader wrote nothing');

    // The next run stores this one's row, records on beside the others, and leaves them whole.
    const next = run(file);
    assert.deepEqual(next.recovered, { stored: 3, kept: said });
    assert.equal(next.store.stats().journaled, 0);
    for (let id = 10; id <= 12; id++) next.writer.exchangeEnded(exec(id), 'with');
    next.pump();
    assert.equal(next.store.stats().journaled, 3, 'only its own calls wait');
    assert.deepEqual(next.store.listExchanges().items.map((s) => s.trx).reverse(), trx([7, 8, 9, 10, 11, 12]));
    await next.store.whenStored();
    assert.equal(next.journal.finish(Date.now()), 0, 'nothing of its own is left');
    next.close();
    assert.deepEqual(journal(), others, 'the other rows and notes, byte for byte');
  });

  test('a damaged journal row is said and given up past the damage, and reads go on', async () => {
    const lines: string[] = [];
    const r = run(undefined, { log: (line) => lines.push(line) });
    r.writer.exchangeEnded(exec(1), 'with');
    r.writer.exchangeEnded(exec(2), 'with');
    r.pump();
    r.store.flush();
    const db = new Database(r.file);
    // Cut the second record short: its length says more bytes than the row holds.
    const row = db.prepare('SELECT seq, records FROM tap_journal').get() as { seq: number; records: Buffer };
    db.prepare('UPDATE tap_journal SET records = ? WHERE seq = ?').run(row.records.subarray(0, row.records.length - 40), row.seq);
    db.close();
    assert.deepEqual(r.store.listExchanges().items.map((s) => s.trx), ['trx-0001'], 'read from the journal as storing it will store it');
    await r.store.whenStored();
    r.store.flush();
    assert.match(lines[0]!, /^recording: journal row \d+ is damaged after 1 tap calls \(.+\); the rest of it was dropped\.$/);
    assert.equal(r.rows().journaled, 0);
    assert.deepEqual(r.rows().exchanges.map((e) => e.trx), ['trx-0001']);
    r.close();
  });

  test('a damaged call that a filter refuses on its envelopes ends a read of its row in place there, as storing the row does', async () => {
    const r = run();
    r.writer.exchangeEnded({ ...exec(1), captureProblems: ['damaged here'] }, 'with');
    const failed = exec(2);
    // A ServerError (field 2): error:any takes it, and refuses the first on its envelopes.
    r.writer.exchangeEnded({ ...failed, response: { ...failed.response!, body: new Uint8Array([...failed.response!.body, 0x10, 0x05]) } }, 'with');
    r.pump();
    r.store.flush();
    const db = new Database(r.file);
    const row = db.prepare('SELECT seq, records FROM tap_journal').get() as { seq: number; records: Buffer };
    // The first call's count of problems, before its one string's length and bytes: now more than the row could hold.
    row.records.writeUInt32LE(0xffffffff, row.records.indexOf('damaged here') - 8);
    db.prepare('UPDATE tap_journal SET records = ? WHERE seq = ?').run(row.records, row.seq);
    db.close();
    const ids = () => r.store.listExchanges({ filter: 'error:any' }).items.map((s) => s.id);
    const inPlace = ids();
    await r.store.whenStored();
    r.store.flush();
    assert.deepEqual(inPlace, ids(), 'read in place as stored');
    r.close();
  });

  test('a reader leaves alone the journal of a recorder that is still running', () => {
    const r = run();
    r.writer.exchangeEnded(exec(1), 'with');
    r.pump();
    r.store.flush();
    const reader = Store.open(r.file, { codec });
    assert.equal(reader.orphanedJournal(), false, 'this process is the recorder, and it is alive');
    reader.close();
    r.close();
    assert.equal(r.rows().journaled, 0, 'closing made it into rows');
  });

  test('a file\'s facts tell of a journal whose run is gone, and not of one whose recorder is alive or of an empty one', () => {
    const r = run();
    const use = { flag: '--db', command: 'list', writes: false };
    assert.equal(examine(r.file, use).orphanedJournal, false, 'no journal');
    for (let id = 1; id <= 7; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    r.store.flush();
    assert.equal(examine(r.file, use).orphanedJournal, false, 'its recorder, this process, is alive');
    const db = new Database(r.file);
    db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
    db.close();
    assert.equal(examine(r.file, use).orphanedJournal, true);
    r.close();
  });
});
