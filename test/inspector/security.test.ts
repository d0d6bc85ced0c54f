// The inspector's defences against the real `ca2-inspector proxy` command and its demo
// traffic: a DNS-rebinding page and a cross-site page in chromium, socket.io clients
// without the token or from a foreign origin, the printed link, and the Content Security
// Policy holding for the app itself.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import { eventually, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';
import type { Request } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

/** What an attacker's page runs: read the API and open the live stream, from wherever it was served. */
const attackerPage = (uiOrigin: string) => `<!doctype html><html><body><script>
  (async () => {
    const result = {};
    try {
      const res = await fetch('${uiOrigin}/api/exchanges?limit=5');
      result.status = res.status;
      result.body = await res.text();
    } catch (err) { result.fetchError = String(err); }
    result.ws = await new Promise((resolve) => {
      const ws = new WebSocket('${uiOrigin.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket');
      const frames = [];
      ws.onmessage = (e) => frames.push(String(e.data));
      ws.onerror = () => resolve({ error: true, frames });
      ws.onclose = () => resolve({ closed: true, frames });
      setTimeout(() => resolve({ open: ws.readyState === 1, frames }), 2000);
    });
    document.title = 'done';
    window.result = result;
  })();
</script></body></html>`;

/**
 * What a page on another port of 127.0.0.1 runs: same-site to the inspector, so the
 * SameSite cookie goes with its requests. It starts exports and a prefix search it need
 * not read (the work and the time it takes are the attack), opens a long poll, and plants
 * a cookie under the name the inspector's used to have, for /api, which the browser sends first.
 */
const neighbourPage = (uiOrigin: string) => `<!doctype html><html><body><script>
  (async () => {
    const blind = (path) => fetch('${uiOrigin}' + path, { mode: 'no-cors', credentials: 'include' }).catch(() => undefined);
    for (let i = 0; i < 3; i++) await blind('/api/export?format=har');
    await blind('/api/exchanges?filter=' + encodeURIComponent('"dem"*'));
    await blind('/socket.io/?EIO=4&transport=polling');
    document.cookie = 'ca2-inspector-token-' + new URL('${uiOrigin}').port + '=planted; path=/api';
    document.title = 'done';
  })();
</script></body></html>`;

/** Collects the live events a socket.io client gets for a second, or the refusal. */
async function liveEvents(url: string, options: Parameters<typeof connect>[1]): Promise<{ events: number; error: string | null }> {
  const client = connect(url, { transports: ['websocket'], reconnection: false, ...options });
  let events = 0;
  let error: string | null = null;
  client.on('batch', () => events++);
  client.on('connect_error', (err) => (error = err.message));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  client.close();
  return { events, error };
}

