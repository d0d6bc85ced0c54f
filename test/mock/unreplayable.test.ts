import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { Store } from '../../storage/store.ts';
import { withMock } from './demo-recording.ts';
import { createRequest, execRecord, putSession } from './records.ts';
import { flowHead } from '../../support/flow-head.ts';

// Recordings the proxy would never write, as a hand-edited or foreign capture may hold them.
const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-unreplayable-'));
const db = join(dir, 'odd.sqlite');
const longReason = 'é'.repeat(100);

before(() => {
  const store = Store.open(db);
  store.putExchange(flowHead(execRecord(1, 'status-1000', 1000, [['content-type', 'application/x-protobuf']])));
  store.putExchange(flowHead(execRecord(2, 'status-99.5', 99.5, [['content-type', 'application/x-protobuf']])));
  store.putExchange(flowHead(execRecord(3, 'space', 200, [['X Bad', 'v'], ['x-good', '1']])));
  store.putExchange(flowHead(execRecord(4, 'crlf', 200, [['x-split', 'a\r\nInjected: 1'], ['x-good', '2']])));
  store.putExchange(flowHead({ ...execRecord(5, 'other', 1000, [['Bad Name', 'v'], ['content-type', 'text/plain']]), kind: 'http', method: 'GET', path: '/odd' }));
  putSession(store, 6, 'code-999', { code: 999, reason: 'odd' });
  putSession(store, 7, 'long-reason', { code: 4001, reason: longReason });
  putSession(store, 8, 'plain', { code: 4000, reason: 'bye' });
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function post(url: URL, name: string): Promise<Response> {
  return fetch(new URL('exec', url), { method: 'POST', body: new Uint8Array(createRequest(name)) });
}

function closeOf(url: URL, token: string): Promise<{ code: number; reason: string; frames: number }> {
  const ws = new WebSocket(new URL('ws', url.href.replace(/^http/, 'ws')));
  let frames = 0;
  ws.on('open', () => ws.send(encodeMessage('ca2.WsAuth', { token })));
  ws.on('message', () => frames++);
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason), frames })));
}

test('answers what cannot be replayed as recorded in its nearest valid form, says what it changed, and keeps serving', { timeout: 20_000 }, async () => {
  await withMock(db, { timing: 'none' }, async (mock, lines) => {
    for (const name of ['status-1000', 'status-99.5']) {
      const res = await post(mock.url, name);
      assert.equal(res.status, 502, name);
      assert.deepEqual(decodeMessage<{ trx: Uint8Array }>('ca2.ServerResponse', new Uint8Array(await res.arrayBuffer())).trx, new Uint8Array(Buffer.from('t')));
    }
    const space = await post(mock.url, 'space');
    assert.equal(space.status, 200);
    assert.equal(space.headers.get('x-good'), '1');
    assert.equal([...space.headers.keys()].some((k) => k.includes(' ')), false);
    const crlf = await post(mock.url, 'crlf');
    assert.equal(crlf.headers.get('x-good'), '2');
    assert.equal(crlf.headers.get('x-split'), null);
    assert.equal(crlf.headers.get('injected'), null);
    const other = await fetch(new URL('odd', mock.url));
    assert.equal(other.status, 502);
    assert.equal(other.headers.get('content-type'), 'text/plain');

    assert.deepEqual(await closeOf(mock.url, 'code-999'), { code: 1011, reason: 'odd', frames: 1 });
    const long = await closeOf(mock.url, 'long-reason');
    assert.equal(long.code, 4001);
    assert.equal(long.reason, 'é'.repeat(61), 'cut at the last whole character within 123 bytes');

    const again = await post(mock.url, 'space');
    assert.equal(again.status, 200, 'still serving');

    assert.deepEqual(lines, [
      'mock: #1 cannot be replayed as recorded: status 1000 is not an HTTP status, answered 502 instead',
      'mock: #2 cannot be replayed as recorded: status 99.5 is not an HTTP status, answered 502 instead',
      'mock: #3 cannot be replayed as recorded: header "X Bad" dropped: the name is not a header name (a token: no spaces, colons or control characters)',
      'mock: #4 cannot be replayed as recorded: header "x-split" dropped: its value holds characters a header cannot carry (CR, LF or another control character)',
      'mock: #5 cannot be replayed as recorded: status 1000 is not an HTTP status, answered 502 instead; header "Bad Name" dropped: the name is not a header name (a token: no spaces, colons or control characters)',
      'mock: #6 cannot be replayed as recorded: close code 999 cannot be sent, closed with 1011 instead',
      'mock: #7 cannot be replayed as recorded: close reason of 200 bytes is over the 123 a close frame holds, cut to 122',
    ]);
  });
});

/** Writes `bytes` on a raw connection to the mock and resets it once the mock has answered or read them. */
async function resetAfter(url: URL, bytes: string, waitFor: 'nothing' | 'answer'): Promise<void> {
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(bytes);
  if (waitFor === 'answer') await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.resetAndDestroy();
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
}

test('keeps serving when clients reset their connections mid-request, mid-handshake and mid-session', { timeout: 20_000 }, async () => {
  await withMock(db, { timing: 'none' }, async (mock) => {
    const body = Buffer.from(createRequest('space')).toString('latin1');
    await resetAfter(mock.url, `POST /exec HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${body}`, 'nothing');
    await resetAfter(mock.url, `POST /exec HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'answer');
    const handshake = 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    await resetAfter(mock.url, handshake, 'nothing');
    await resetAfter(mock.url, handshake, 'answer');
    const ws = new WebSocket(new URL('ws', mock.url.href.replace(/^http/, 'ws')));
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    ws.send(encodeMessage('ca2.WsAuth', { token: 'plain' }));
    ws.once('message', () => (ws as unknown as { _socket: Socket })._socket.resetAndDestroy());
    await new Promise<void>((resolve) => ws.once('close', () => resolve()));
    assert.equal((await post(mock.url, 'space')).status, 200, 'still serving');
  });
});
