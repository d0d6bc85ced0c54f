// The recorder over the real codec and a real SQLite file: what the tap reports is decoded,
// checked, stored and announced.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExchangeSummary, WsFrame } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

/** Encodes with protoc and the demo's fuller schema, so the recorder's bundled one sees unknown inner fields. */
function protocEncode(type: string, text: string): Uint8Array {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], { cwd: projectRoot, input: text });
  if (out.error) throw new Error(`protoc is needed for this test: ${out.error.message}`);
  assert.equal(out.status, 0, String(out.stderr));
  return new Uint8Array(out.stdout);
}

// An unsigned JWT whose claims say sub usr_7, expired in 2001.
const expiredJwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ sub: 'usr_7', iat: 978307200, exp: 978310800 })).toString('base64url')}.sig`;

function flow(id: number, overrides: Partial<TappedFlow>): TappedFlow {
  return {
    id, source: 'live', kind: 'exec', startedAt: 1_800_000_000_000, endedAt: 1_800_000_000_012.5, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [['Content-Type', 'application/x-protobuf']], body: new Uint8Array(0), size: 0, truncated: false },
    response: null, error: null,
    ...overrides,
  };
}

describe('the recorder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-recorder-'));
  let store: Store;
  let recorder: Recorder;
  const announced: ExchangeSummary[] = [];
  const frames: WsFrame[] = [];

  before(() => {
    store = Store.open(join(dir, 'r.sqlite'));
    recorder = new Recorder(createCodec(), store);
    recorder.addListener({ exchange: (s) => announced.push(s), frame: (_id, f) => frames.push(f) });
  });
  after(() => {
    recorder.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('decodes an /exec exchange, runs the checks on it and stores it with its bytes', () => {
    const request = protocEncode('ca2.ClientRequest', `trx: "trx-aaaa" token: "${expiredJwt}" instances { create { name: "web" } }`);
    const response = protocEncode('ca2.ServerResponse', 'trx: "trx-bbbb" errors: SE_EXPIRED_TOKEN_ERROR');
    const tapped = flow(1, {
      request: { ...flow(1, {}).request, body: request, size: request.length },
      response: { status: 200, statusMessage: 'OK', headers: [['Content-Type', 'application/x-protobuf']], body: response, size: response.length, truncated: false },
    });
    recorder.requestStarted(tapped);
    assert.equal(announced.at(-1)!.state, 'pending', 'a pending row is announced at once');
    recorder.exchangeEnded(tapped);

    const row = store.listExchanges({ filter: 'trx:trx-aaaa' }).items[0];
    assert.ok(row, 'stored');
    assert.deepEqual(
      { service: row.service, operation: row.operation, errors: row.errors, state: row.state, durationMs: row.durationMs },
      { service: 'instances', operation: '2', errors: ['SE_EXPIRED_TOKEN_ERROR'], state: 'complete', durationMs: 12.5 },
    );
    assert.deepEqual(row.token, { prefix: expiredJwt.slice(0, 12), sub: 'usr_7', exp: 978310800, expired: true });
    assert.ok(row.problems.some((p) => /trx/.test(p) && /differs/.test(p)), `a trx mismatch is a problem: ${row.problems.join('; ')}`);
    assert.deepEqual(announced.at(-1), row, 'the live row is the stored row');
    const detail = store.getExchange(row.id)!;
    assert.deepEqual(Buffer.from(detail.request.body, 'base64'), Buffer.from(request));
    assert.ok(detail.request.decoded!.spans!.paths.includes('token'), 'spans are kept for the hex view');
  });

  test('records an exchange whose start it never saw from its end', () => {
    const body = protocEncode('ca2.ClientRequest', 'trx: "trx-late" auth { login {} }');
    recorder.exchangeEnded(flow(2, { request: { ...flow(2, {}).request, body, size: body.length }, error: { kind: 'upstream-unreachable', message: 'upstream 127.0.0.1:9 refused the connection (ECONNREFUSED)' } }));
    const row = store.listExchanges({ filter: 'trx:trx-late' }).items[0];
    assert.equal(row.state, 'error');
    assert.equal(store.getExchange(row.id)!.error, 'upstream 127.0.0.1:9 refused the connection (ECONNREFUSED)');
  });

  test('follows a WebSocket: token from WsAuth, errors from WsEvents, frames and the close', () => {
    const upgrade = flow(3, {
      kind: 'ws', endedAt: null,
      request: { ...flow(3, {}).request, method: 'GET', path: '/ws' },
      response: { status: 101, statusMessage: 'Switching Protocols', headers: [], body: new Uint8Array(0), size: 0, truncated: false },
    });
    recorder.requestStarted(upgrade);
    recorder.exchangeEnded(upgrade);
    const auth = protocEncode('ca2.WsAuth', `token: "${expiredJwt}"`);
    const failure = protocEncode('ca2.WsEvent', 'errors: SE_EXPIRED_TOKEN_ERROR');
    recorder.wsFrame({ flowId: 3, seq: 0, direction: 'client', at: 1_800_000_000_100, opcode: 2, body: auth, size: auth.length, truncated: false });
    recorder.wsFrame({ flowId: 3, seq: 1, direction: 'server', at: 1_800_000_000_110, opcode: 2, body: failure, size: failure.length, truncated: false });
    recorder.wsClosed({ ...upgrade, endedAt: 1_800_000_000_200 }, { flowId: 3, code: 1000, reason: 'bye', by: 'client', at: 1_800_000_000_200 });

    const row = store.listExchanges({ filter: 'kind:ws' }).items[0];
    assert.equal(row.frames, 2);
    assert.deepEqual(row.errors, ['SE_EXPIRED_TOKEN_ERROR']);
    assert.equal(row.token?.sub, 'usr_7');
    assert.ok(row.problems.some((p) => /open/.test(p)), `a server that left the connection open after errors is a problem: ${row.problems.join('; ')}`);
    const detail = store.getExchange(row.id)!;
    assert.equal(detail.frames[0].decoded!.json.token, expiredJwt);
    assert.deepEqual(detail.close, { code: 1000, reason: 'bye', by: 'client', at: new Date(1_800_000_000_200).toISOString() });
    assert.deepEqual(frames.map((f) => f.seq), [0, 1], 'frames are announced live');
  });

  test('records a 101 that selects none of the offered subprotocols as a problem of a connection that works', () => {
    const upgrade = flow(4, {
      kind: 'ws', endedAt: null,
      request: { ...flow(4, {}).request, method: 'GET', path: '/ws?sub', headers: [['Sec-WebSocket-Protocol', 'chat, superchat']] },
      response: { status: 101, statusMessage: 'Switching Protocols', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
    });
    recorder.requestStarted(upgrade);
    recorder.exchangeEnded(upgrade);
    const open = store.listExchanges({ filter: 'path:/ws?sub' }).items[0];
    assert.equal(open.state, 'pending');
    assert.deepEqual(open.problems, ["the client offered the subprotocols chat, superchat and the upstream's 101 selected none"]);
    recorder.wsClosed({ ...upgrade, endedAt: 1_800_000_000_300 }, { flowId: 4, code: 1000, reason: '', by: 'client', at: 1_800_000_000_300 });
    const closed = store.listExchanges({ filter: 'path:/ws?sub problem:subprotocols' }).items[0];
    assert.equal(closed.state, 'complete');
    assert.equal(store.getExchange(closed.id)!.error, null);
  });

  test("notes the row of each flow the proxy has open for the journal, and none for a replay's or an import's, whatever their ids", () => {
    const shared = new Recorder(createCodec(), store);
    try {
      const started: number[] = [];
      shared.addListener({ exchange: (s) => void started.push(s.id) });
      shared.requestStarted(flow(20, { endedAt: null }));
      shared.requestStarted(flow(-20, { source: 'replay', endedAt: null }));
      shared.requestStarted(flow(21, { source: 'replay', endedAt: null }));
      shared.requestStarted(flow(22, { source: 'import', endedAt: null }));
      assert.deepEqual(shared.openFlowRows(), [[20, started[0]]]);
    } finally {
      shared.stop();
    }
  });
});
