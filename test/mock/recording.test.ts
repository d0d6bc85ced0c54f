import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signJwt } from '../../demo/jwt.ts';
import { encodeMessage } from '../../demo/schema.ts';
import { loadRecording, type Recording } from '../../mock/recording.ts';
import { createCodec } from '../../proto/codec.ts';
import { flowHead, type HeadFields } from '../../support/flow-head.ts';
import { Store } from '../../storage/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-recording-'));
const db = join(dir, 'recorded.sqlite');
const t0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const alice = signJwt({ sub: 'alice', iat: 1, exp: 4102444800 }, 'secret');
const bob = signJwt({ sub: 'bob', iat: 1, exp: 4102444800 }, 'secret');

function exchange(id: number, kind: HeadFields['kind'], sub: string | null, start: number, end: number, extra: Partial<HeadFields> = {}, token?: string): HeadFields {
  const body = kind === 'exec' ? encodeMessage('ca2.ClientRequest', { trx: Buffer.from([id]), token, instances: { create: { name: `i-${id}` } } }) : new Uint8Array();
  return {
    id, kind, startedAt: t0 + start, endedAt: t0 + end, method: kind === 'exec' ? 'POST' : 'GET', path: kind === 'exec' ? '/exec' : '/ws',
    status: kind === 'ws' ? 101 : 200, service: null, operation: null, trx: null, errors: [], token: sub ? { prefix: 'eyJ', sub } : null,
    clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null, close: null,
    request: { headers: [], body, truncated: false, size: body.length },
    response: { headers: [], body: new Uint8Array([0x0a, 1, id]), truncated: false, size: 3 },
    ...extra,
  };
}

let recording: Recording;

before(() => {
  const store = Store.open(db);
  store.putExchange(flowHead(exchange(1, 'exec', 'alice', 0, 10))); // before the WebSocket opened
  store.putExchange(flowHead(exchange(2, 'ws', 'alice', 50, 1000, { close: { code: 4001, reason: 'bye', by: 'server', at: t0 + 1000 } })));
  store.putExchange(flowHead(exchange(3, 'exec', 'alice', 200, 300)));
  store.putExchange(flowHead(exchange(4, 'exec', 'bob', 400, 500))); // another user's call pushes nothing to alice
  store.putExchange(flowHead(exchange(5, 'exec', 'alice', 700, 800, { state: 'aborted' })));
  const frame = (seq: number, direction: 'client' | 'server', at: number, body: Uint8Array) =>
    store.putFrame({ exchangeId: 2, seq, direction, at: t0 + at, opcode: 2, size: body.length, body, truncated: false });
  frame(0, 'client', 60, encodeMessage('ca2.WsAuth', { token: alice }));
  frame(1, 'server', 61, encodeMessage('ca2.WsEvent', {}));
  frame(2, 'server', 250, encodeMessage('ca2.WsEvent', { errors: ['SE_UNKNOWN_ERROR'] }));
  frame(3, 'server', 350, encodeMessage('ca2.WsEvent', { errors: ['SE_INTERNAL_SERVER_ERROR'] }));
  frame(4, 'server', 600, encodeMessage('ca2.WsEvent', { errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] }));
  store.putExchange(flowHead(exchange(6, 'ws', 'bob', 2000, 3000)));
  store.putFrame({ exchangeId: 6, seq: 0, direction: 'client', at: t0 + 2001, opcode: 2, size: 0, body: encodeMessage('ca2.WsAuth', { token: bob }), truncated: false });
  // A token that is no JWT: its calls are told apart by the token itself.
  store.putExchange(flowHead(exchange(7, 'ws', null, 4000, 5000)));
  store.putFrame({ exchangeId: 7, seq: 0, direction: 'client', at: t0 + 4001, opcode: 2, size: 0, body: encodeMessage('ca2.WsAuth', { token: 'opaque' }), truncated: false });
  store.putExchange(flowHead(exchange(8, 'exec', null, 4100.6, 4200, {}, 'opaque')));
  store.putExchange(flowHead(exchange(9, 'exec', null, 4300, 4400, {}, 'another')));
  store.putFrame({ exchangeId: 7, seq: 1, direction: 'server', at: t0 + 4100, opcode: 2, size: 0, body: encodeMessage('ca2.WsEvent', {}), truncated: false });
  store.putFrame({ exchangeId: 7, seq: 2, direction: 'server', at: t0 + 4350, opcode: 2, size: 0, body: encodeMessage('ca2.WsEvent', {}), truncated: false });
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

before(() => {
  const store = Store.open(db);
  recording = loadRecording(store, createCodec(), { ignore: [] });
  store.close();
});

test('keys each complete /exec exchange and skips one that did not finish', () => {
  assert.equal(recording.execExchanges, 5);
  assert.equal(recording.exec.size, 5);
  assert.equal(recording.skipped, 1);
  assert.deepEqual([...recording.byOperation.keys()], ['instances.2']);
});

test('ties each server frame to the same user\'s /exec call that started last before it while the connection was open, ended or not', () => {
  const [session] = recording.sessions;
  assert.equal(session.sub, 'alice');
  assert.equal(session.token, alice);
  assert.equal(session.authAt, t0 + 60);
  assert.deepEqual(
    session.frames.map((f) => [f.at - t0, f.after?.execId ?? null]),
    [[61, null], [250, 3], [350, 3], [600, 3]],
  );
  assert.deepEqual(session.close, { code: 4001, reason: 'bye', at: t0 + 1000 });
});

test('leaves a session the client ended for the client to close', () => {
  assert.equal(recording.sessions[1].sub, 'bob');
  assert.equal(recording.sessions[1].close, null);
});

test('ties the frames of a token that is no JWT to the calls made with that token, a call and its event in the same millisecond', () => {
  const opaque = recording.sessions.find((s) => s.token === 'opaque')!;
  assert.equal(opaque.sub, null);
  assert.deepEqual(opaque.frames.map((f) => [f.at - t0, f.after?.execId ?? null]), [[4100, 8], [4350, 8]]);
});