describe('the inspector defends its data against other sites', () => {
  const dir = { path: '' };
  let open: ProxyProcess;
  let guarded: ProxyProcess;
  let browser: LaunchedBrowser;
  let attacker: Server;
  let attackerPort: number;

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    dir.path = await mkdtemp(join(tmpdir(), 'ca2-inspector-security-'));
    // The rebinding case runs without a token, so that only the Host check stands in the way.
    open = await startProxyProcess(['--db', join(dir.path, 'open.sqlite'), '--ui-token', 'off', '--quiet']);
    guarded = await startProxyProcess(['--db', join(dir.path, 'guarded.sqlite'), '--quiet']);
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(`http://127.0.0.1:${new URL(open.uiUrl).port}`));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', () => resolve()));
    attackerPort = (attacker.address() as { port: number }).port;
    // evil.example resolves to this machine, as a rebinding DNS server makes it do.
    // Chromium's own Local Network Access checks would stop these pages before they reach the
    // inspector; they are turned off so that what is tested is the inspector's defence.
    browser = await launchBrowser({
      args: [
        '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP attacker.test 127.0.0.1',
        '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await open?.stop();
    await guarded?.stop();
    attacker?.close();
    if (dir.path) await rm(dir.path, { recursive: true, force: true });
  });

  it('keeps a page on a rebound name from reading the API or the live stream', async () => {
    const uiPort = new URL(open.uiUrl).port;
    const evilOrigin = `http://evil.example:${uiPort}`;
    const page = await browser.context.newPage();
    // The attacker's page was served from evil.example before its name was rebound to
    // 127.0.0.1: the browser now sends its same-origin requests to the inspector.
    await page.route(`${evilOrigin}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: attackerPage(evilOrigin) }));
    await page.goto(`${evilOrigin}/`);
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 15_000 });
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      status?: number; body?: string; ws: { open?: boolean; frames: string[] };
    };
    assert.equal(result.status, 403, JSON.stringify(result));
    assert.match(result.body!, /refused the Host evil\.example/);
    assert.doesNotMatch(result.body!, /"items"/);
    assert.notEqual(result.ws.open, true);
    assert.deepEqual(result.ws.frames, []);
    // The same requests from the inspector's own address are answered: the check is what stopped them.
    assert.equal((await open.api('/api/exchanges?limit=5')).status, 200);
    await page.close();
  });

  it('keeps a page on another site from opening the live stream', async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://attacker.test:${attackerPort}/`);
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 15_000 });
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      status?: number; body?: string; fetchError?: string; ws: { open?: boolean; frames: string[] };
    };
    // CORS keeps the answer from the page; the WebSocket carries its Origin and is refused.
    assert.equal(result.status, undefined);
    assert.ok(result.fetchError);
    assert.notEqual(result.ws.open, true);
    assert.deepEqual(result.ws.frames, []);
    await page.close();
  });

  it('answers a request with a foreign Host with 403', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: new URL(guarded.uiUrl).port, path: '/', headers: { host: 'evil.example' }, setHost: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });

  it('streams live events only to a client with the token and without a foreign Origin', async () => {
    const url = guarded.uiUrl;
    const token = guarded.uiToken!;
    const [noToken, wrongToken, foreign, allowed] = await Promise.all([
      liveEvents(url, {}),
      liveEvents(url, { auth: { token: 'guess' } }),
      liveEvents(url, { auth: { token }, extraHeaders: { origin: 'http://evil.example' } }),
      liveEvents(url, { auth: { token } }),
    ]);
    assert.equal(noToken.events, 0);
    assert.match(noToken.error!, /needs its token/);
    assert.equal(wrongToken.events, 0);
    assert.match(wrongToken.error!, /is not this inspector's/);
    assert.equal(foreign.events, 0);
    assert.ok(foreign.error);
    assert.ok(allowed.events > 0, 'the demo traffic reaches a client that has the token');
  });

  it('keeps a page on another port of 127.0.0.1 from starting exports, timing searches or planting a cookie that locks the user out', async () => {
    const own = await browser.context.newPage();
    const ownRequests: Request[] = [];
    own.on('request', (request) => ownRequests.push(request));
    await own.goto(guarded.uiLink);
    await own.waitForSelector('[data-row]');

    const neighbour = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(neighbourPage(guarded.uiUrl)));
    await new Promise<void>((resolve) => neighbour.listen(0, '127.0.0.1', () => resolve()));
    const page = await browser.context.newPage();
    // The browser's own view of each blind request (the page sees none of it, and the
    // inspector's Cross-Origin-Resource-Policy blocks even the response event): what it
    // sent, cookie included, and the status that came back.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    const sent = new Map<string, { path: string; site?: string; cookie?: string; status?: number }>();
    const entry = (id: string) => sent.get(id) ?? sent.set(id, { path: '' }).get(id)!;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.startsWith(guarded.uiUrl)) entry(e.requestId).path = new URL(e.request.url).pathname;
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
      entry(e.requestId).site = e.headers['Sec-Fetch-Site'] ?? e.headers['sec-fetch-site'];
      entry(e.requestId).cookie = e.headers['Cookie'] ?? e.headers['cookie'];
    });
    cdp.on('Network.responseReceivedExtraInfo', (e) => void (entry(e.requestId).status = e.statusCode));
    try {
      await page.goto(`http://127.0.0.1:${(neighbour.address() as { port: number }).port}/`);
      await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 15_000 });
      // Every blind request answered, and seen answered by the browser.
      await eventually(() => [...sent.values()].filter((r) => r.path && r.status).length === 5 || undefined, 'the five blind requests answered');
    } finally {
      neighbour.close();
      await page.close();
    }
    const blind = [...sent.values()].filter((r) => r.path);
    assert.ok(blind.every((r) => r.site === 'same-site' && r.cookie?.includes(guarded.uiToken!)), `the cookie went with each one: ${JSON.stringify(blind)}`);
    const answers = blind.map((r) => `${r.status} ${r.path}`);
    assert.deepEqual(answers, ['403 /api/export', '403 /api/export', '403 /api/export', '403 /api/exchanges', '403 /socket.io/']);

    // The planted cookie is still in the browser: the inspector's own page works on.
    ownRequests.length = 0;
    await own.reload();
    await own.waitForSelector('.live-status[data-status="live"]');
    assert.equal(await own.locator('.banner.fatal').count(), 0, 'the planted cookie locks nobody out');
    await own.waitForSelector('[data-row]');
    assert.equal(await own.evaluate(() => fetch(`/api/exchanges?filter=${encodeURIComponent('"dem"*')}`).then((res) => res.status)), 200, 'its own search');
    const ownData = ownRequests.filter((r) => /\/(api|socket\.io)\//.test(r.url()));
    const apiSites = new Set(await Promise.all(ownData.map(async (r) => (await r.allHeaders())['sec-fetch-site'])));
    assert.deepEqual([...apiSites], ['same-origin'], 'what chromium sends with the inspector\'s own requests');
    await own.close();
  });

  it('prints a link with the token that opens the inspector, survives a reload and a new tab, and breaks no CSP rule', async () => {
    assert.match(guarded.lines.join('\n'), /inspector at http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}/);
    const violations: string[] = [];
    await browser.context.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await browser.context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportViolation(t: string): void }).reportViolation(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const page = await browser.context.newPage();
    await page.goto(guarded.uiLink);
    await page.waitForSelector('[data-row]');
    await page.waitForSelector('.live-status[data-status="live"]');
    assert.doesNotMatch(page.url(), /token=/);
    await page.click('[data-row]');
    await page.waitForSelector('.detail-pane');
    await page.reload();
    await page.waitForSelector('[data-row]');
    assert.equal(await page.$('.banner.fatal'), null, 'the cookie lets a reload in');
    const second = await browser.context.newPage();
    await second.goto(guarded.uiUrl);
    await second.waitForSelector('.live-status[data-status="live"]');
    assert.deepEqual(violations, []);
    await page.close();
    await second.close();
  });
});
