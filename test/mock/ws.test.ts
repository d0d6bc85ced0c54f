import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import { signJwt } from '../../demo/jwt.ts';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { readExchanges, recordDemoSession, withMock } from './demo-recording.ts';

let recording: { db: string; dir: string };
let exchanges: ExchangeDetail[];

before(async () => {
  recording = await recordDemoSession();
  exchanges = readExchanges(recording.db);
});
after(() => rmSync(recording.dir, { recursive: true, force: true }));

/** Collects a WebSocket's server frames after sending `auth`, until it closes or `until` says enough. */
function openSocket(url: URL, auth: Buffer) {
  const ws = new WebSocket(new URL('ws', url.href.replace(/^http/, 'ws')));
  const frames: Buffer[] = [];
  let wake = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('open', () => ws.send(auth));
  ws.on('message', (data: Buffer) => {
    frames.push(data);
    wake();
  });
  return {
    ws,
    frames,
    closed,
    async count(n: number): Promise<void> {
      while (frames.length < n) await new Promise<void>((r) => (wake = r));
    },
  };
}

function sessions(): ExchangeDetail[] {
  return exchanges.filter((e) => e.kind === 'ws');
}

function serverFrames(session: ExchangeDetail): Buffer[] {
  return session.frames.filter((f) => f.direction === 'server').map((f) => Buffer.from(f.body, 'base64'));
}

for (const timing of ['recorded', 'none'] as const) {
  test(`plays a WsAuth the recording refused with its error frame and its close code (--timing ${timing})`, { timeout: 20_000 }, async () => {
    const refused = sessions().find((s) => s.close?.by === 'server')!;
    assert.ok(refused, 'the demo session opens a WebSocket with an expired token');
    await withMock(recording.db, { timing }, async (mock) => {
      const auth = Buffer.from(refused.frames.find((f) => f.direction === 'client')!.body, 'base64');
      const socket = openSocket(mock.url, auth);
      const close = await socket.closed;
      assert.deepEqual(socket.frames, serverFrames(refused));
      assert.deepEqual(close, { code: refused.close!.code, reason: refused.close!.reason });
      assert.deepEqual(decodeMessage<{ errors?: string[] }>('ca2.WsEvent', socket.frames[0]).errors, ['SE_EXPIRED_TOKEN_ERROR']);
    });
  });
}

test('plays a recorded WebSocket session, sending the event pushed after instances.create when that call arrives', { timeout: 20_000 }, async () => {
  const create = exchanges.find((e) => e.service === 'instances' && e.operation === 'create' && e.errors.length === 0)!;
  const live = sessions().find((s) => s.close?.by !== 'server' && new Date(s.startedAt) < new Date(create.startedAt))!;
  const recorded = serverFrames(live);
  const running = recorded.findIndex((f) => JSON.stringify(decodeMessage('ca2.WsEvent', f)).includes('INSTANCE_STATUS_RUNNING'));
  assert.ok(running > 0, 'the recording has the RUNNING event');

  await withMock(recording.db, { timing: 'none' }, async (mock) => {
    const auth = Buffer.from(live.frames.find((f) => f.direction === 'client')!.body, 'base64');
    const socket = openSocket(mock.url, auth);
    await socket.count(1);
    assert.deepEqual(socket.frames[0], recorded[0], 'the empty WsEvent answers WsAuth');
    // Every /exec call the client made before instances.create, then instances.create itself.
    for (const call of exchanges.filter((e) => e.kind === 'exec' && e.id <= create.id)) {
      await fetch(new URL('exec', mock.url), { method: 'POST', body: new Uint8Array(Buffer.from(call.request.body, 'base64')) });
      if (call.id < create.id) assert.ok(socket.frames.length < running + 1, `the RUNNING event waits for instances.create (sent after #${call.id})`);
    }
    await socket.count(running + 1);
    assert.deepEqual(socket.frames.slice(0, running + 1), recorded.slice(0, running + 1));
    socket.ws.close(1000, 'done');
    await socket.closed;
  });
});

test('gives a token it never recorded the next recorded session of the same user, and repeats the last one after', { timeout: 20_000 }, async () => {
  const recorded = sessions();
  const sub = recorded[0].token!.sub!;
  const now = Math.floor(Date.now() / 1000);
  const fresh = Buffer.from(encodeMessage('ca2.WsAuth', { token: signJwt({ sub, iat: now, exp: now + 60 }, 'another secret') }));
  await withMock(recording.db, { timing: 'none' }, async (mock) => {
    const firstFrames: Buffer[] = [];
    for (let i = 0; i < recorded.length + 1; i++) {
      const socket = openSocket(mock.url, fresh);
      await socket.count(1);
      firstFrames.push(socket.frames[0]);
      socket.ws.terminate();
    }
    const expected = [...recorded, recorded[recorded.length - 1]].map((s) => serverFrames(s)[0]);
    assert.deepEqual(firstFrames, expected);
  });
});

test('closes a WebSocket with 1011 when the recording has no session to play', { timeout: 20_000 }, async () => {
  await withMock(recording.db, { filter: 'kind:exec' }, async (mock, lines) => {
    const socket = openSocket(mock.url, Buffer.from(encodeMessage('ca2.WsAuth', { token: 'x' })));
    assert.deepEqual(await socket.closed, { code: 1011, reason: 'the recording has no WebSocket session' });
    assert.deepEqual(lines, ['mock: a WebSocket authenticated, but the recording has no WebSocket session to play; closing it with 1011']);
  });
});
