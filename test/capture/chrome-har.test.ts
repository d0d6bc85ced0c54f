// A HAR recorded by a real chromium (playwright-core's recordHar) against the demo server:
// a page POSTs protobuf to /exec and opens a WebSocket, and the import decodes it all.
// Browser test: run it under the shared lock (see COMMON.md).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importInto } from './import-file.ts';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';
import type { ExchangeDetail, JsonObject } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { launchBrowser } from '../../support/browser.ts';
import { demoProtos, protocEncode } from './sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-chrome-har-'));
const harFile = join(dir, 'chrome.har');
const codec = createCodec({ protoPaths: [demoProtos] });
let demo: DemoServer;
let imported: ExchangeDetail[];

before(async () => {
  demo = await startDemoServer({ eventDelayMs: 10 });
  const login = protocEncode('ca2.ClientRequest', 'trx: "trx-chrome-1" auth { login { email: "chrome@example.com" password: "demo" } }');
  // A binary trx: not valid UTF-8, so a HAR writer that keeps request bodies as text damages it.
  const binary = protocEncode('ca2.ClientRequest', 'trx: "\\x8f\\xfe\\xa0\\x11" servers { list { } }');
  const browser = await launchBrowser({ recordHar: harFile });
  try {
    const page = await browser.context.newPage();
    await page.goto(new URL('/health', demo.url).href);
    // Scripts go in as text: tsx's helpers in a compiled function do not exist in the page.
    const token = (await page.evaluate(`(async () => {
      const post = (body) => fetch('/exec', { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array(body) })
        .then((r) => r.arrayBuffer());
      const answer = new Uint8Array(await post(${JSON.stringify(Array.from(login))}));
      await post(${JSON.stringify(Array.from(binary))});
      return Array.from(answer);
    })()`)) as number[];
    const jwt = (codec.decode('ServerResponse', Uint8Array.from(token)).json as any).auth.login.token as string;
    const wsAuth = Array.from(protocEncode('ca2.WsAuth', `token: "${jwt}"`));
    await page.evaluate(`new Promise((resolve, reject) => {
      const ws = new WebSocket('ws://' + location.host + '/ws');
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => ws.send(new Uint8Array(${JSON.stringify(wsAuth)}));
      ws.onmessage = () => ws.close(1000, 'seen');
      ws.onclose = () => resolve();
      ws.onerror = () => reject(new Error('the WebSocket failed'));
    })`);
  } finally {
    await browser.close();
  }
  imported = importInto(join(dir, 'imported.sqlite'), harFile, codec, (store, { ids }) => ids.map((id) => store.getExchange(id)!));
});
after(async () => {
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('imports /exec calls from a chromium HAR, decoded, and says where the text body lost bytes', () => {
  const har = JSON.parse(readFileSync(harFile, 'utf8'));
  assert.ok(har.log.creator.name.length > 0);
  const exec = imported.filter((e) => e.kind === 'exec');
  const login = exec.find((e) => e.trx === 'trx-chrome-1')!;
  assert.deepEqual([login.service, login.operation, login.errors], ['auth', 'login', []]);
  assert.deepEqual(login.problems, []);
  assert.ok((login.response!.decoded!.json as any).auth.login.token, 'the response, base64 in the HAR, decodes');
  const damaged = exec.find((e) => e.trx !== 'trx-chrome-1')!;
  assert.ok(damaged.problems.some((p) => /U\+FFFD\), so bytes were lost/.test(p)), damaged.problems.join('; '));
});

test('imports a chromium WebSocket with its binary frames decoded and its times right', () => {
  const ws = imported.find((e) => e.kind === 'ws')!;
  assert.ok(ws, `kinds: ${imported.map((e) => e.kind).join(', ')}`);
  // chromium reports no event for the server's empty WsEvent frame, so only WsAuth is certain to be there.
  assert.deepEqual([ws.frames[0].direction, ws.frames[0].opcode], ['client', 2]);
  assert.match(ws.token?.sub ?? '', /^usr_/, 'WsAuth.token decoded from the base64 frame');
  assert.deepEqual(Object.keys(ws.frames[0].decoded!.json as JsonObject), ['token']);
  const at = Date.parse(ws.frames[0].at);
  assert.ok(Math.abs(at - Date.parse(ws.startedAt)) < 60_000, `frame time ${ws.frames[0].at} near the start ${ws.startedAt}`);
});
