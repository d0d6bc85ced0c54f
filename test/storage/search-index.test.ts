// The search index is filled after the write, in the background; until then bare words
// still find every row, by decoding the ones waiting.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { parseFilter } from '../../model/filter.ts';
import { createCodec } from '../../proto/codec.ts';
import { FlowDecoder } from '../../storage/decode.ts';
import { migrate, migrations } from '../../storage/migrations.ts';
import { SearchIndex } from '../../storage/search-index.ts';
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

  it('finds a phrase only where its words stand in order, side by side, in one text, whatever the search or the index state', () => {
    // Near misses beside each match: the words in the wrong order, apart, split across two
    // texts (the error and the path), or one word only the start of another.
    const rows: [number, string, string][] = [
      [1, '/exec', 'zebra quokka'],
      [2, '/exec', 'quokka zebra'],
      [3, '/exec', 'zebra big quokka'],
      [4, '/quokka', 'the zebra'],
      [5, '/exec', 'Zébra, QUOKKA! at 10.0.0.1:8080'],
      [6, '/exec', 'zebra quokkas at 10.0.0.2'],
    ];
    const expected: Record<string, number[]> = {
      zebra: [6, 5, 4, 3, 2, 1],
      'zebra quokka': [5, 4, 3, 2, 1],
      '"zebra quokka"': [5, 1],
      'zebra-quokka': [5, 1],
      'ZEBRA.quokka': [5, 1],
      '"quokka zebra"': [2],
      '"zebra big quokka"': [3],
      '"zebra quok"*': [6, 5, 1],
      'zeb*': [6, 5, 4, 3, 2, 1],
      '"post quokka"': [4],
      '"quokka the zebra"': [],
      '10.0.0.1': [5],
      '"0.0"': [6, 5],
      '"1 8080"': [5],
      '"8080 zebra"': [],
      '"zebra quokka" -"quokka zebra"': [5, 1],
      '-"zebra quokka" zebra': [6, 4, 3, 2],
      '"zebra quokka" or "zebra big"': [5, 3, 1],
    };
    const [{ record }] = sampleTraffic(1, 3);
    const check = (store: Store, when: string) => {
      for (const [filter, want] of Object.entries(expected)) {
        assert.deepEqual(ids(store, filter), want, `${filter} ${when}`);
        assert.deepEqual(ids(store, filter, 1), want, `${filter} ${when}, a row a page`);
      }
    };
    const store = Store.open(file, { idleAfterMs: 60_000 });
    try {
      for (const [id, path, error] of rows) store.putExchange(flowHead({ ...record, id, kind: 'http', method: 'POST', path, error, state: 'error' }));
      store.flush();
      assert.ok(store.stats().unindexed > 0);
      check(store, 'while waiting for the index');
      store.catchUp();
      check(store, 'indexed');
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
      assert.deepEqual(store.listExchanges({ filter: '"common word"', limit: 3 }).items.map((s) => s.id), [2100, 2099, 2098]);
      assert.deepEqual(store.listExchanges({ filter: '"word even"', limit: 2, before: 2098 }).items.map((s) => s.id), [2096, 2094]);
      assert.deepEqual(store.listExchanges({ filter: '"word common"', limit: 3 }).items, []);
    } finally {
      store.close();
    }
  });

  it('is made again without word positions in a file version 12 indexed, finding what its phrases found, before and after it catches up', () => {
    const store = Store.open(file, { idleAfterMs: 60_000 });
    for (const { record, frames } of sampleTraffic(150, 5)) {
      store.putExchange(flowHead(record));
      for (const frame of frames) store.putFrame(frame);
    }
    store.close();
    // An index as version 12 made it, caught up, beside the rows it indexes.
    const source = new Database(file);
    migrations.find((m) => m.version === 12)!.up(source);
    new SearchIndex(source, new FlowDecoder(createCodec())).step(1_000_000);
    source.close();
    // The file as version 12 left it: its tables, the index's among them, hold those rows.
    const version12File = path.join(dir, 'version12.db');
    const db = new Database(version12File);
    migrate(db, 12);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND sql NOT LIKE 'CREATE VIRTUAL%'").pluck().all() as string[];
    const copies = tables.map((table) => {
      const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]).map((c) => `"${c}"`).join(', ');
      return `DELETE FROM main."${table}"; INSERT INTO main."${table}" (${columns}) SELECT ${columns} FROM source."${table}";`;
    });
    // The sqlite3 shell, which lets the index's own tables be written, as better-sqlite3 does not.
    execFileSync('sqlite3', [version12File, `ATTACH '${file}' AS source; ${copies.join(' ')}`]);
    // What version 12's index answers, each bare word as the phrase it searched for.
    const single = words.filter((w) => parseFilter(w)?.type === 'text');
    const version12 = single.map((w) => {
      const { tokens, prefix } = parseFilter(w) as { tokens: string[]; prefix: boolean };
      const phrase = `"${tokens.join(' ')}"${prefix ? '*' : ''}`;
      return db.prepare('SELECT DISTINCT rowid >> 32 FROM search_text WHERE search_text MATCH ? ORDER BY rowid DESC').pluck().all(phrase) as number[];
    });
    db.close();
    assert.ok(single.some((w) => w.startsWith('"')) && single.some((w) => w.endsWith('*')));
    assert.ok(version12.every((found) => found.length > 0), 'each word finds rows in the index version 12 made');
    const reopened = Store.open(version12File, { idleAfterMs: 60_000 });
    try {
      assert.ok(reopened.stats().unindexed >= 150, 'every row waits for the index to be made again');
      single.forEach((w, i) => assert.deepEqual(ids(reopened, w), version12[i], `${w}, waiting`));
      reopened.catchUp();
      single.forEach((w, i) => assert.deepEqual(ids(reopened, w), version12[i], `${w}, indexed again`));
    } finally {
      reopened.close();
    }
    const migrated = new Database(version12File, { readonly: true });
    try {
      assert.match(migrated.prepare("SELECT sql FROM sqlite_master WHERE name = 'search_text'").pluck().get() as string, /detail = none/);
    } finally {
      migrated.close();
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
