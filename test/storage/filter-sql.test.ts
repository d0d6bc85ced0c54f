import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { detailSearchTexts, matches } from '../../model/filter-match.ts';
import { maxFilterDepth, maxFilterTerms, parseFilter } from '../../model/filter.ts';
import { tokenPrefixLength, type ExchangeSummary, type FrameDirection } from '../../model/types.ts';
import { compileFilter } from '../../storage/filter-sql.ts';
import { queryPage, type PlanLimits } from '../../storage/list-query.ts';
import { Store } from '../../storage/store.ts';
import { baseTime, sampleTraffic, subjects, tokenPrefixes } from '../../support/sample-traffic.ts';
import { flowHead } from '../../support/flow-head.ts';

const now = baseTime + 3 * 86_400_000;

interface Row {
  summary: ExchangeSummary;
  texts: string[];
  directions: Set<FrameDirection>;
}

const term = fc.oneof(
  fc.constantFrom('service:auth', 'service:INSTANCES', 'service:domains', 'service:nope', 'op:create', 'op:delete', 'op:7', 'op:"login"'),
  fc.constantFrom('kind:exec', 'kind:ws', 'kind:http'),
  fc.constantFrom('state:complete', 'state:pending', 'state:error', 'state:aborted', 'state:INTERRUPTED'),
  fc.constantFrom('error:any', 'error:expired_token', 'error:SE_INTERNAL_SERVER_ERROR', 'error:rate_limit_exceeded', 'error:12', 'error:unknown'),
  fc.constantFrom('status:200', 'status:5xx', 'status:>=400', 'status:<300', 'status:>500', 'status:4xx', 'status:101', 'status:<=204'),
  fc.constantFrom('trx:3f2a', 'trx:A1B2', 'trx:a1b2c3d4-0000', 'trx:7472', 'trx:""', 'trx:zz'),
  fc.constantFrom(...subjects.map((s) => `token:${s}`), 'token:CAROL_1', 'token:car', 'token:ali', 'token:b', 'token:eyJ', 'token:eyJhbGciOiJIUzI1NiJ9.e30.sig', 'token:opaque', 'token:"ab%"', 'token:ab%_\\x99'),
  fc.constantFrom(...tokenPrefixes.map((p) => `token:"${p.replace(/\\/g, '\\\\')}"`)),
  fc.constantFrom('path:exec', 'path:/WS', 'path:_', 'path:%', 'path:static', 'path:"x%y"'),
  fc.constantFrom('dir:client', 'dir:server'),
  fc.constantFrom('since:1d', 'since:36h', 'until:2d', 'until:12h', 'since:2026-01-16T00:00:00Z', 'until:2026-01-16T08:23:11.189Z', 'since:2026-01-16T08:23:11.189Z'),
  fc.constantFrom('size:>2kb', 'size:<1kb', 'size:>=4000', 'size:<=3.5kb', 'size:>10kb'),
  fc.constantFrom('dur:>200ms', 'dur:>=200ms', 'dur:<1s', 'dur:<=199.75ms', 'dur:1500', 'dur:>1.2s'),
  fc.constantFrom('problem:any', 'problem:varint', 'problem:"RUNS PAST"', 'problem:uuid', 'problem:%'),
  fc.constantFrom('replay:any', 'replay:2', 'replay:4', 'replay:999'),
  fc.constantFrom('instance', 'creation', 'CRÉATION', '"hello world"', '"world hello"', 'billing', 'web_01', 'quota', 'inst*', 'bi*', '"hello wor"*', '"web"*', 'névé', 'neve', '100', 'true', 'label', 'expired', '"se expired"', 'alice', 'login', 'refused'),
);

const filterText: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `${a} ${b}`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `${a} or ${b}`),
    tie('expr').map((a) => `-(${a})`),
    tie('expr').map((a) => `not (${a})`),
    tie('expr').map((a) => `(${a})`),
  ),
})).expr;

