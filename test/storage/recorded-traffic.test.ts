import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterError } from '../../model/filter.ts';
import type { ExchangeRecord } from '../../storage/records.ts';
import { Store } from '../../storage/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-recorded-traffic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function record(id: number, kind: ExchangeRecord['kind'], extra: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    id, kind, startedAt: 1_000 + id, endedAt: 1_005.5 + id, method: 'POST', path: '/exec', status: 200, service: id % 2 ? 'auth' : 'billing',
    operation: 'x', trx: null, errors: [], token: { prefix: 'eyJ', sub: `user-${id}` }, clientAddress: '127.0.0.1', state: 'complete',
    problems: [], error: null, close: null,
    request: { headers: [['Content-Type', 'application/x-protobuf']], body: new Uint8Array([id, 0xff]), truncated: false, size: 2 },
    response: { headers: [['X-A', '1'], ['x-a', '2']], body: new Uint8Array([0, id]), truncated: id === 3, size: 2 },
    ...extra,
  };
}

test('reads every exchange oldest first with its raw bodies and headers, selected by the filter language', () => {
  const store = Store.open(join(dir, 'a.sqlite'));
  for (const id of [3, 1, 2]) store.putExchange(record(id, 'exec'));
  store.putExchange(record(4, 'http', { response: null, status: null, state: 'error' }));
  const all = [...store.recordedExchanges()];
  assert.deepEqual(all.map((e) => e.id), [1, 2, 3, 4]);
  assert.deepEqual(all[0], {
    id: 1, kind: 'exec', method: 'POST', path: '/exec', status: 200, state: 'complete', startedAt: 1_001, endedAt: 1_006.5, tokenSub: 'user-1',
    request: { headers: [['Content-Type', 'application/x-protobuf']], body: Buffer.from([1, 0xff]), truncated: false },
    response: { headers: [['X-A', '1'], ['x-a', '2']], body: Buffer.from([0, 1]), truncated: false },
  });
  assert.equal(all[2].response?.truncated, true);
  assert.equal(all[3].response, null);
  assert.deepEqual([...store.recordedExchanges({ filter: 'service:auth kind:exec' })].map((e) => e.id), [1, 3]);
  assert.throws(() => store.recordedExchanges({ filter: 'status:' }), FilterError);
  store.close();
});
