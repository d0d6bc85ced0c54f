// What rules changed, in chromium: a recording made through the real recorder with
// exchanges and frames a rule changed, dropped and injected (as the proxy's tap reports
// them, bodies encoded by protoc), served by the real `ca2-inspector open` command.
// Browser test: run it under the shared lock. Screenshots go to test-artifacts/inspector/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { demoProtos, protocEncode } from '../capture/sample-recording.ts';
import { startOpen, type OpenProcess } from '../cli/open-process.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

const artifacts = join(projectRoot, 'test-artifacts', 'inspector');
const t0 = 1_800_000_100_000;
const protobuf: [string, string][] = [['Content-Type', 'application/x-protobuf']];
const expiredJwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'usr_alice', exp: 1_700_000_000 })).toString('base64url')}.c2ln`;

function request(text: string) {
  const body = protocEncode('ca2.ClientRequest', text);
  return { method: 'POST', path: '/exec', httpVersion: '1.1', headers: protobuf, body, size: body.length, truncated: false };
}

function response(status: number, text: string) {
  const body = protocEncode('ca2.ServerResponse', text);
  return { status, statusMessage: '', headers: protobuf, body, size: body.length, truncated: false };
}

function exec(id: number, fields: Partial<TappedFlow> & Pick<TappedFlow, 'request' | 'response'>): TappedFlow {
  return { id, source: 'live', kind: 'exec', startedAt: t0 + id * 1000, endedAt: t0 + id * 1000 + 3, clientAddress: '127.0.0.1', error: null, ...fields };
}

/** Records, through the recorder the proxy's tap feeds, what rules did to three exchanges and to frames. */
function writeRecording(file: string): void {
  const store = Store.open(file);
  const recorder = new Recorder(createCodec({ protoPaths: [demoProtos] }), store);
  const flows: TappedFlow[] = [
    exec(1, {
      request: request('trx: "trx-bal" token: "tok" billing { balance { } }'),
      response: response(503, 'trx: "trx-bal" errors: SE_RATE_LIMIT_EXCEEDED_ERROR'),
      rules: ['billing is rate limited'],
      original: { request: null, response: response(200, 'trx: "trx-bal" billing { balance { balances { currency: CURRENCY_EUR amount: 1250 } } }') },
    }),
    exec(2, {
      request: request(`trx: "trx-me" token: "${expiredJwt}" users { me { } }`),
      response: response(200, 'trx: "trx-me" errors: SE_EXPIRED_TOKEN_ERROR'),
      rules: ['token revoked'],
      original: { request: request('trx: "trx-me" token: "fresh-token" users { me { } }'), response: null },
    }),
    exec(3, { request: request('trx: "trx-plain" token: "tok" users { me { } }'), response: response(200, 'trx: "trx-plain"') }),
  ];
  for (const flow of flows) {
    recorder.requestStarted(flow);
    recorder.exchangeEnded(flow);
  }
  const ws: TappedFlow = {
    id: 4, source: 'live', kind: 'ws', startedAt: t0 + 4000, endedAt: null, clientAddress: '127.0.0.1', error: null,
    request: { method: 'GET', path: '/ws', httpVersion: '1.1', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
    response: { status: 101, statusMessage: 'Switching Protocols', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
  };
  recorder.requestStarted(ws);
  recorder.exchangeEnded(ws);
  const balances = protocEncode('ca2.WsEvent', 'billing { balances { currency: CURRENCY_EUR amount: 1250 } }');
  const frames = [
    { seq: 0, direction: 'client' as const, body: protocEncode('ca2.WsAuth', 'token: "tok"') },
    { seq: 1, direction: 'server' as const, body: new Uint8Array(0) },
    { seq: 2, direction: 'server' as const, body: balances, rule: 'drop balances', mark: 'dropped' as const },
    { seq: 3, direction: 'server' as const, body: protocEncode('ca2.WsEvent', 'errors: SE_EXPIRED_TOKEN_ERROR'), rule: 'nudge', mark: 'injected' as const },
    { seq: 4, direction: 'server' as const, body: protocEncode('ca2.WsEvent', 'billing { balances { currency: CURRENCY_EUR amount: 99 } }'), rule: 'zero balance', original: balances },
  ];
  for (const { body, ...frame } of frames) recorder.wsFrame({ flowId: 4, at: t0 + 4010 + frame.seq, opcode: 2, body, size: body.length, truncated: false, ...frame });
  recorder.wsClosed({ ...ws, endedAt: t0 + 4100 }, { flowId: 4, code: 1000, reason: 'bye', by: 'client', at: t0 + 4100 });
  recorder.stop();
  store.close();
}

describe('what rules changed, in the inspector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-rule-changes-'));
  const db = join(dir, 'rec.sqlite');
  let open: OpenProcess;
  let browser: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    await mkdir(artifacts, { recursive: true });
    writeRecording(db);
    open = await startOpen([db, '--proto', demoProtos]);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(open.link.href);
    await page.waitForSelector('[data-row="4"]');
  });

  after(async () => {
    await browser?.close();
    await open?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the rows a rule changed, naming the rules in the badge title', async () => {
    assert.equal(await page.getAttribute('[data-row="1"] .rule-mark', 'title'), 'changed by rule billing is rate limited');
    assert.equal(await page.getAttribute('[data-row="2"] .rule-mark', 'title'), 'changed by rule token revoked');
    assert.equal(await page.getAttribute('[data-row="4"] .rule-mark', 'title'), 'changed by rules drop balances, nudge, zero balance');
    assert.equal(await page.locator('[data-row="3"] .rule-mark').count(), 0);
    assert.equal(await page.locator('.top-bar .rules-button').count(), 0, 'a file served with no proxy runs no rules');
  });

  it('shows a changed response with its field differences and switches between the two versions', async () => {
    await page.click('[data-row="1"]');
    await page.waitForSelector('.rule-changes h3:has-text("changed by rule billing is rate limited")');
    const card = (await page.textContent('.rule-change[data-what="response"]')) ?? '';
    assert.match(card, /Response, as the upstream answered → as the client got it: 2 fields differ; HTTP status 200 → 503/);
    assert.deepEqual(await page.locator('.rule-change .diff-list li').allTextContents(), [
      'billing removed: {"balance":{"balances":[{"currency":"CURRENCY_EUR","amount":"1250"}]}} → (none)',
      'errors added: (none) → ["SE_RATE_LIMIT_EXCEEDED_ERROR"]',
    ]);
    // The client's version first, as it is what went on, with what the rule added marked.
    await page.waitForSelector('.version-switch button[aria-pressed="true"]:has-text("as the client got it")');
    await page.waitForSelector('.json-row.diff-added[data-path="errors"]');
    assert.equal(await page.locator('.json-row[data-path="billing"]').count(), 0);
    await page.click('.version-switch button:has-text("as the upstream answered")');
    await page.waitForSelector('.message-label:has-text("Response as the upstream answered")');
    await page.waitForSelector('.json-row.diff-removed[data-path="billing"]');
    assert.equal(await page.locator('.json-row[data-path="errors"]').count(), 0);
    await page.screenshot({ path: join(artifacts, 'rule-changes-response.png') });
    assert.deepEqual(pageErrors, []);
  });

  it('shows a changed request as the client sent it and as it went upstream, a swapped token counted', async () => {
    await page.click('[data-row="2"]');
    await page.waitForSelector('.rule-changes h3:has-text("changed by rule token revoked")');
    assert.deepEqual(await page.locator('.rule-change[data-what="request"] .diff-list li code').allTextContents(), ['token']);
    await page.click('[role="tab"]:has-text("Request")');
    await page.waitForSelector('.version-switch button[aria-pressed="true"]:has-text("as sent upstream")');
    await page.waitForSelector('.json-row.diff-changed[data-path="token"]');
    assert.match((await page.textContent('.json-row[data-path="token"]')) ?? '', /eyJhbGci/);
    await page.click('.version-switch button:has-text("as sent by the client")');
    await page.waitForSelector('.message-label:has-text("Request as sent by the client")');
    assert.match((await page.textContent('.json-row[data-path="token"]')) ?? '', /fresh-token/);
    assert.deepEqual(pageErrors, []);
  });

  it('marks dropped and injected frames in the timeline, and shows a changed frame as sent and as relayed', async () => {
    await page.click('[data-row="4"]');
    await page.waitForSelector('.frame-timeline');
    const tag = async (seq: number) => page.locator(`.frame-item[data-seq="${seq}"] .rule-tag`).allTextContents();
    assert.deepEqual(await tag(1), []);
    assert.deepEqual(await tag(2), ['dropped']);
    assert.deepEqual(await tag(3), ['injected']);
    assert.deepEqual(await tag(4), ['changed']);
    assert.equal(await page.getAttribute('.frame-item[data-seq="2"] .rule-tag', 'title'), 'dropped by rule drop balances: recorded as sent, never relayed');
    assert.match((await page.getAttribute('.frame-item[data-seq="2"]', 'class')) ?? '', /\bdropped\b/);
    assert.match((await page.textContent('.rule-changes')) ?? '', /marked in the timeline/);
    await page.click('.frame-item[data-seq="4"]');
    await page.waitForSelector('.version-switch button[aria-pressed="true"]:has-text("as relayed to the client")');
    await page.waitForSelector('.json-row.diff-changed[data-path="billing.balances[0].amount"]');
    await page.click('.version-switch button:has-text("as the server sent it")');
    await page.waitForSelector('.message-label:has-text("as the server sent it")');
    assert.match((await page.textContent('.json-row[data-path="billing.balances[0].amount"]')) ?? '', /1250/);
    await page.screenshot({ path: join(artifacts, 'rule-changes-frames.png') });
    // The same tags on the frame rows of the list.
    await page.click('[data-row="4"] .expander');
    await page.waitForSelector('.frame-row[data-exchange="4"][data-frame="3"] .rule-tag:has-text("injected")');
    assert.deepEqual(pageErrors, []);
  });
});
