import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseFilter } from '../../model/filter.ts';
import { defaultPlanLimits, queryPage, type PlanLimits } from '../../storage/list-query.ts';
import { flowHead, type FrameFields, type HeadFields } from '../../support/flow-head.ts';
import { Store } from '../../storage/store.ts';

const now = Date.UTC(2026, 0, 15, 12);

function record(id: number, word: string): HeadFields {
  return {
    id,
    kind: 'ws',
    startedAt: now - 1000 + id,
    endedAt: null,
    method: 'GET',
    path: '/ws',
    status: 101,
    service: null,
    operation: null,
    trx: null,
    errors: [],
    token: null,
    clientAddress: '127.0.0.1',
    state: 'pending',
    problems: [],
    error: word,
    request: { headers: [], body: new Uint8Array(), truncated: false, size: 0 },
    response: null,
    close: null,
  };
}

/** A WsAuth whose token reads "credits". */
const creditsAuth = new Uint8Array([0x12, 7, ...new TextEncoder().encode('credits')]);

function frame(exchangeId: number, seq: number): FrameFields {
  return { exchangeId, seq, direction: 'client', at: now, opcode: 2, size: creditsAuth.length, body: creditsAuth, truncated: false };
}

describe('queryPage', () => {
  let dir: string;
  let db: Database.Database;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'list-query-'));
    const file = path.join(dir, 'traffic.db');
    const store = Store.open(file);
    // Exchange 2 is a long WebSocket whose 300 frames all hold "credits"; the others
    // hold it in their error, so one word matches many rows of few exchanges.
    for (let id = 1; id <= 40; id++) store.putExchange(flowHead(record(id, id % 2 === 0 ? 'plain' : 'credits')));
    for (let seq = 0; seq < 300; seq++) store.putFrame(frame(2, seq));
    // More words sharing a prefix than are looked up one by one.
    for (let id = 41; id <= 110; id++) store.putExchange(flowHead(record(id, `spread${id} web server`)));
    store.catchUp();
    store.close();
    db = new Database(file, { readonly: true });
  });

  after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const page = (filter: string, limit: number, before?: number, limits?: PlanLimits) =>
    queryPage((sql) => db.prepare(sql), parseFilter(filter), { limit, before, now }, limits).map((r) => r.id);

  const expected = [39, 37, 35, 33, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 2, 1];

  it('finds each exchange once when many of its frames match a word walked in order', () => {
    const walk: PlanLimits = { fewRows: 1, textChunk: 7 };
    assert.deepEqual(page('credits', 100, undefined, walk), expected);
    assert.deepEqual(page('credits', 5, undefined, walk), expected.slice(0, 5));
    assert.deepEqual(page('credits', 5, 4, walk), [3, 2, 1]);
  });

  it('gives the same page whether a word is walked in order or its matches are tested', () => {
    assert.deepEqual(page('credits', 100, undefined, { fewRows: 1_000_000, textChunk: 500 }), expected);
    assert.deepEqual(page('credits', 100, undefined, defaultPlanLimits), expected);
  });

  it('tests the other terms on the rows a walked word finds', () => {
    assert.deepEqual(page('credits since:2026-01-15T12:00:01Z', 100, undefined, { fewRows: 1, textChunk: 2 }), []);
    assert.deepEqual(page('credits dir:client', 100, undefined, { fewRows: 1, textChunk: 2 }), [2]);
    assert.deepEqual(page('credits -dir:client', 3, undefined, { fewRows: 1, textChunk: 2 }), [39, 37, 35]);
  });

  it('finds a prefix shared by many words, and a phrase ending in a prefix', () => {
    const spread = Array.from({ length: 70 }, (_, i) => 110 - i);
    for (const limits of [defaultPlanLimits, { fewRows: 1, textChunk: 7 }]) {
      assert.deepEqual(page('spread*', 1000, undefined, limits), spread);
      assert.deepEqual(page('spread10*', 1000, undefined, limits), [109, 108, 107, 106, 105, 104, 103, 102, 101, 100]);
      assert.deepEqual(page('"web ser"*', 1000, undefined, limits), spread);
      assert.deepEqual(page('"web ser"* -spread1*', 1000, undefined, limits), spread.filter((id) => !String(id).startsWith('1')));
      assert.deepEqual(page('"ser web"*', 1000, undefined, limits), []);
    }
  });

  it('keeps to the ids between after and before, whichever plan runs', () => {
    const between = (filter: string, limits: PlanLimits) =>
      queryPage((sql) => db.prepare(sql), parseFilter(filter), { limit: 100, before: 36, after: 20, now }, limits).map((r) => r.id);
    for (const limits of [{ fewRows: 1, textChunk: 2 }, { fewRows: 1_000_000, textChunk: 500 }]) {
      assert.deepEqual(between('credits', limits), [35, 33, 31, 29, 27, 25, 23, 21]);
      assert.deepEqual(between('error:any or plain', limits), [34, 32, 30, 28, 26, 24, 22]);
      assert.deepEqual(between('', limits).length, 15);
    }
  });

  it('walks the table when no term narrows the rows', () => {
    assert.deepEqual(page('dir:client or path:nothing', 100), [2]);
    assert.deepEqual(page('', 3), [110, 109, 108]);
    assert.deepEqual(page('', 3, 2), [1]);
  });
});