describe('filter compiled to SQL', () => {
  let dir: string;
  let store: Store;
  let reader: Database.Database;
  const rows: Row[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filter-sql-'));
    store = Store.open(path.join(dir, 'traffic.db'));
    for (const { record, frames } of sampleTraffic(400, 7)) {
      store.putExchange(flowHead(record));
      for (const frame of frames) store.putFrame(frame);
    }
    // The SQL below reads the search index directly, so it must have caught up.
    store.catchUp();
    reader = new Database(path.join(dir, 'traffic.db'), { readonly: true });
    const page = store.listExchanges({ limit: 1000 });
    for (const summary of page.items) {
      const detail = store.getExchange(summary.id)!;
      rows.push({
        summary,
        texts: detailSearchTexts(detail),
        directions: new Set(detail.frames.map((f) => f.direction)),
      });
    }
    assert.equal(page.next, null);
  });

  after(() => {
    reader.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Every id the filter selects in SQL, page by page, through the Store or with forced plan limits. */
  function allIds(filter: string, limits?: PlanLimits): number[] {
    const ids: number[] = [];
    let before: number | undefined;
    for (;;) {
      const items = limits
        ? queryPage((sql) => reader.prepare(sql), parseFilter(filter), { now, limit: 97, before }, limits)
        : store.listExchanges({ filter, now, limit: 97, before }).items;
      ids.push(...items.map((s) => s.id));
      if (items.length < 97) return ids;
      before = ids[ids.length - 1];
    }
  }

  /** Limits that make every term look common (walk in order) or rare (test candidates). */
  const walkEverything: PlanLimits = { fewRows: 1, textChunk: 3 };
  const testCandidatesAlways: PlanLimits = { fewRows: 1_000_000, textChunk: 500 };

  function memoryIds(filter: string): number[] {
    const tree = parseFilter(filter);
    return rows
      .filter((row) => matches(tree, row.summary, { now, text: row.texts, frameDirections: row.directions }))
      .map((row) => row.summary.id);
  }

  it('gives the same exchanges as the in-memory evaluation for generated filters', () => {
    fc.assert(
      fc.property(filterText, (filter) => {
        const expected = memoryIds(filter);
        assert.deepEqual(allIds(filter), expected, filter);
        assert.deepEqual(allIds(filter, walkEverything), expected, `${filter} (walking in order)`);
        assert.deepEqual(allIds(filter, testCandidatesAlways), expected, `${filter} (testing candidates)`);
      }),
      { numRuns: 200, seed: 20260115 },
    );
  });

  it('gives the same answer for every single term, each matching some but not all rows', () => {
    const alwaysEmpty = new Set(['service:nope', 'error:unknown', 'trx:zz', 'size:>10kb', 'problem:%', '"world hello"', 'replay:999']);
    const terms = fc.sample(term, { numRuns: 2000, seed: 1 });
    for (const filter of new Set(terms)) {
      const ids = allIds(filter);
      assert.deepEqual(ids, memoryIds(filter), filter);
      assert.deepEqual(allIds(filter, walkEverything), ids, `${filter} (walking in order)`);
      assert.deepEqual(allIds(filter, testCandidatesAlways), ids, `${filter} (testing candidates)`);
      if (!alwaysEmpty.has(filter)) assert.ok(ids.length > 0, `${filter} matched nothing: the dataset does not exercise it`);
      assert.ok(ids.length < rows.length, `${filter} matched everything`);
    }
  });

  it('passes user text to SQLite only as parameters', () => {
    const hostile = `path:"'; DROP TABLE exchanges; --" service:"x' OR '1'='1" "NEAR(a b)" token:"\\" OR 1"`;
    const condition = compileFilter(parseFilter(hostile), { now });
    assert.doesNotMatch(condition.sql, /DROP|NEAR|'1'/);
    assert.deepEqual(store.listExchanges({ filter: hostile, now }).items, []);
    assert.equal(store.stats().exchanges, 400);
  });

  it('answers filters at the nesting and term limits without SQLite refusing the expression', () => {
    const terms = fc.sample(term, { numRuns: maxFilterTerms, seed: 7 });
    const depth = maxFilterDepth / 2;
    const filters = [
      '-('.repeat(depth) + terms.join(' or ') + ')'.repeat(depth),
      'not '.repeat(maxFilterDepth - 1) + '(' + terms.join(' ') + ')',
      terms.slice(0, maxFilterDepth).reduceRight((inner, t, i) => `${t} ${i % 2 ? 'or' : 'and'} (${inner})`, 'kind:ws'),
    ];
    for (const filter of filters) {
      assert.doesNotThrow(() => parseFilter(filter));
      const expected = memoryIds(filter);
      assert.deepEqual(allIds(filter), expected);
      assert.deepEqual(allIds(filter, walkEverything), expected);
      assert.deepEqual(allIds(filter, testCandidatesAlways), expected);
    }
  });

  it('compiles a long pasted token to a bounded number of parameters, with the same answer', () => {
    const pasted = `token:${tokenPrefixes[2]}${'x'.repeat(9000)}`;
    const condition = compileFilter(parseFilter(pasted), { now });
    assert.ok(condition.params.length <= 2 + tokenPrefixLength, `${condition.params.length} parameters`);
    const ids = allIds(pasted);
    assert.ok(ids.length > 0);
    assert.deepEqual(ids, memoryIds(pasted));
    assert.deepEqual(allIds(`token:${'x'.repeat(9000)}`), []);
  });

  it('treats FTS5 syntax in a bare word as plain text', () => {
    for (const word of ['AND', '"a" OR "b"', 'col:instance', 'NEAR', '^instance', '"instance"*', 'instance+quota']) {
      const filter = word.startsWith('"') ? word : `"${word.replace(/"/g, '\\"')}"`;
      assert.deepEqual(allIds(filter), memoryIds(filter), filter);
      assert.deepEqual(allIds(filter, walkEverything), memoryIds(filter), filter);
    }
  });
});
