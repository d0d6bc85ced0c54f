// A server that pushes an event while it handles the call that caused it, as real ones do:
// the WsEvent is written before the HTTP response, so in the recording the frame lies between
// the call's start and its end. Recorded through the real proxy, then mocked.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { signJwt } from '../../demo/jwt.ts';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { startProxyProcess } from '../../support/proxy-process.ts';
import { withMock } from './demo-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-mid-call-'));
const db = join(dir, 'recorded.sqlite');
const token = signJwt({ sub: 'alice', iat: 1, exp: 4102444800 }, 'secret');
const running = encodeMessage('ca2.WsEvent', { instances: { updated_instances: [{ id: 'i-1', name: 'web', status: 'INSTANCE_STATUS_RUNNING' }] } });

function call(operation: 'me' | 'create', trx: string): Uint8Array {
  return encodeMessage('ca2.ClientRequest', { trx: Buffer.from(trx), token, ...(operation === 'me' ? { users: { me: {} } } : { instances: { create: { name: 'web' } } }) });
}

/** The foreign server: answers WsAuth with an empty WsEvent; instances.create pushes `running`, then answers once `sent` resolves. */
async function startPushingServer(sent: () => Promise<void>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request = decodeMessage<{ trx: Uint8Array; instances?: object }>('ca2.ClientRequest', Buffer.concat(chunks));
      if (request.instances) {
        for (const ws of wss.clients) ws.send(running);
        await sent();
      }
      const answer = encodeMessage('ca2.ServerResponse', { trx: request.trx });
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': answer.length });
      res.end(answer);
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => ws.once('message', () => ws.send(encodeMessage('ca2.WsEvent', {}))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A WebSocket client that authenticates and collects server frames. */
async function authenticate(base: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  const frames: Buffer[] = [];
  let wake = () => {};
  ws.on('message', (data: Buffer) => {
    frames.push(data);
    wake();
  });
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.send(encodeMessage('ca2.WsAuth', { token }));
  const count = async (n: number) => {
    while (frames.length < n) await new Promise<void>((r) => (wake = r));
  };
  await count(1);
  /** Everything the server wrote on this socket before it answers a ping has arrived. */
  const settled = () => new Promise<void>((resolve) => {
    ws.once('pong', () => resolve());
    ws.ping();
  });
  return { ws, frames, count, settled };
}

async function post(base: string, body: Uint8Array): Promise<void> {
  const res = await fetch(`${base}/exec`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

before(async () => {
  let client: Awaited<ReturnType<typeof authenticate>> | null = null;
  // The server answers instances.create only once the client holds its event: in the recording
  // the frame then lies inside the call, whatever the scheduling.
  const server = await startPushingServer(() => client!.count(2));
  // Closed whatever happens, the proxy's start included: a server left listening keeps this file's process, and the run, going.
  try {
    const proxy = await startProxyProcess(['--upstream', server.url, '--db', db, '--quiet']);
    try {
      client = await authenticate(proxy.proxyUrl);
      await post(proxy.proxyUrl, call('me', 'r1'));
      await post(proxy.proxyUrl, call('create', 'r2'));
      client.ws.close(1000);
      await new Promise<void>((resolve) => client!.ws.once('close', () => resolve()));
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  } finally {
    await server.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the recording holds the event between the start and the end of instances.create (read with sqlite3)', () => {
  const inside = execFileSync('sqlite3', [
    db,
    `SELECT e.started_at <= f.at AND f.at <= e.ended_at FROM frames f, exchanges e
     WHERE hex(f.body) = '${Buffer.from(running).toString('hex').toUpperCase()}' AND e.kind = 'exec' AND e.id = (SELECT max(id) FROM exchanges WHERE kind = 'exec')`,
  ], { encoding: 'utf8' });
  assert.equal(inside.trim(), '1');
});

// --timing none: the mock sends what it releases at once, so a ping's answer shows whether it has.
test('holds an event the server pushed while handling a call until that call arrives', { timeout: 30_000 }, async () => {
  await withMock(db, { timing: 'none' }, async (mock, lines) => {
    const base = mock.url.origin;
    const client = await authenticate(base);
    await client.settled();
    assert.equal(client.frames.length, 1, 'nothing pushed before any call');
    await post(base, call('me', 'm1'));
    await client.settled();
    assert.equal(client.frames.length, 1, 'users.me pushed nothing');
    await post(base, call('create', 'm2'));
    await client.count(2);
    assert.deepEqual(client.frames[1], Buffer.from(running));
    client.ws.close(1000);
    assert.deepEqual(lines, []);
  });
});
