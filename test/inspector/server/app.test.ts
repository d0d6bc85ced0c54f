// The inspector server over a real SQLite file: REST pages, details, filter errors,
// the UI token on REST and socket.io, and live events.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import type { ExchangeDetail, ExchangePage, ExchangeSummary, LiveBatch } from '../../../model/types.ts';
import { Store } from '../../../storage/store.ts';
import { flowHead, type HeadFields } from '../../../support/flow-head.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import { LIVE_INTERVAL_MS } from '../../../inspector/server/live.ts';
import { unpackLiveBatch } from '../../../model/live-wire.ts';

function record(id: number, overrides: Partial<HeadFields> = {}): HeadFields {
  return {
    id, kind: 'exec', startedAt: Date.UTC(2026, 10, 27, 12, 0, id), endedAt: Date.UTC(2026, 10, 27, 12, 0, id) + 5,
    method: 'POST', path: '/exec', status: 200, service: 'instances', operation: 'list', trx: `trx-${id}`, errors: [],
    token: null, clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null,
    request: { headers: [['content-type', 'application/x-protobuf']], body: new Uint8Array([10, 1, id]), truncated: false, size: 3 },
    response: { headers: [], body: new Uint8Array([10, 1, id]), truncated: false, size: 3 },
    close: null,
    ...overrides,
  };
}

/** A summary as the recorder tells the live stream, with `fields` set. */
function liveSummary(fields: Partial<ExchangeSummary> & { id: number }): ExchangeSummary {
  return {
    kind: 'exec', startedAt: '2026-11-27T12:00:00.000Z', durationMs: null, method: 'POST', path: '/exec', status: null, service: null, operation: null,
    trx: null, errors: [], requestSize: 0, responseSize: 0, frames: 0, problems: [], state: 'pending', token: null, replayOf: null, rules: [], ...fields,
  };
}

