// The live stream's packed batches (model/live-wire.ts): what the server packs, a browser unpacks the same.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExchangeSummary, LiveBatch } from '../../model/types.ts';
import { packLiveBatch, unpackLiveBatch } from '../../model/live-wire.ts';

describe('packed live batches', () => {
  it('unpacks to the batch that was packed, every summary field and frame kept', () => {
    // Each field a value of its own, so a field packed in another's place shows.
    const summary: ExchangeSummary = {
      id: 12, kind: 'exec', startedAt: '2026-12-07T05:38:25.890Z', durationMs: 2.5, method: 'POST', path: '/exec?x=é', status: 200,
      service: 'billing', operation: 'get_balance', trx: '30313233-3435-3637-3839-616263646566', errors: ['SE_UNKNOWN_ERROR'],
      requestSize: 68, responseSize: 284, frames: 3, problems: ['trx differs'], state: 'complete', token: { prefix: 'tttt' },
      replayOf: 4, rules: ['every answer'],
    };
    const pending: ExchangeSummary = { ...summary, id: 13, durationMs: null, status: null, service: null, operation: null, trx: null, errors: [], problems: [], state: 'pending', token: null, replayOf: null, rules: [] };
    const batch: LiveBatch = {
      exchanges: [summary, pending],
      frames: [{ exchangeId: 9, frame: { seq: 1, direction: 'server', at: summary.startedAt, opcode: 2, size: 8, body: 'AAE=', decoded: null, truncated: false } }],
    };
    const bytes = new TextEncoder().encode(packLiveBatch(batch));
    assert.deepEqual(unpackLiveBatch(bytes), batch);
    assert.deepEqual(unpackLiveBatch(bytes.buffer), batch);
    assert.deepEqual(Object.keys(unpackLiveBatch(bytes).exchanges[0]!).sort(), Object.keys(summary).sort());
  });
});
