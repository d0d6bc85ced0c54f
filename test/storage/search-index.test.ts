// The search index is filled after the write, in the background; until then bare words
// still find every row, by decoding the ones waiting.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Store } from '../../storage/store.ts';
import { sampleTraffic } from '../../support/sample-traffic.ts';
import { flowHead } from '../../support/flow-head.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-index-'));
  file = path.join(dir, 'traffic.db');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const words = ['instance', '"hello world"', 'création', 'web_01', 'quota', 'label', '100', 'refused', 'alice', 'névé', 'hello*', 'instance -quota', 'quota or label'];

function ids(store: Store, filter: string, limit = 1000): number[] {
  const out: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = store.listExchanges({ filter, limit, before });
    out.push(...page.items.map((s) => s.id));
    if (page.next === null) return out;
    before = page.next;
  }
}

function textRows(): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM search_text WHERE search_text MATCH 'instance OR hello OR quota OR label'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the search index', () => {
  it('is not written by a put: the write path only notes what it lacks', () => {
    const store = Store.open(file, { idleAfterMs: 60_000 });
    try {
      for (const { record, frames } of sampleTraffic(50, 11)) {
        store.putExchange(flowHead(record));
        for (const frame of frames) store.putFrame(frame);
      }
      store.flush();
      assert.equal(textRows(), 0);
      assert.ok(store.stats().unindexed >= 50);
      store.catchUp();
      assert.equal(store.stats().unindexed, 0);
      assert.ok(textRows() > 0);
    } finally {
      store.close();
    }
  });

  it('finds the same rows for bare words before the index catches up as after, whole and page by page', () => {
    const store = Store.open(file, { idleAfterMs: 60_000 });
    try {
      const traffic = sampleTraffic(300, 5);
      for (const { record, frames } of traffic.slice(0, 150)) {
        store.putExchange(flowHead(record));
        for (const frame of frames) store.putFrame(frame);
      }
      store.catchUp();
      const indexedBefore = new Map(words.map((w) => [w, ids(store, w)]));
      for (const { record, frames } of traffic.slice(150)) {
        store.putExchange(flowHead(record));
        for (const frame of frames) store.putFrame(frame);
      }
      // A replaced row's old text must not match either: the first rows change their error.
      for (const { record } of traffic.slice(0, 10)) store.putExchange(flowHead({ ...record, error: 'upstream refused the connection' }));
      store.flush();
      const waiting = words.map((w) => ids(store, w));
      const pages = words.map((w) => ids(store, w, 7));
      assert.ok(store.stats().unindexed > 150);
      store.catchUp();
      const indexed = words.map((w) => ids(store, w));
      words.forEach((w, i) => {
        assert.deepEqual(waiting[i], indexed[i], `${w}: not yet indexed vs indexed`);
        assert.deepEqual(pages[i], indexed[i], `${w}: in pages of 7 while waiting`);
        assert.ok(indexed[i].length > 0 && indexed[i].length < 300, `${w} matches some rows: ${indexed[i].length}`);
      });
      assert.ok(indexed[words.indexOf('refused')].length >= 10);
      assert.notDeepEqual(indexedBefore.get('refused'), indexed[words.indexOf('refused')]);
    } finally {
      store.close();
    }
  });

  it('finds a word too common to test row by row, walking the index newest first', () => {
    // Past 2,000 matches (defaultPlanLimits.fewRows) the word's matches are walked in order.
    const store = Store.open(file, { idleAfterMs: 60_000 });
    try {
      const [{ record }] = sampleTraffic(1, 3);
      for (let id = 1; id <= 2100; id++) store.putExchange(flowHead({ ...record, id, error: `common word ${id % 2 === 0 ? 'even' : 'odd'}` }));
      store.catchUp();
      assert.deepEqual(store.listExchanges({ filter: 'common', limit: 3 }).items.map((s) => s.id), [2100, 2099, 2098]);
      assert.deepEqual(store.listExchanges({ filter: 'common even', limit: 2, before: 2098 }).items.map((s) => s.id), [2096, 2094]);
    } finally {
      store.close();
    }
  });

  it('catches up by itself once writes pause', async () => {
    const store = Store.open(file, { idleAfterMs: 20 });
    try {
      for (const { record, frames } of sampleTraffic(100, 2)) {
        store.putExchange(flowHead(record));
        for (const frame of frames) store.putFrame(frame);
      }
      for (let i = 0; i < 500 && (store.stats().unindexed > 0 || store.stats().queued > 0); i++) await sleep(10);
      assert.equal(store.stats().unindexed, 0);
      assert.ok(textRows() > 0);
    } finally {
      store.close();
    }
  });
});