describe('the inspector server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-inspector-server-'));
  let store: Store;
  let open: InspectorServer;
  let guarded: InspectorServer;
  const base = (s: InspectorServer) => `http://127.0.0.1:${s.address.port}`;

  before(async () => {
    store = Store.open(join(dir, 't.sqlite'));
    for (let i = 0; i < 5; i++) store.putExchange(flowHead(record(store.allocateExchangeId(), i === 3 ? { status: 401, errors: ['SE_EXPIRED_TOKEN_ERROR'] } : {})));
    store.flush();
    const log = () => undefined;
    open = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: null, log });
    guarded = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: 'sesame', log });
  });
  after(async () => {
    await open.close();
    await guarded.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('pages through exchanges newest first', async () => {
    const first = (await (await fetch(`${base(open)}/api/exchanges?limit=2`)).json()) as ExchangePage;
    assert.deepEqual(first.items.map((i) => i.trx), ['trx-5', 'trx-4']);
    const second = (await (await fetch(`${base(open)}/api/exchanges?limit=2&before=${first.next}`)).json()) as ExchangePage;
    assert.deepEqual(second.items.map((i) => i.trx), ['trx-3', 'trx-2']);
  });

  test('filters with the filter language and explains a malformed filter', async () => {
    const page = (await (await fetch(`${base(open)}/api/exchanges?filter=error:expired_token`)).json()) as ExchangePage;
    assert.deepEqual(page.items.map((i) => i.status), [401]);
    const bad = await fetch(`${base(open)}/api/exchanges?filter=${encodeURIComponent('status:')}`);
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: string; position: number };
    assert.equal(typeof body.position, 'number');
    assert.match(body.error, /status/);
  });

  test('answers 400 with the position for a filter past the nesting or term limits, never 500', async () => {
    const cases: [filter: string, position: number, error: string][] = [
      ['('.repeat(4990) + 'kind:ws' + ')'.repeat(4990), 64, 'at 64: the filter nests deeper than 64 levels'],
      ['not '.repeat(1000) + 'kind:ws', 256, 'at 256: the filter nests deeper than 64 levels'],
      [Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' or ').slice(0, 9000), 1938, 'at 1938: the filter has more than 256 terms'],
      ['kind:exec error:bogus', 16, 'at 16: expected any or a ServerError after "error:", one of SE_UNKNOWN_ERROR,'],
    ];
    for (const [filter, position, error] of cases) {
      const res = await fetch(`${base(open)}/api/exchanges?filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 400, filter.slice(0, 40));
      const body = (await res.json()) as { error: string; position: number };
      assert.equal(body.position, position);
      assert.ok(body.error.startsWith(error), body.error);
    }
  });

  test('returns one exchange in full, and a sentence for an unknown id or a bad limit', async () => {
    const detail = (await (await fetch(`${base(open)}/api/exchanges/1`)).json()) as ExchangeDetail;
    assert.equal(detail.request.body, Buffer.from([10, 1, 1]).toString('base64'));
    const missing = await fetch(`${base(open)}/api/exchanges/999`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /No exchange has id 999/);
    const badLimit = await fetch(`${base(open)}/api/exchanges?limit=abc`);
    assert.equal(badLimit.status, 400);
  });

  test('requires the token on REST and socket.io when one is set', async () => {
    assert.equal((await fetch(`${base(guarded)}/api/exchanges`)).status, 401);
    assert.equal((await fetch(`${base(guarded)}/api/exchanges`, { headers: { authorization: 'Bearer sesame' } })).status, 200);
    const refused = connect(base(guarded), { auth: { token: 'wrong' }, transports: ['websocket'], reconnection: false });
    const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
    assert.match(error.message, /token/);
    refused.close();
  });

  test('pushes what was recorded in one interval to connected browsers as one batch, frames counted into their summary; packed to a client that asks', async () => {
    const join = async (auth: Record<string, unknown>) => {
      const client = connect(base(guarded), { auth: { token: 'sesame', ...auth }, transports: ['websocket'], reconnection: false });
      await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('connect_error', reject));
      return client;
    };
    const plain = await join({});
    const packed = await join({ packed: true });
    const got: Record<'plain' | 'packed', LiveBatch[]> = { plain: [], packed: [] };
    const wrongForm: string[] = [];
    const seen = Promise.all([
      new Promise<void>((resolve) => plain.on('batch', (batch) => (got.plain.push(batch), resolve()))),
      new Promise<void>((resolve) => packed.on('packedBatch', (bytes) => (got.packed.push(unpackLiveBatch(bytes)), resolve()))),
    ]);
    plain.on('packedBatch', () => wrongForm.push('plain got packedBatch'));
    packed.on('batch', () => wrongForm.push('packed got batch'));
    const ws = liveSummary({ id: 42, kind: 'ws', frames: 1, requestSize: 60, responseSize: 0 });
    const frame = { seq: 1, direction: 'server', at: '2026-11-27T12:00:00.000Z', opcode: 2, size: 8, body: '', decoded: null, truncated: false } as const;
    guarded.live.exchange(ws);
    guarded.live.frame(42, frame);
    guarded.live.exchange(liveSummary({ id: 43, trx: 'live' }));
    guarded.live.frame(40, { ...frame, seq: 5 });
    await seen;
    await new Promise((resolve) => setTimeout(resolve, 2 * LIVE_INTERVAL_MS));
    plain.close();
    packed.close();
    assert.deepEqual(wrongForm, []);
    for (const batches of [got.plain, got.packed]) {
      assert.equal(batches.length, 1);
      assert.deepEqual(batches[0]!.exchanges, [{ ...ws, frames: 2, responseSize: 8 }, liveSummary({ id: 43, trx: 'live' })]);
      assert.deepEqual(batches[0]!.frames.map((f) => [f.exchangeId, f.frame.seq]), [[42, 1], [40, 5]]);
    }
    assert.deepEqual(got.packed, got.plain);
  });
});
