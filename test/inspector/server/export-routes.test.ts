import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import type { ExportProgressView, LiveEvents } from '../../../model/types.ts';
import { createCodec } from '../../../proto/codec.ts';
import type { TappedFlow } from '../../../proxy/tap.ts';
import { Recorder } from '../../../recorder/recorder.ts';
import { Store } from '../../../storage/store.ts';
import { projectRoot } from '../../../support/proxy-process.ts';
import { demoProtos, protocEncode, tokens, writeSampleRecording } from '../../capture/sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-export-routes-'));
const token = 'export-routes-test-token';
let store: Store;
let server: InspectorServer;
let origin: string;

before(async () => {
  writeSampleRecording(join(dir, 'rec.sqlite'));
  store = Store.open(join(dir, 'rec.sqlite'));
  server = await startInspectorServer({
    store, host: '127.0.0.1', port: 0, token, log: () => {}, export: { codec: createCodec({ protoPaths: [demoProtos] }), toolVersion: 'test' },
  });
  origin = `http://127.0.0.1:${server.address.port}`;
});
after(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(origin + path, { headers: { Authorization: `Bearer ${token}` } });

test('previews what an export of the filter would hold and redact', async () => {
  const response = await get('/api/export/preview?filter=kind:exec');
  assert.equal(response.status, 200);
  const preview = await response.json();
  assert.equal(preview.exchanges, 3);
  assert.equal(preview.tokens, 5, "the JWT, the opaque token, the bearer credential and both cookie values");
  assert.equal(preview.fields['ClientRequest.token'], 2);
});

test('downloads the selected rows as a redacted HAR, or the filter as a capture', async () => {
  const ids = store.listExchanges({ filter: 'kind:ws or kind:http' }).items.map((i) => i.id).join(',');
  const har = await get(`/api/export?format=har&ids=${ids}`);
  assert.equal(har.status, 200);
  assert.match(har.headers.get('content-disposition') ?? '', /^attachment; filename="?ca2-capture\.har"?$/);
  const text = await har.text();
  assert.equal(JSON.parse(text).log.entries.length, 2);
  // The tokens these two exchanges carry; the others are learned from /exec calls not selected.
  for (const value of [tokens.jwt, tokens.query, tokens.setCookie]) assert.ok(!text.includes(value), `${value} is redacted`);
  const capture = await get('/api/export?format=capture&filter=kind:exec');
  assert.equal(capture.status, 200);
  assert.equal(Buffer.from(await capture.arrayBuffer()).subarray(0, 15).toString(), 'SQLite format 3');
});

test('answers a bad request with a sentence, and nothing without the token', async () => {
  assert.equal((await get('/api/export?format=zip')).status, 400);
  assert.match((await (await get('/api/export?ids=1,x')).json()).error, /ids must be exchange ids separated by commas/);
  assert.equal((await get('/api/export?ids=999')).status, 404);
  assert.equal((await get('/api/export/preview?filter=status:')).status, 400);
  assert.equal((await fetch(`${origin}/api/export?format=har`)).status, 401);
});

test('tells the live stream how far a download with a progress key has got, and why one failed', async () => {
  const client: Socket<LiveEvents> = connect(origin, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('connect_error', reject));
  try {
    const told: ExportProgressView[] = [];
    client.on('exportProgress', (view) => told.push(view));
    // Sent before the answer, on another connection: each is waited for.
    const toldOf = (key: string, phase: ExportProgressView['phase']) =>
      new Promise<void>((resolve) => {
        const check = () => told.some((v) => v.key === key && v.phase === phase) && resolve();
        check();
        client.on('exportProgress', check);
      });
    const har = await get('/api/export?format=har&filter=kind:exec&progress=dl-1');
    assert.equal(JSON.parse(await har.text()).log.entries.length, 3);
    await toldOf('dl-1', 'done');
    assert.equal((await get('/api/export?ids=999&progress=dl-2')).status, 404);
    await toldOf('dl-2', 'failed');
    assert.deepEqual(
      told.map(({ key, phase, done, total }) => [key, phase, done, total]),
      [['dl-1', 'reading', 3, 3], ['dl-1', 'writing', 3, 3], ['dl-1', 'done', 3, 3], ['dl-2', 'failed', 0, 0]],
    );
    assert.equal(told[3]!.error, 'No exchange has id 999; select rows that are stored.');
    assert.match((await (await get('/api/export?progress=no%20spaces')).json()).error, /^progress must be a key of letters, digits/);
  } finally {
    client.close();
  }
});

test('an export of a recording with map labels redacts what the CLI export with the .proto files redacts', async () => {
  // The inspector's export thread decodes with the recorder's schema as a descriptor set: a label
  // there read as a {key, value} entry would have its key taken for a credential's name.
  const file = join(dir, 'labels.sqlite');
  const codec = createCodec({ protoPaths: [demoProtos] });
  const recording = Store.open(file);
  const recorder = new Recorder(codec, recording);
  const body = protocEncode('ca2.ClientRequest', 'trx: "trx-labels" token: "opaque-label-token-1" instances { create { name: "web-1" labels { key: "env" value: "prod" } labels { key: "team" value: "core" } } }');
  const flow: TappedFlow = {
    id: 1, source: 'live', kind: 'exec', startedAt: 1_800_000_000_000, endedAt: 1_800_000_000_004, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [['Content-Type', 'application/x-protobuf']], body, size: body.length, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: [], body: new Uint8Array(0), size: 0, truncated: false },
    error: null,
  };
  recorder.requestStarted(flow);
  recorder.exchangeEnded(flow);
  recorder.stop();
  recording.close();

  const cli = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'export', '--db', file, '--proto', demoProtos, '-o', join(dir, 'labels.har')], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const said = /ca2-inspector export: (\d+ token\(s\) redacted[^;]*);/.exec(cli.stdout)![1];
  assert.equal(said, '1 token(s) redacted: ClientRequest.token ×1');

  const store = Store.open(file);
  const inspector = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token, log: () => {}, export: { codec, toolVersion: 'test' } });
  try {
    const response = await fetch(`http://127.0.0.1:${inspector.address.port}/api/export/preview`, { headers: { Authorization: `Bearer ${token}` } });
    const preview = await response.json();
    const fields = Object.entries(preview.fields).map(([where, n]) => `${where} ×${n}`);
    assert.equal(`${preview.tokens} token(s) redacted${fields.length ? `: ${fields.join(', ')}` : ''}`, said);
  } finally {
    await inspector.close();
    store.close();
  }
});
