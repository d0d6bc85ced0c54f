import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { detailSearchTexts, matches } from '../../model/filter-match.ts';
import { maxFilterDepth, maxFilterTerms, parseFilter } from '../../model/filter.ts';
import { tokenPrefixLength, type ExchangeSummary, type FrameDirection, type JsonObject, type JsonValue, type MessageType } from '../../model/types.ts';
import { demoProtoDir } from '../../demo/paths.ts';
import { createCodec } from '../../proto/codec.ts';
import { compileFilter, narrowsOnly } from '../../storage/filter-sql.ts';
import { queryPage, type PlanLimits } from '../../storage/list-query.ts';
import { Store } from '../../storage/store.ts';
import { baseTime, pick, random, sampleTraffic, subjects, tokenPrefixes } from '../../support/sample-traffic.ts';
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

  /**
   * Every id the filter selects in SQL, page by page, through the Store or with forced plan
   * limits. Where SQL only narrows (a phrase), a forced plan's rows are then tested in
   * memory, as the Store tests them by decoding: a row SQL dropped stays missing.
   */
  function allIds(filter: string, limits?: PlanLimits): number[] {
    const ids: number[] = [];
    let before: number | undefined;
    for (;;) {
      const items = limits
        ? queryPage((sql) => reader.prepare(sql), parseFilter(filter), { now, limit: 97, before }, limits)
        : store.listExchanges({ filter, now, limit: 97, before }).items;
      ids.push(...items.map((s) => s.id));
      if (items.length < 97) break;
      before = ids[ids.length - 1];
    }
    if (limits === undefined || !narrowsOnly(parseFilter(filter))) return ids;
    const matching = new Set(memoryIds(filter));
    return ids.filter((id) => matching.has(id));
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

/** Decoded messages of the demo schema, drawn from small sets so that field: terms find some and miss some. */
function demoMessages(rng: () => number) {
  const maybe = <T>(p: number, make: () => T): T | undefined => (rng() < p ? make() : undefined);
  const some = <T>(max: number, make: () => T): T[] => Array.from({ length: Math.floor(rng() * (max + 1)) }, make);
  const amount = () => pick(rng, ['-5', '0', '42', '999', '1000', '1001', '9223372036854775807', '-9223372036854775808']);
  const currency = () => pick(rng, ['CURRENCY_UNSPECIFIED', 'CURRENCY_USD', 'CURRENCY_EUR']);
  const status = () => pick(rng, ['INSTANCE_STATUS_RUNNING', 'INSTANCE_STATUS_STOPPED', 'INSTANCE_STATUS_FAILED']);
  const error = () => pick(rng, ['SE_UNKNOWN_ERROR', 'SE_EXPIRED_TOKEN_ERROR', 'SE_RATE_LIMIT_EXCEEDED_ERROR']);
  const balance = () => ({ currency: currency(), amount: amount(), reserved: amount() });
  const instance = () => ({ name: pick(rng, ['web', 'db', 'web 01', 'x=y', '']), vcpus: pick(rng, [0, 1, 2, 4, 8]), status: status(), ipv4: some(2, () => pick(rng, ['10.0.0.1', '10.0.0.2'])) });
  const drop = (json: Record<string, unknown>): JsonObject => JSON.parse(JSON.stringify(json));
  return {
    ClientRequest: () =>
      drop({
        trx: maybe(0.7, () => pick(rng, ['AQID', 'AAAA', '+/8='])),
        token: maybe(0.5, () => pick(rng, ['alice', 'bob'])),
        billing: maybe(0.4, () => ({ top_up: { amount: amount(), currency: currency(), card_token: pick(rng, ['tok 1', 'tok_2']) } })),
        instances: maybe(0.4, () => ({ create: { name: instance().name, labels: maybe(0.5, () => ({ env: pick(rng, ['prod', 'dev']) })) } })),
      }),
    ServerResponse: () =>
      drop({
        trx: maybe(0.7, () => pick(rng, ['AQID', 'AAAA'])),
        errors: some(2, error),
        billing: maybe(0.4, () => ({ balance: { balances: some(3, balance) } })),
        instances: maybe(0.4, () => ({ list: { instances: some(3, instance), total: pick(rng, [0, 3, 12]) } })),
      }),
    WsAuth: () => drop({ token: pick(rng, ['alice', 'bob', '']) }),
    WsEvent: () =>
      drop({
        errors: some(1, error),
        billing: maybe(0.5, () => ({ balances: some(2, balance), payments: some(2, () => ({ amount: amount(), status: pick(rng, ['PAYMENT_STATUS_PENDING', 'PAYMENT_STATUS_SUCCEEDED']) })) })),
        instances: maybe(0.5, () => ({ updated_instances: some(2, instance) })),
      }),
  } satisfies Record<MessageType, () => JsonObject>;
}

const fieldTerm = fc.oneof(
  fc.constantFrom(
    'field:errors',
    'field:errors[0]',
    'field:errors[1]=SE_RATE_LIMIT_EXCEEDED_ERROR',
    'field:errors[*]=SE_EXPIRED_TOKEN_ERROR',
    'field:errors[*]!=SE_UNKNOWN_ERROR',
    'field:trx=AQID',
    'field:trx="+/8="',
    'field:token',
    'field:token=alice',
    'field:token=""',
    'field:billing',
    'field:nope.x',
    'field:instances.create.labels.env=prod',
  ),
  fc.constantFrom(
    'field:billing.top_up.amount>1000',
    'field:billing.top_up.amount<=-5',
    'field:billing.top_up.amount>=9223372036854775807',
    'field:billing.top_up.amount!=42',
    'field:billing.top_up.currency=CURRENCY_EUR',
    'field:billing.top_up.card_token="tok 1"',
    'field:billing.balance.balances[*].amount<0',
    'field:billing.balance.balances[*].amount=1000',
    'field:billing.balance.balances[0].currency!=CURRENCY_USD',
    'field:billing.balance.balances[2]',
    'field:billing.balances[*].amount>=999.5',
    'field:billing.payments[*].status=PAYMENT_STATUS_SUCCEEDED',
  ),
  fc.constantFrom(
    'field:instances.list.instances[*].vcpus>2',
    'field:instances.list.instances[*].vcpus=4.0',
    'field:instances.list.instances[1].name="web 01"',
    'field:instances.list.instances[*].name="x=y"',
    'field:instances.list.instances[*].ipv4[*]=10.0.0.2',
    'field:instances.list.total<12',
    'field:instances.updated_instances[*].status=INSTANCE_STATUS_FAILED',
    'field:instances.create.name=db',
  ),
);

const withFields = fc.oneof(fieldTerm, fieldTerm, term);

const fieldFilterText: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    withFields,
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `${a} ${b}`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `${a} or ${b}`),
    tie('expr').map((a) => `-(${a})`),
    tie('expr').map((a) => `not (${a})`),
  ),
})).expr;

