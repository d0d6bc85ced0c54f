// POST /api/exchanges/:id/replay on the inspector server, with the recorder and store
// the live traffic goes into, against the demo server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemoServer, type DemoServer } from '../../../demo/server.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import type { ExchangeDetail, JsonObject } from '../../../model/types.ts';
import { startProxy, type ProxyServer } from '../../../proxy/server.ts';
import { Tap } from '../../../proxy/tap.ts';
import { Recorder } from '../../../recorder/recorder.ts';
import { ReplayService } from '../../../replay/service.ts';
import { Store } from '../../../storage/store.ts';
import { demoCodec, exec, login, tempDb, wsSession } from '../../replay/support.ts';

describe('POST /api/exchanges/:id/replay', () => {
  let demo: DemoServer;
  let store: Store;
  let recorder: Recorder;
  let proxy: ProxyServer;
  let replay: ReplayService;
  let inspector: InspectorServer;
  let api: string;
  const ids = { servers: 0, ws: 0 };

  before(async () => {
    demo = await startDemoServer({ rateLimit: false, billingIntervalMs: 3_600_000 });
    store = Store.open(tempDb());
    recorder = new Recorder(demoCodec, store);
    const tap = new Tap();
    tap.add(recorder);
    proxy = await startProxy({ upstream: demo.url, listen: { host: '127.0.0.1', port: 0 }, tap });
    const proxyUrl = new URL(`http://127.0.0.1:${proxy.address.port}`);
    const token = await login(proxyUrl);
    await exec(proxyUrl, { servers: { list: {} } }, token);
    await wsSession(proxyUrl, token);
    replay = new ReplayService({ codec: demoCodec, store, recorder, upstream: demo.url });
    inspector = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: null, log: () => undefined, replay });
    api = `http://127.0.0.1:${inspector.address.port}/api`;
    const items = store.listExchanges({}).items;
    ids.servers = items.find((s) => s.service === 'servers')!.id;
    ids.ws = items.find((s) => s.kind === 'ws')!.id;
  });

  after(async () => {
    await inspector.close();
    await replay.close();
    await proxy.close(1_000);
    recorder.stop();
    store.close();
    await demo.close();
  });

  const post = (id: number | string, body: unknown) =>
    fetch(`${api}/exchanges/${id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('resends with the defaults and answers the new id, the original and no differences', async () => {
    const res = await post(ids.servers, {});
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { id: number; replayOf: number; diff: unknown[] };
    assert.deepEqual(Object.keys(answer), ['id', 'replayOf', 'diff']);
    assert.equal(answer.replayOf, ids.servers);
    assert.deepEqual(answer.diff, []);
    const detail = (await (await fetch(`${api}/exchanges/${answer.id}`)).json()) as ExchangeDetail;
    assert.equal(detail.replayOf, ids.servers);
  });

  test('an edited body goes out encoded, and its answer is compared', async () => {
    const original = (await (await fetch(`${api}/exchanges/${ids.servers}`)).json()) as ExchangeDetail;
    const json = structuredClone(original.request.decoded!.json) as JsonObject;
    json.token = 'not-a-token';
    const answer = (await (await post(ids.servers, { body: { json }, trx: 'keep' })).json()) as { id: number; diff: { path: string }[] };
    const sent = (await (await fetch(`${api}/exchanges/${answer.id}`)).json()) as ExchangeDetail;
    assert.deepEqual(sent.request.decoded!.json, json);
    assert.ok(answer.diff.some((d) => d.path === 'errors'));
  });

  test('a bad edit is a 400 naming the path and the reason, and nothing is sent', async () => {
    const before = store.listExchanges({ filter: `replay:${ids.servers}` }).items.length;
    const res = await post(ids.servers, { body: { json: { servers: { list: { region: 12 } } } } });
    assert.equal(res.status, 400);
    const answer = (await res.json()) as { error: string; problems: { path: string; reason: string }[] };
    assert.match(answer.error, /servers\.list\.region: expected a string, got 12/);
    assert.deepEqual(answer.problems, [{ path: 'servers.list.region', reason: 'expected a string, got 12' }]);
    assert.equal(store.listExchanges({ filter: `replay:${ids.servers}` }).items.length, before);
  });

  test('malformed options are 400 sentences; an unknown exchange is a 404', async () => {
    const badTrx = await post(ids.servers, { trx: 'fresh' });
    assert.equal(badTrx.status, 400);
    assert.deepEqual(await badTrx.json(), { error: 'trx must be "new" or "keep".' });
    const badBody = await post(ids.servers, { body: { text: 'x' } });
    assert.equal(badBody.status, 400);
    const notJson = await fetch(`${api}/exchanges/${ids.servers}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /not JSON/);
    assert.equal((await post(424242, {})).status, 404);
  });

  test('a WebSocket exchange replays on a new connection', async () => {
    const answer = (await (await post(ids.ws, { timing: 'none' })).json()) as { id: number; replayOf: number; diff: unknown[] };
    assert.equal(answer.replayOf, ids.ws);
    assert.deepEqual(answer.diff, []);
    const detail = (await (await fetch(`${api}/exchanges/${answer.id}`)).json()) as ExchangeDetail;
    assert.equal(detail.kind, 'ws');
    assert.ok(detail.frames.length >= 2);
  });
});
