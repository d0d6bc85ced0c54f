// Reads while tap calls wait in the journal, over the real ring, recorder, journal,
// inspector server and SQLite file: list pages and details are read from the journal in
// place, and must be those that storing it gives, id for id and field for field.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCodec } from '../../proto/codec.ts';
import type { ExchangePage } from '../../model/types.ts';
import { startInspectorServer } from '../../inspector/server/app.ts';
import type { Store } from '../../storage/store.ts';
import { frame, journalRun, ws } from '../../support/journal-run.ts';
import { journalTraffic, structuredFilters, tappedExec, trafficFilters } from '../../support/journal-traffic.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-journal-view-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec();
let files = 0;

/** Every page of `filter`, `limit` at a time, newest first. */
function pages(store: Store, filter: string, limit: number): ExchangePage[] {
  const all: ExchangePage[] = [];
  for (let before: number | undefined; ; ) {
    const page = store.listExchanges({ filter, limit, before });
    all.push(page);
    if (page.next === null) return all;
    before = page.next;
  }
}

describe('a journal read in place', () => {
  test('list pages for every kind of filter, and details, are those storing the journal gives', { timeout: 60_000 }, async () => {
    const r = journalRun(join(dir, `v${++files}.sqlite`), codec);
    // A WebSocket made into rows before, so it is open in the recorder as the journal starts.
    r.writer.exchangeEnded(ws(1000), 'with');
    r.writer.wsFrame(frame(1000, 0));
    r.pump();
    r.journal.expandAll();
    journalTraffic(r.writer, { exchanges: 60, openWebSocket: 1000 });
    r.pump();
    r.store.flush();
    assert.ok(r.store.stats().journaled > 60, 'the traffic waits in the journal');

    const read = new Map(trafficFilters.map((filter) => [filter, pages(r.store, filter, 7)]));
    const ids = [...new Set(read.get('')!.flatMap((page) => page.items.map((item) => item.id)))];
    const details = new Map(ids.map((id) => [id, r.store.getExchange(id)]));
    // A selection by id (an export or a replay of rows picked in the list) takes the journaled ones too.
    const selected = r.store.exchangeIds({ ids, order: 'oldest' });
    assert.ok(r.store.stats().journaled > 0, 'still journaled once read');
    assert.equal(read.get('')![0]!.journaled, undefined, 'a page that holds the journaled exchanges says nothing of the journal');

    await r.store.whenStored();
    r.store.flush();
    assert.equal(r.store.stats().journaled, 0);
    for (const filter of trafficFilters) assert.deepEqual(read.get(filter), pages(r.store, filter, 7), `filter "${filter}"`);
    for (const [id, detail] of details) assert.deepEqual(detail, r.store.getExchange(id), `exchange ${id}`);
    assert.deepEqual(selected, [...ids].sort((a, b) => a - b), 'every exchange selected while journaled');
    assert.ok(read.get('kind:ws')!.flatMap((page) => page.items).length >= 2, 'WebSockets from before the journal and in it were read');
    r.close();
  });

  test('the REST API answers the first page of a structured filter with the journaled exchanges, as they are once stored', { timeout: 60_000 }, async () => {
    // A journal of its own for each filter: reading one has it stored in the background.
    for (const filter of structuredFilters) {
      const r = journalRun(join(dir, `v${++files}.sqlite`), codec);
      const server = await startInspectorServer({ store: r.store, host: '127.0.0.1', port: 0, token: null, log: () => undefined });
      try {
        journalTraffic(r.writer, { exchanges: 80 });
        r.pump();
        r.store.flush();
        const firstPage = async () =>
          (await (await fetch(`http://127.0.0.1:${server.address.port}/api/exchanges?limit=10&filter=${encodeURIComponent(filter)}`)).json()) as ExchangePage;
        assert.equal(r.rows().exchanges.length, 0, 'nothing is stored yet');
        const read = await firstPage();
        assert.equal(read.items.length, 10, `filter "${filter}": a full page`);
        await r.store.whenStored();
        assert.deepEqual(read, await firstPage(), `filter "${filter}"`);
      } finally {
        await server.close();
        r.close();
      }
    }
  });

  test('pages that go on past the journal take the rows stored before it, and a row stored among its ids, as storing it gives', { timeout: 60_000 }, async () => {
    const r = journalRun(join(dir, `v${++files}.sqlite`), codec);
    for (let n = 101; n <= 140; n++) r.writer.exchangeEnded(tappedExec(n), 'with');
    r.pump();
    r.journal.expandAll();
    journalTraffic(r.writer, { exchanges: 40 });
    r.pump();
    r.store.flush();
    // Stored while the journal waits, under an id past those its rows reserved; journaled calls follow it.
    const { frames, ...head } = r.store.flow(1)!;
    const between = r.store.allocateExchangeId();
    r.store.putExchange({ ...head, id: between }, { fresh: true });
    for (let n = 201; n <= 230; n++) r.writer.exchangeEnded(tappedExec(n), 'with');
    r.pump();
    r.store.flush();
    assert.ok(r.store.stats().journaled > 70, 'both bursts wait in the journal');

    const read = new Map(trafficFilters.map((filter) => [filter, pages(r.store, filter, 7)]));
    const listed = read.get('')!.flatMap((page) => page.items.map((item) => item.id));
    assert.ok(listed.includes(between) && listed.some((id) => id > between) && listed.some((id) => id < 40), 'the pages hold the row among the journal and the rows before it');
    await r.store.whenStored();
    r.store.flush();
    assert.equal(r.store.stats().journaled, 0);
    for (const filter of trafficFilters) assert.deepEqual(read.get(filter), pages(r.store, filter, 7), `filter "${filter}"`);
    r.close();
  });

  test('a journal whose rows carry no ids (written before they did) is not read in place: the page says how much is still being stored', () => {
    const r = journalRun(join(dir, `v${++files}.sqlite`), codec);
    journalTraffic(r.writer, { exchanges: 10 });
    r.pump();
    r.store.flush();
    const db = new Database(r.file);
    db.exec('UPDATE tap_journal SET first_id = NULL, begins = NULL, open_flows = NULL');
    db.close();
    const page = r.store.listExchanges();
    assert.deepEqual(page.items, []);
    assert.equal(page.journaled, r.store.stats().journaled);
    r.close();
  });
});
