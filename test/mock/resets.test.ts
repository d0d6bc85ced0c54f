// Clients that reset or drop their connections to the mock, at each moment: the mock
// answers the next client as if nothing happened. An error left unheard on any socket
// would end this test's process.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { leavings, requestHead, sendAndLeave, webSocketUpgrade } from '../../support/resets.ts';
import { recordDemoSession, withMock } from './demo-recording.ts';

let recording: { db: string; dir: string };

before(async () => {
  recording = await recordDemoSession();
});
after(() => rmSync(recording.dir, { recursive: true, force: true }));

test('the mock outlives clients that reset or drop every kind of connection', async () => {
  await withMock(recording.db, {}, async (mock) => {
    const port = Number(mock.url.port);
    const host = `127.0.0.1:${port}`;
    const requests = [
      requestHead('POST', '/exec', host, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '100000' }, 'abc'),
      requestHead('GET', '/health', host),
      requestHead('GET', '/ws', host, webSocketUpgrade),
      requestHead('GET', '/elsewhere', host, webSocketUpgrade),
    ];
    for (const leaving of leavings) await Promise.all(requests.map((request) => sendAndLeave(port, request, leaving)));
    const health = await fetch(new URL('/health', mock.url));
    assert.equal(health.status, 200);
  });
});
