import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { encodeMessage } from '../../demo/schema.ts';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';
import type { JsonObject } from '../../model/types.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Replayer, ReplayError } from '../../replay/replayer.ts';
import { ReplayTarget } from '../../replay/target.ts';
import { Store } from '../../storage/store.ts';
import { demoCodec, exec, login, recordThrough, tempDb, wsSession } from './support.ts';

/** An upstream that keeps every /exec body it gets and answers what the test says. */
async function capturingUpstream(answer: () => Uint8Array, contentType: string | null = 'application/x-protobuf') {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, contentType === null ? {} : { 'content-type': contentType });
      res.end(answer());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: new URL(`http://127.0.0.1:${port}`), bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('replaying one exchange', () => {
  let demo: DemoServer;
  let store: Store;
  let ids: { login: number; servers: number; ws: number; garbage: number };
  const garbage = Buffer.from([0x0a, 0x7f, 0x01, 0x02]);

  before(async () => {
    demo = await startDemoServer({ rateLimit: false, billingIntervalMs: 3_600_000 });
    const db = tempDb();
    const recording = await recordThrough(demo.url, db);
    const token = await login(recording.url);
    await exec(recording.url, { servers: { list: {} } }, token);
    await wsSession(recording.url, token);
    await fetch(new URL('/exec', recording.url), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: garbage });
    await recording.close();
    store = Store.open(db, { codec: demoCodec });
    const items = store.listExchanges({}).items;
    ids = {
      login: items.find((s) => s.operation === 'login')!.id,
      servers: items.find((s) => s.service === 'servers')!.id,
      ws: items.find((s) => s.kind === 'ws')!.id,
      garbage: items.find((s) => s.kind === 'exec' && s.problems.length > 0)!.id,
    };
  });

  after(async () => {
    store.close();
    await demo.close();
  });

  async function withReplayer<T>(upstream: URL, run: (replayer: Replayer) => Promise<T>): Promise<T> {
    const recorder = new Recorder(demoCodec, store);
    const target = await ReplayTarget.start({ upstream, recorder });
    try {
      return await run(new Replayer(demoCodec, store, target));
    } finally {
      await target.close();
      recorder.stop();
    }
  }

  test('an /exec call replays with a new trx, is recorded as a replay of the original, and answers the same', async () => {
    const outcome = await withReplayer(demo.url, (r) => r.replay(ids.servers));
    assert.deepEqual(outcome.diff, []);
    assert.equal(outcome.error, null);
    assert.equal(outcome.replayOf, ids.servers);
    const replay = store.getExchange(outcome.id)!;
    assert.equal(replay.replayOf, ids.servers);
    assert.equal(replay.service, 'servers');
    assert.notEqual(replay.trx, store.getExchange(ids.servers)!.trx);
    assert.deepEqual(store.listExchanges({ filter: `replay:${ids.servers}` }).items.map((s) => s.id), [outcome.id]);
  });

  test('trx "keep" sends the recorded bytes unchanged', async () => {
    const upstream = await capturingUpstream(() => encodeMessage('ca2.ServerResponse', {}));
    try {
      await withReplayer(upstream.url, (r) => r.replay(ids.servers, { trx: 'keep' }));
      assert.deepEqual(upstream.bodies[0], Buffer.from(store.getExchange(ids.servers)!.request.body, 'base64'));
    } finally {
      await upstream.close();
    }
  });

  test('an edited body reaches the upstream as the encoding of the edited JSON', async () => {
    const upstream = await capturingUpstream(() => encodeMessage('ca2.ServerResponse', {}));
    try {
      const original = store.getExchange(ids.servers)!;
      const json = structuredClone(original.request.decoded!.json) as JsonObject;
      (json.servers as JsonObject).list = { region: 'eu-west' };
      await withReplayer(upstream.url, (r) => r.replay(ids.servers, { trx: 'keep', body: { json } }));
      const sent = upstream.bodies[0];
      assert.deepEqual(sent, Buffer.from(demoCodec.encode('ClientRequest', json)));
      assert.deepEqual(demoCodec.decode('ClientRequest', sent).json, json);
    } finally {
      await upstream.close();
    }
  });

  test('an edit that does not fit the schema, or bytes that are not padded base64, are refused with a sentence, and nothing is sent', async () => {
    const upstream = await capturingUpstream(() => encodeMessage('ca2.ServerResponse', {}));
    try {
      const json = { servers: { list: { region: 12 } } };
      await assert.rejects(
        withReplayer(upstream.url, (r) => r.replay(ids.servers, { body: { json } })),
        (err: unknown) => err instanceof ReplayError && err.status === 400 && /servers\.list\.region: expected a string, got 12/.test(err.message),
      );
      // Unpadded, "A" read as no bytes at all, and an empty request went out.
      await assert.rejects(
        withReplayer(upstream.url, (r) => r.replay(ids.servers, { body: { base64: 'A' } })),
        (err: unknown) => err instanceof ReplayError && err.status === 400 && /body\.base64 is not base64 \(.*multiple of 4/.test(err.message),
      );
      assert.equal(upstream.bodies.length, 0);
    } finally {
      await upstream.close();
    }
  });

  test('a changed answer is reported with its field path', async () => {
    const upstream = await capturingUpstream(() =>
      encodeMessage('ca2.ServerResponse', { servers: { list: { servers: [{ id: 'srv-x', region: 'mars' }] } } }),
    );
    try {
      const outcome = await withReplayer(upstream.url, (r) => r.replay(ids.servers));
      assert.ok(outcome.diff.length > 0);
      assert.ok(outcome.diff.some((d) => d.path === 'servers.list.servers[0].id' && d.change === 'changed' && d.after === 'srv-x'), JSON.stringify(outcome.diff));
      assert.ok(outcome.diff.every((d) => d.path !== 'trx'));
    } finally {
      await upstream.close();
    }
  });

  test('an answer with no content type is compared as a ServerResponse, as the recording and the list read it', async () => {
    const upstream = await capturingUpstream(() => encodeMessage('ca2.ServerResponse', { servers: { list: { servers: [{ id: 'srv-y' }] } } }), null);
    try {
      const outcome = await withReplayer(upstream.url, (r) => r.replay(ids.servers));
      assert.ok(outcome.diff.some((d) => d.path === 'servers.list.servers[0].id' && d.after === 'srv-y'), JSON.stringify(outcome.diff));
      assert.equal(store.getExchange(outcome.id)!.service, 'servers', 'the recorded replay reads it the same way');
    } finally {
      await upstream.close();
    }
  });

  test('a token override is sent instead of the recorded token', async () => {
    const outcome = await withReplayer(demo.url, (r) => r.replay(ids.servers, { token: 'not-a-token' }));
    assert.deepEqual(store.getExchange(outcome.id)!.request.decoded!.json.token, 'not-a-token');
    assert.ok(outcome.diff.some((d) => d.path === 'errors' && d.change === 'added'), JSON.stringify(outcome.diff));
  });

  test('a WebSocket replays on a new connection and its server frames are compared', async () => {
    const outcome = await withReplayer(demo.url, (r) => r.replay(ids.ws, { timing: 'none' }));
    assert.deepEqual(outcome.diff, []);
    const replay = store.getExchange(outcome.id)!;
    assert.equal(replay.kind, 'ws');
    assert.equal(replay.replayOf, ids.ws);
    assert.deepEqual(replay.frames.map((f) => f.direction), store.getExchange(ids.ws)!.frames.map((f) => f.direction));
  });

  test('a WebSocket whose token is refused reports the missing and extra frames and the close code', async () => {
    const outcome = await withReplayer(demo.url, (r) => r.replay(ids.ws, { timing: 'none', token: 'bad' }));
    assert.ok(outcome.diff.some((d) => d.path === 'close.code' && d.after === 4001), JSON.stringify(outcome.diff));
    assert.ok(outcome.diff.some((d) => d.path.startsWith('server_frames[0]')), JSON.stringify(outcome.diff));
  });

  test('a request that does not decode goes out as recorded with trx "keep", and is refused when its trx must change', async () => {
    const upstream = await capturingUpstream(() => encodeMessage('ca2.ServerResponse', {}));
    try {
      await withReplayer(upstream.url, (r) => r.replay(ids.garbage, { trx: 'keep' }));
      assert.deepEqual(upstream.bodies, [garbage]);
      await assert.rejects(
        withReplayer(upstream.url, (r) => r.replay(ids.garbage)),
        (err: unknown) => err instanceof ReplayError && err.status === 400 && /does not decode cleanly .*replay it with trx "keep"/.test(err.message),
      );
      assert.equal(upstream.bodies.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test('an unknown id is a 404 sentence', async () => {
    await assert.rejects(withReplayer(demo.url, (r) => r.replay(999_999)), (err: unknown) => err instanceof ReplayError && err.status === 404);
  });
});
