import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { encodeMessage } from '../../demo/schema.ts';
import { Store } from '../../storage/store.ts';
import { withMock } from './demo-recording.ts';
import { createRequest, execRecord, putSession } from './records.ts';
import { flowHead } from '../../support/flow-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-mock-limits-'));
const db = join(dir, 'small.sqlite');

before(() => {
  const store = Store.open(db);
  store.putExchange(flowHead(execRecord(1, 'web', 200, [['content-type', 'application/x-protobuf']])));
  putSession(store, 2, 'alice', null);
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** createRequest('web') padded to `size` bytes with an unknown field 1000, which the tests leave out of matching. */
function requestOfSize(size: number): Buffer {
  const request = Buffer.from(createRequest('web'));
  const filler = size - request.length - 4;
  // Field 1000, wire type 2 (length-delimited): two tag bytes, two length bytes (filler < 16,384).
  return Buffer.concat([request, Buffer.from([0xc2, 0x3e, (filler & 0x7f) | 0x80, filler >> 7]), Buffer.alloc(filler)]);
}

test('answers an /exec body over --max-body with 413 and a sentence, and one at the limit as usual', { timeout: 20_000 }, async () => {
  await withMock(db, { maxBody: 4096, ignore: ['1000'] }, async (mock, lines) => {
    const post = (body: Buffer) => fetch(new URL('exec', mock.url), { method: 'POST', body: new Uint8Array(body) });
    const atLimit = await post(requestOfSize(4096));
    assert.equal(atLimit.status, 200);
    await atLimit.arrayBuffer();
    for (let i = 0; i < 2; i++) {
      const over = await post(requestOfSize(4097));
      assert.equal(over.status, 413);
      assert.equal(await over.text(), 'The mock refused this request: its body is 4.0 KB, over --max-body 4.0 KB; pass a larger --max-body to serve it.\n');
    }
    assert.equal((await post(requestOfSize(100))).status, 200, 'still serving');
    assert.deepEqual(lines, ['mock: refused an /exec body of 4.0 KB, over --max-body 4.0 KB, with 413']);
  });
});

function open(url: URL): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }>; first: Promise<void> }> {
  const ws = new WebSocket(new URL('ws', url.href.replace(/^http/, 'ws')));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  const first = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  return new Promise((resolve) => ws.once('open', () => resolve({ ws, closed, first })));
}

test('closes a WebSocket that sends no WsAuth in time with 1008, and leaves an authenticated one open', { timeout: 20_000 }, async () => {
  await withMock(db, { wsAuthTimeoutMs: 200 }, async (mock, lines) => {
    const authenticated = await open(mock.url);
    authenticated.ws.send(encodeMessage('ca2.WsAuth', { token: 'alice' }));
    await authenticated.first;
    // Opened after the first was authenticated: its deadline falls after the first one's would have.
    const silent = await open(mock.url);
    assert.deepEqual(await silent.closed, { code: 1008, reason: 'no WsAuth within 0.2 s' });
    assert.equal(authenticated.ws.readyState, WebSocket.OPEN);
    assert.deepEqual(lines, ['mock: a WebSocket sent no WsAuth within 0.2 s; closing it with 1008']);
    authenticated.ws.close();
    await authenticated.closed;
  });
});

test('closes a WebSocket whose message is over --max-body with 1009', { timeout: 20_000 }, async () => {
  await withMock(db, { maxBody: 4096 }, async (mock) => {
    const socket = await open(mock.url);
    socket.ws.send(Buffer.alloc(4097));
    assert.equal((await socket.closed).code, 1009);
  });
});
