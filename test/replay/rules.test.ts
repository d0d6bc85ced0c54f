// Replaying traffic that rules changed in flight sends what the client sent, not what a rule
// sent on, and compares the answer with what the client got: for one exchange, for a session
// replayed from a copy as `replay --into` makes it, and for Resend in the inspector.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { openForImport, recordAll } from '../../capture/record.ts';
import { startInspectorServer } from '../../inspector/server/app.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Replayer } from '../../replay/replayer.ts';
import { ReplayService } from '../../replay/service.ts';
import { replaySession } from '../../replay/session.ts';
import { ReplayTarget } from '../../replay/target.ts';
import { Store } from '../../storage/store.ts';
import { createCodec } from '../../proto/codec.ts';
import { demoProtos } from '../capture/sample-recording.ts';
import { ruled, ruledTokens, writeRuledRecording } from '../capture/ruled-recording.ts';

const codec = createCodec({ protoPaths: [demoProtos] });
const ids = { list: 1, login: 2, ws: 3 };

interface Received {
  execs: { body: Buffer; headers: string[] }[];
  /** Each WebSocket connection's messages, as the upstream got them. */
  sockets: { data: Buffer; binary: boolean }[][];
}

/**
 * An upstream that keeps what it gets and answers what the ruled recording's client got:
 * servers.list its answer, anything else the rule's error, and after a WsAuth the three
 * server frames the client got.
 */
async function upstream(loginAnswer: Uint8Array = ruled.loginGot) {
  const received: Received = { execs: [], sockets: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.execs.push({ body, headers: req.rawHeaders });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(decodeRaw(body).includes('15 {') ? ruled.listAnswer : loginAnswer);
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    const messages: { data: Buffer; binary: boolean }[] = [];
    received.sockets.push(messages);
    ws.on('message', (data: Buffer, binary) => {
      messages.push({ data, binary });
      if (messages.length === 1) for (const frame of [ruled.ready, ruled.eventChanged, ruled.eventInjected]) ws.send(frame, { binary: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    received,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** protoc's own reading of the bytes: an oracle nobody here wrote. */
function decodeRaw(bytes: Uint8Array): string {
  const out = spawnSync('protoc', ['--decode_raw'], { input: bytes, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

function header(raw: string[], name: string): string | undefined {
  const at = raw.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name);
  return at < 0 ? undefined : raw[at + 1];
}

describe('replaying traffic rules changed', () => {
  let dir: string;
  let db: string;
  let store: Store;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ca2-replay-rules-'));
    db = join(dir, 'ruled.sqlite');
    writeRuledRecording(db);
    store = Store.open(db, { codec });
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function withReplayer<T>(on: Store, to: URL, run: (replayer: Replayer) => Promise<T>): Promise<T> {
    const recorder = new Recorder(codec, on);
    const target = await ReplayTarget.start({ upstream: to, recorder });
    try {
      return await run(new Replayer(codec, on, target));
    } finally {
      await target.close();
      recorder.stop();
    }
  }

  test('an /exec call sends the request as the client sent it, its headers included, not the one a rule sent upstream', async () => {
    const server = await upstream();
    try {
      const outcome = await withReplayer(store, server.url, (r) => r.replay(ids.list, { trx: 'keep' }));
      assert.deepEqual(server.received.execs[0].body, ruled.listSent);
      assert.equal(header(server.received.execs[0].headers, 'authorization'), `Bearer ${ruledTokens.bearer}`);
      assert.deepEqual(outcome.diff, []);
    } finally {
      await server.close();
    }
  });

  test('with a new trx, the rest of what the client sent goes out: its token, and no field the rule added', async () => {
    const server = await upstream();
    try {
      await withReplayer(store, server.url, (r) => r.replay(ids.list));
      const raw = decodeRaw(server.received.execs[0].body);
      assert.match(raw, new RegExp(`2: "${ruledTokens.client}"`));
      assert.doesNotMatch(raw, /eu-west|1: "trx-list"/);
    } finally {
      await server.close();
    }
  });

  test('the answer is compared with what the client got: the rule\'s error, not what the upstream answered', async () => {
    const same = await upstream();
    try {
      const outcome = await withReplayer(store, same.url, (r) => r.replay(ids.login));
      assert.deepEqual(outcome.diff, []);
    } finally {
      await same.close();
    }
    const real = await upstream(ruled.loginUpstream);
    try {
      const outcome = await withReplayer(store, real.url, (r) => r.replay(ids.login));
      assert.deepEqual(outcome.diff.map((d) => [d.path, d.change]).sort(), [['auth', 'added'], ['errors', 'removed']]);
    } finally {
      await real.close();
    }
  });

  test('a WebSocket sends the client frames as the client sent them, dropped ones included and injected ones not, and compares with the frames the client got', async () => {
    const server = await upstream();
    try {
      const outcome = await withReplayer(store, server.url, (r) => r.replay(ids.ws, { timing: 'none' }));
      assert.deepEqual(server.received.sockets, [[
        { data: ruled.authSent, binary: true },
        { data: ruled.textDropped, binary: false },
      ]]);
      assert.match(decodeRaw(server.received.sockets[0][0].data), /eyJ/, 'the WsAuth carries the token the client sent');
      assert.deepEqual(outcome.diff, [], 'the upstream sent the frames the client got, an injected one included and the dropped one not');
    } finally {
      await server.close();
    }
  });

  test('a session replayed from a copy, as replay --into makes one, sends what the client sent', async () => {
    const into = join(dir, 'into.sqlite');
    const copyStore = openForImport(into, codec);
    const copied = recordAll(copyStore, codec, [...store.flows({ ids: Object.values(ids), order: 'oldest' })], { dedupe: false }).ids;
    copyStore.close();
    const server = await upstream();
    const replayStore = Store.open(into, { codec });
    try {
      const report = await withReplayer(replayStore, server.url, (r) => replaySession(r, replayStore, { ids: copied, timing: 'none', trx: 'keep' }));
      assert.deepEqual(report.results.map((r) => r.result), ['same', 'same', 'same']);
      assert.deepEqual(server.received.execs.map((e) => e.body), [ruled.listSent, ruled.login]);
      assert.deepEqual(server.received.sockets[0].map((m) => m.data), [ruled.authSent, ruled.textDropped]);
    } finally {
      replayStore.close();
      await server.close();
    }
  });

  test('Resend in the inspector (POST /api/exchanges/:id/replay) sends what the client sent', async () => {
    const server = await upstream();
    const recorder = new Recorder(codec, store);
    const service = new ReplayService({ codec, store, recorder, upstream: server.url });
    const inspector = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: null, log: () => undefined, replay: service });
    try {
      const res = await fetch(`http://127.0.0.1:${inspector.address.port}/api/exchanges/${ids.list}/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ trx: 'keep' }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { diff: unknown[] }).diff, []);
      assert.deepEqual(server.received.execs.map((e) => e.body), [ruled.listSent]);
    } finally {
      await inspector.close();
      await service.close();
      recorder.stop();
      await server.close();
    }
  });
});