describe('field: terms in stored search', () => {
  let dir: string;
  let store: Store;
  /** The same traffic with the search index not yet written: bare words are answered by decoding. */
  let behind: Store;
  let reader: Database.Database;
  const rows: (Row & { messages: JsonValue[] })[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filter-sql-fields-'));
    const codec = createCodec({ protoPaths: [demoProtoDir] });
    store = Store.open(path.join(dir, 'traffic.db'), { codec });
    behind = Store.open(path.join(dir, 'behind.db'), { codec, idleAfterMs: 60_000 });
    const rng = random(20);
    const make = demoMessages(rng);
    const encode = (type: MessageType) => codec.encode(type, make[type]());
    for (const { record, frames } of sampleTraffic(300, 11)) {
      if (record.kind === 'exec') {
        record.request.body = encode('ClientRequest');
        record.request.size = record.request.body.length;
        if (record.response && rng() < 0.9) record.response.body = encode('ServerResponse');
      }
      if (record.response) record.response.size = record.response.body.length + (record.response.truncated ? 5000 : 0);
      for (const frame of frames) {
        if (rng() < 0.9) frame.body = encode(frame.direction === 'client' ? 'WsAuth' : 'WsEvent');
        frame.size = frame.body.length;
      }
      for (const s of [store, behind]) {
        s.putExchange(flowHead(record));
        for (const frame of frames) s.putFrame(frame);
      }
    }
    store.catchUp();
    reader = new Database(path.join(dir, 'traffic.db'), { readonly: true });
    for (const summary of store.listExchanges({ limit: 1000 }).items) {
      const detail = store.getExchange(summary.id)!;
      const messages = [detail.request, detail.response, ...detail.frames].flatMap((m) => (m?.decoded ? [m.decoded.json] : []));
      rows.push({ summary, texts: detailSearchTexts(detail), directions: new Set(detail.frames.map((f) => f.direction)), messages });
    }
  });

  after(() => {
    reader.close();
    store.close();
    behind.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function storedIds(filter: string, from = store): number[] {
    const ids: number[] = [];
    for (let before: number | undefined; ; ) {
      const { items, next } = from.listExchanges({ filter, now, limit: 37, before });
      ids.push(...items.map((s) => s.id));
      if (next === null) return ids;
      before = next;
    }
  }

  function memoryIds(filter: string): number[] {
    const tree = parseFilter(filter);
    return rows
      .filter((row) => matches(tree, row.summary, { now, text: row.texts, frameDirections: row.directions, messages: row.messages }))
      .map((row) => row.summary.id);
  }

  /** SQL alone, under each plan: it may only narrow, so every row that matches must be among its rows. */
  function assertSqlKeeps(filter: string, expected: number[]): void {
    for (const limits of [undefined, { fewRows: 1, textChunk: 3 }, { fewRows: 1_000_000, textChunk: 500 }]) {
      const kept = new Set(queryPage((sql) => reader.prepare(sql), parseFilter(filter), { now, limit: 1000 }, limits).map((r) => r.id));
      for (const id of expected) assert.ok(kept.has(id), `${filter}: SQL dropped exchange ${id}, which matches (plan ${JSON.stringify(limits)})`);
    }
  }

  it('gives the same exchanges as the in-memory evaluation on the decoded messages, under and, or and not', () => {
    fc.assert(
      fc.property(fieldFilterText, fc.subarray(rows.map((r) => r.summary.id)), (filter, some) => {
        const expected = memoryIds(filter);
        assert.deepEqual(storedIds(filter), expected, filter);
        assertSqlKeeps(filter, expected);
        const asked = store.listExchanges({ filter, now, ids: some }).items.map((s) => s.id);
        assert.deepEqual(asked, expected.filter((id) => some.includes(id)), `${filter}, asked for ${some.length} ids`);
      }),
      { numRuns: 200, seed: 20260116 },
    );
  });

  it('gives the same answer for every field: term alone and negated, each matching some but not all rows', () => {
    // proto3 leaves an empty string out of the bytes, so the decoded message never has one.
    const alwaysEmpty = new Set(['field:nope.x', 'field:token=""']);
    for (const filter of new Set(fc.sample(fieldTerm, { numRuns: 1000, seed: 2 }))) {
      const ids = storedIds(filter);
      assert.deepEqual(ids, memoryIds(filter), filter);
      assert.deepEqual(storedIds(`-${filter}`), memoryIds(`-${filter}`), `-${filter}`);
      if (!alwaysEmpty.has(filter)) assert.ok(ids.length > 0, `${filter} matched nothing: the messages do not exercise it`);
      assert.ok(ids.length < rows.length, `${filter} matched everything`);
    }
  });

  it('gives the same answers while the search index is behind, bare words and field: terms together', () => {
    behind.flush();
    assert.ok(behind.stats().unindexed >= rows.length, 'every exchange of the second store waits for the search index');
    fc.assert(
      fc.property(fc.tuple(fieldFilterText, term), ([filter, word]) => {
        for (const f of [`${filter} ${word}`, `${word} or (${filter})`]) assert.deepEqual(storedIds(f, behind), memoryIds(f), f);
      }),
      { numRuns: 60, seed: 20260117 },
    );
  });
});
