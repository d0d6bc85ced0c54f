// Store.flow and Store.flows: the one way everything below the REST API reads stored
// traffic, as the flows that were written (model/flow.ts).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterError } from '../../model/filter-error.ts';
import Database from 'better-sqlite3';
import { flowSql } from '../../storage/rows.ts';
import { flowRowReader } from '../../storage/flow-row-reader.ts';
import { Store } from '../../storage/store.ts';
import { flowHead, type HeadFields } from '../../support/flow-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-flows-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function record(id: number, kind: HeadFields['kind'], extra: Partial<HeadFields> = {}): HeadFields {
  return {
    id, kind, startedAt: 1_000 + id + 0.25, endedAt: 1_005.5 + id, method: 'POST', path: '/exec', status: 200, service: id % 2 ? 'auth' : 'billing',
    operation: 'x', trx: null, errors: [], token: { prefix: 'eyJ', sub: `user-${id}` }, clientAddress: '127.0.0.1', state: 'complete',
    problems: [], error: null, close: null,
    request: { headers: [['Content-Type', 'application/x-protobuf']], body: new Uint8Array([id, 0xff]), truncated: false, size: 2 },
    response: { headers: [['X-A', '1'], ['x-a', '2']], body: new Uint8Array([0, id]), truncated: id === 3, size: 2 },
    ...extra,
  };
}

test('reads back the flow that was written, headers, bytes, times and frames as they were', () => {
  const store = Store.open(join(dir, 'a.sqlite'));
  const ws = flowHead(record(5, 'ws', { method: 'GET', path: '/ws', status: 101, close: { code: 4001, reason: 'bye', by: 'server', at: 1_010.125 } }));
  store.putExchange(ws);
  store.putFrame({ exchangeId: 5, seq: 0, direction: 'client', at: 1_007.5, opcode: 2, body: new Uint8Array([1, 2]), size: 2, truncated: false });
  store.putFrame({ exchangeId: 5, seq: 1, direction: 'server', at: 1_008.75, opcode: 1, body: new TextEncoder().encode('hi'), size: 9, truncated: true });
  const flow = store.flow(5)!;
  assert.deepEqual({ ...flow, request: { ...flow.request, body: [...flow.request.body] }, frames: flow.frames.map((f) => ({ ...f, body: [...f.body] })), response: flow.response && { ...flow.response, body: [...flow.response.body] } }, {
    ...ws,
    request: { ...ws.request, body: [5, 0xff] },
    response: { ...ws.response!, body: [0, 5] },
    frames: [
      { seq: 0, direction: 'client', at: 1_007.5, opcode: 2, body: [1, 2], size: 2, truncated: false },
      { seq: 1, direction: 'server', at: 1_008.75, opcode: 1, body: [104, 105], size: 9, truncated: true },
    ],
  });
  assert.equal(store.flow(99), null);
  store.close();
});

test('flows come one at a time, newest first or oldest first, selected by the filter language or by id', () => {
  const store = Store.open(join(dir, 'b.sqlite'));
  for (const id of [3, 1, 2]) store.putExchange(flowHead(record(id, 'exec')));
  store.putExchange(flowHead(record(4, 'http', { response: null, status: null, state: 'error', error: 'upstream refused' })));
  assert.deepEqual([...store.flows()].map((f) => f.id), [4, 3, 2, 1]);
  assert.deepEqual([...store.flows({ order: 'oldest' })].map((f) => f.id), [1, 2, 3, 4]);
  assert.deepEqual([...store.flows({ filter: 'service:auth kind:exec', order: 'oldest' })].map((f) => f.id), [1, 3]);
  assert.deepEqual([...store.flows({ ids: [4, 2, 2, 77], order: 'oldest' })].map((f) => f.id), [2, 4], 'an id not stored is left out');
  const failed = store.flow(4)!;
  assert.equal(failed.response, null);
  assert.deepEqual(failed.error, { kind: 'proxy-error', message: 'upstream refused' });
  assert.equal(store.flow(3)!.response!.truncated, true);
  assert.throws(() => [...store.flows({ filter: 'status:' })], FilterError);
  store.close();
});

test('a flow row is read with every column and value better-sqlite3 gives it, original versions and absent ones alike', () => {
  const file = join(dir, 'row-reader.sqlite');
  const store = Store.open(file);
  store.putExchange(flowHead(record(1, 'exec', { error: 'ECONNRESET: the upstream reset the connection' })));
  store.putExchange(flowHead(record(2, 'exec', { response: null, status: null, endedAt: null, state: 'pending' } as Partial<HeadFields>)));
  const empty = { headers: [], body: new Uint8Array(0), truncated: false, size: 0 };
  store.putExchange(flowHead(record(3, 'http', { request: empty, response: empty })));
  store.putExchange(flowHead(record(4, 'http')));
  store.close();
  // Bodies read together (storage/rows.ts) and apart: a text value, as a file from elsewhere could hold, is read as it is.
  const writable = new Database(file);
  writable.prepare("UPDATE exchange_bodies SET request_body = 'héllo' WHERE id = 4").run();
  writable.close();
  const db = new Database(file, { readonly: true });
  try {
    const read = flowRowReader(db);
    for (const id of [1, 2, 3, 4]) assert.deepEqual(read(id), db.prepare(flowSql).get(id));
    assert.equal(typeof read(4)!.request_body, 'string');
    assert.deepEqual([...read(1)!.response_body!], [0, 1]);
    assert.equal(read(5), undefined);
  } finally {
    db.close();
  }
});

test('named flows read in one walk of the rows are those read one by one, and only those asked for', () => {
  const store = Store.open(join(dir, 'walk.sqlite'));
  for (const id of [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]) {
    store.putExchange(flowHead(id === 6 ? record(6, 'ws', { method: 'GET', path: '/ws', status: 101 }) : record(id, id === 7 ? 'http' : 'exec')));
  }
  store.putFrame({ exchangeId: 6, seq: 0, direction: 'client', at: 1_007.5, opcode: 2, body: new Uint8Array([1, 2]), size: 2, truncated: false });
  const oneByOne = (ids: number[]) => ids.flatMap((id) => store.namedFlows([id]));
  // Rising with few gaps: read in one walk, which passes over 9 (stored, not asked for) and 4 (asked for, not stored).
  const asked = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11];
  const walked = store.namedFlows(asked);
  assert.deepEqual(walked.map((f) => f.id), [1, 2, 3, 5, 6, 7, 8, 10, 11]);
  assert.deepEqual(walked, oneByOne(asked));
  assert.deepEqual(walked[4].frames.map((f) => [...f.body]), [[1, 2]]);
  assert.ok(walked.every((f) => f.identity !== undefined && f.identity.endsWith(`/${f.id}@${Math.trunc(f.startedAt)}`)));
  // In any other order, or far apart, each is read by its id, in the order asked.
  assert.deepEqual(store.namedFlows([12, 1, 6]).map((f) => f.id), [12, 1, 6]);
  assert.deepEqual(store.namedFlows([1, 12]), oneByOne([1, 12]));
  store.close();
});
