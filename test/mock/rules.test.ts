// A mock made from traffic that rules changed in flight stands in for the server and the
// rules together: it matches requests as the client sent them and serves what the client
// got, on /exec and on /ws.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { demoProtos, protocEncode } from '../capture/sample-recording.ts';
import { ruled, ruledTokens, writeRuledRecording } from '../capture/ruled-recording.ts';
import { withMock } from './demo-recording.ts';
import { putSession } from './records.ts';
import { Store } from '../../storage/store.ts';
import { createCodec } from '../../proto/codec.ts';

let dir: string;
let db: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca2-mock-rules-'));
  db = join(dir, 'ruled.sqlite');
  writeRuledRecording(db);
  // Another session of the same user (the same JWT subject) with another token: a WsAuth
  // that matches no session's token would get this one.
  const [header, claims] = ruledTokens.wsJwt.split('.');
  const store = Store.open(db, { codec: createCodec({ protoPaths: [demoProtos] }) });
  putSession(store, 10, `${header}.${claims}.YW5vdGhlci1zZXNzaW9uLXNpZ25hdHVyZQ`, null);
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function post(url: URL, body: Buffer): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(new URL('/exec', url), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

test('an /exec request is matched as the client sent it, not as a rule sent it upstream', async () => {
  await withMock(db, { timing: 'none', protoPaths: [demoProtos] }, async (mock) => {
    const answer = await post(mock.url, protocEncode('ca2.ClientRequest', `trx: "live-1" token: "${ruledTokens.client}" servers { list { } }`));
    assert.equal(answer.status, 200);
    // protoc's encoding of the recorded answer with the live trx: the bytes the mock must send.
    assert.deepEqual(answer.body, protocEncode('ca2.ServerResponse', 'trx: "live-1" servers { list { servers { id: "s1" name: "Small" regions: "eu-west" } } }'));
  });
});

test('an /exec answer is what the client got: the rule\'s error, not the upstream\'s answer', async () => {
  await withMock(db, { timing: 'none', protoPaths: [demoProtos] }, async (mock) => {
    const answer = await post(mock.url, protocEncode('ca2.ClientRequest', 'trx: "live-2" auth { login { email: "carol@example.com" password: "demo" } }'));
    assert.deepEqual(answer.body, protocEncode('ca2.ServerResponse', 'trx: "live-2" errors: SE_RATE_LIMIT_EXCEEDED_ERROR'));
  });
});

test('a WebSocket is picked by the token the client sent, and gets the server frames the client got: injected ones included, dropped ones left out, changed ones as changed', { timeout: 20_000 }, async () => {
  await withMock(db, { timing: 'none', protoPaths: [demoProtos] }, async (mock, lines) => {
    const ws = new WebSocket(new URL('/ws', mock.url.href.replace(/^http/, 'ws')));
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(ruled.authSent));
      ws.on('message', (data: Buffer) => {
        frames.push(data);
        if (frames.length === 3) resolve();
      });
      ws.on('close', () => resolve());
    });
    ws.close(1000);
    assert.deepEqual(frames, [Buffer.from(ruled.ready), ruled.eventChanged, ruled.eventInjected]);
    assert.deepEqual(lines.filter((l) => l.startsWith('mock:')), []);
  });
});
