import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { demoProtoDir } from '../../demo/paths.ts';
import { runDemoClient } from '../../demo/client.ts';
import { decodeMessage } from '../../demo/schema.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { readExchanges, recordDemoSession, withMock } from './demo-recording.ts';

let recording: { db: string; dir: string };
let exchanges: ExchangeDetail[];

before(async () => {
  recording = await recordDemoSession();
  exchanges = readExchanges(recording.db);
});
after(() => rmSync(recording.dir, { recursive: true, force: true }));

/** The demo client puts a 16-byte trx first; a replaying client sends a fresh one there. */
function withFreshTrx(request: Buffer): { body: Buffer; trx: Buffer | null } {
  if (request[0] !== 0x0a || request[1] !== 16) return { body: request, trx: null };
  const trx = randomBytes(16);
  return { body: Buffer.concat([request.subarray(0, 2), trx, request.subarray(18)]), trx };
}

/** The bytes after a leading trx field, where the demo server writes it. */
function afterTrx(response: Buffer): Buffer {
  return response[0] === 0x0a ? response.subarray(2 + response[1]) : response;
}

for (const proto of [[], [demoProtoDir]]) {
  test(`answers every recorded /exec request in order with the recorded response, byte for byte but for the trx (${proto.length ? 'demo schema' : 'envelope only'})`, async () => {
    const execs = exchanges.filter((e) => e.kind === 'exec');
    assert.ok(execs.length > 30, `the demo session recorded ${execs.length} /exec calls`);
    await withMock(recording.db, { protoPaths: proto }, async (mock, lines) => {
      for (const recorded of execs) {
        const { body, trx } = withFreshTrx(Buffer.from(recorded.request.body, 'base64'));
        const res = await fetch(new URL('exec', mock.url), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
        const answer = Buffer.from(await res.arrayBuffer());
        const expected = Buffer.from(recorded.response!.body, 'base64');
        const what = `#${recorded.id} ${recorded.service}.${recorded.operation}`;
        assert.equal(res.status, recorded.status, what);
        assert.equal(res.headers.get('x-ca2-mock'), null, what);
        for (const name of ['content-type', 'retry-after']) {
          const header = recorded.response!.headers.find(([n]) => n.toLowerCase() === name);
          assert.equal(res.headers.get(name), header?.[1] ?? null, `${what} ${name}`);
        }
        assert.deepEqual(afterTrx(answer), afterTrx(expected), what);
        const decoded = decodeMessage<{ trx?: Uint8Array }>('ca2.ServerResponse', answer);
        assert.deepEqual(decoded.trx ? Buffer.from(decoded.trx) : null, trx, `${what} trx`);
      }
      assert.deepEqual(lines, []);
    });
  });
}

test('serves the recorded answers of other paths, and 404 with a sentence for a path never recorded', async () => {
  await withMock(recording.db, {}, async (mock) => {
    const health = exchanges.find((e) => e.path === '/health')!;
    const res = await fetch(new URL('health', mock.url));
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(health.response!.body, 'base64'));
    const missing = await fetch(new URL('nowhere', mock.url));
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'The recording has no answer for GET /nowhere; the mock serves /exec, /ws and the paths it recorded.\n');
  });
});

test('runs the demo client\'s whole session against the mock of its recording, pushed events included', { timeout: 60_000 }, async () => {
  // A new session makes new instance and domain names and times: closest and --ignore absorb them.
  await withMock(recording.db, { protoPaths: [demoProtoDir], match: 'closest', ignore: ['utils.ping.client_time_ms'] }, async (mock, lines) => {
    const log: string[] = [];
    await runDemoClient({ baseUrl: mock.url, pauseMs: 5, log: (l) => log.push(l) });
    for (const step of [/^logged in as /, /^WebSocket authenticated \(empty WsEvent\)$/, / is running$/, /^top-up of .* settled$/, /^rate limited after a burst/, /^session 1 ends$/]) {
      assert.ok(log.some((l) => step.test(l)), `${step} in:\n${log.join('\n')}`);
    }
    assert.ok(lines.every((l) => l.includes('answered with the closest')), lines.join('\n'));
  });
});
