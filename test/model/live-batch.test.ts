// Collecting live events into batches (model/live-batch.ts), as the inspector server and the browser both do.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExchangeSummary, WsFrame } from '../../model/types.ts';
import { countFrame, LiveBatchBuilder } from '../../model/live-batch.ts';

function summary(id: number, fields: Partial<ExchangeSummary> = {}): ExchangeSummary {
  return {
    id, kind: 'ws', startedAt: '2025-01-01T12:00:00.000Z', durationMs: null, method: 'GET', path: '/ws', status: 101,
    service: null, operation: null, trx: null, errors: [], requestSize: 0, responseSize: 0, frames: 0, problems: [],
    state: 'pending', token: null, replayOf: null, rules: [], ...fields,
  };
}

function frame(seq: number, direction: 'client' | 'server', at: string, fields: Partial<WsFrame> = {}): WsFrame {
  return { seq, direction, at, opcode: 2, size: 3, body: '', decoded: null, truncated: false, ...fields };
}

describe('live batches', () => {
  const at = '2025-01-01T12:00:00.000Z';
  const ws = (fields: Partial<ExchangeSummary> = {}) => summary(7, { kind: 'ws', state: 'pending', frames: 1, requestSize: 50, responseSize: 0, ...fields });

  it('counts a frame into the summary held in the batch, and leaves the others to the receiver', () => {
    const builder = new LiveBatchBuilder();
    builder.frame({ exchangeId: 7, frame: frame(1, 'server', at, { size: 10 }) });
    builder.exchange(ws({ frames: 2, responseSize: 10 }));
    builder.frame({ exchangeId: 7, frame: frame(2, 'server', at, { size: 5 }) });
    builder.frame({ exchangeId: 8, frame: frame(0, 'client', at) });
    const batch = builder.take();
    assert.deepEqual(batch.exchanges.map((s) => [s.id, s.frames, s.responseSize]), [[7, 3, 15]]);
    assert.deepEqual(batch.frames.map((f) => f.frame.seq), [1, 2, 0]);
    assert.equal(builder.isEmpty, true);
  });

  it('merges batches so that what a later summary already counts is not counted twice', () => {
    const builder = new LiveBatchBuilder();
    builder.add({ exchanges: [ws()], frames: [] });
    builder.add({ exchanges: [], frames: [{ exchangeId: 7, frame: frame(1, 'server', at) }] });
    assert.equal(builder.take().exchanges[0]?.frames, 2);
    builder.add({ exchanges: [], frames: [{ exchangeId: 7, frame: frame(2, 'server', at) }] });
    builder.add({ exchanges: [ws({ frames: 4 })], frames: [{ exchangeId: 7, frame: frame(3, 'server', at) }] });
    const batch = builder.take();
    assert.equal(batch.exchanges[0]?.frames, 4);
    assert.equal(batch.frames.length, 2);
  });

  it('counts client frames toward the request and server frames toward the response', () => {
    const counted = countFrame(ws(), { exchangeId: 7, frame: frame(1, 'client', at, { size: 9 }) });
    assert.deepEqual([counted.frames, counted.requestSize, counted.responseSize], [2, 59, 0]);
  });
});
