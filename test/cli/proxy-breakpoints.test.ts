// Breakpoints as a script drives them: the real proxy command with a rule that breaks,
// GET /api/paused lists the paused call, POST /api/paused/:id edits and continues it, the
// live stream says `paused` and `resumed`, and a page elsewhere cannot decide anything.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { io as connect } from 'socket.io-client';
import { demoProtoDir } from '../../demo/paths.ts';
import { startDemoServer } from '../../demo/server.ts';
import type { PausedView, ResumedView } from '../../model/pauses.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { eventually, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';
import { request } from '../proxy/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-proxy-breakpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A request with exactly these headers, as a page or a script elsewhere would send it: a POST with a body, else a GET. */
async function send(url: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number }> {
  return request(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: Object.entries(headers).flat(), ...(body !== undefined && { body: Buffer.from(body) }) });
}

/** The first message the proxy lists as paused, once one is. */
async function firstPaused(proxy: ProxyProcess): Promise<PausedView> {
  return eventually(async () => ((await (await proxy.api('/api/paused')).json()) as PausedView[])[0], 'a message paused');
}

test('a call paused by a rule is listed, edited and continued over REST, said on the terminal and on the live stream', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, '- name: break on balance\n  at: response\n  match: service:billing op:balance\n  break: true\n');
  const db = join(dir, 'b.sqlite');
  // An earlier run's exchanges in the file: the proxy's flows count from 1 again, the file's exchanges do not.
  const earlier = await startProxyProcess(['--upstream', demo.url.href, '--db', db]);
  for (let i = 0; i < 2; i++) await (await fetch(`${earlier.proxyUrl}/health`)).arrayBuffer();
  assert.equal(await earlier.stop('SIGINT'), 0);
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', db, '--proto', demoProtoDir, '--break-timeout', '30s']);
  const live = connect(proxy.uiUrl, { auth: { token: proxy.uiToken }, transports: ['websocket'], reconnection: false });
  const events: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => live.once('connect', () => resolve()).once('connect_error', reject));
    live.on('paused', (pause: PausedView) => events.push(`paused ${pause.id}`));
    live.on('resumed', (resumed: ResumedView) => events.push(`resumed ${resumed.id} ${resumed.how}`));
    const codec = createCodec({ protoPaths: [demoProtoDir] });
    const call = fetch(`${proxy.proxyUrl}/exec`, {
      method: 'POST',
      body: new Uint8Array(codec.encode('ClientRequest', { trx: 'AAECAwQFBgcICQoLDA0ODw==', billing: { balance: {} } })),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    const pause = await firstPaused(proxy);
    assert.equal(pause.point, 'response');
    assert.equal(pause.call, 'billing.balance');
    assert.equal(pause.exchangeId, 3, 'the stored exchange, after the earlier run\'s two');
    const exchange = (await (await proxy.api(`/api/exchanges/${pause.exchangeId}`)).json()) as ExchangeDetail;
    assert.equal(exchange.path, '/exec', JSON.stringify(exchange));
    assert.equal(exchange.state, 'pending', 'recorded while its response is paused');
    assert.ok(Date.parse(pause.deadline!) - Date.parse(pause.at) === 30_000, 'the deadline is --break-timeout after the pause');

    const path = `/api/paused/${pause.id}`;
    const json = { ...(pause.message.json as object), errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] };
    const body = JSON.stringify({ action: 'continue', message: { json } });
    const bearer = { authorization: `Bearer ${proxy.uiToken}`, 'content-type': 'application/json' };
    assert.equal((await send(proxy.uiUrl, path, { 'content-type': 'application/json' }, body)).status, 401, 'no token');
    const foreign = await send(proxy.uiUrl, path, { ...bearer, origin: 'http://evil.example' }, body);
    assert.equal(foreign.status, 403, 'a page elsewhere');
    assert.equal((await send(proxy.uiUrl, path, { ...bearer, 'sec-fetch-site': 'cross-site' }, body)).status, 403, 'a cross-site request');
    const host = new URL(proxy.uiUrl).host;
    for (const [what, headers] of [
      ['the list from a page elsewhere', { ...bearer, host, origin: 'http://evil.example' }],
      ['the list cross-site', { ...bearer, host, 'sec-fetch-site': 'cross-site' }],
      ['the list under a foreign Host', { ...bearer, host: 'evil.example' }],
    ] as const) {
      assert.equal((await send(proxy.uiUrl, '/api/paused', headers)).status, 403, what);
    }
    const inject = JSON.stringify({ from: 'server', message: { json: {} } });
    assert.equal((await send(proxy.uiUrl, `${path}/inject`, { ...bearer, origin: 'http://evil.example' }, inject)).status, 403, 'an injection from a page elsewhere');
    assert.equal((await send(proxy.uiUrl, path, { ...bearer, host: 'evil.example' }, body)).status, 403, 'a decision under a foreign Host');
    const misfit = await proxy.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'answer' }) });
    assert.equal(misfit.status, 400);
    assert.match(((await misfit.json()) as { error: string }).error, /only a paused request can be answered/);

    const decided = await proxy.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(decided.status, 200);
    assert.deepEqual(await decided.json(), { id: pause.id, how: 'continued', changed: 1 });
    const answer = codec.decode('ServerResponse', new Uint8Array(await (await call).arrayBuffer()));
    assert.deepEqual(answer.json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal((await proxy.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 404, 'decided already');
    await eventually(() => (events.length === 2 ? true : undefined), 'both live events');
    assert.deepEqual(events, [`paused ${pause.id}`, `resumed ${pause.id} continued`]);
  } finally {
    live.close();
    assert.equal(await proxy.stop('SIGINT'), 0);
    await demo.close();
  }
  assert.ok(proxy.lines.includes(`paused #${1} billing.balance at response (rule "break on balance"); continues by itself in 30 s`), proxy.lines.join('\n'));
  assert.ok(proxy.lines.includes('#1 continued with 1 field changed'), proxy.lines.join('\n'));
});

test('a call paused while traffic keeps the journal from being stored is named at once by the exchange it will be', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'health.yaml');
  writeFileSync(file, '- { name: break on health, at: request, match: "path:/health", break: true }\n');
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', join(dir, 'busy.sqlite')]);
  // Calls one after another, never quiet long enough for the journal to be made into rows.
  let busy = true;
  let sent = 0;
  const traffic = (async () => {
    while (busy) {
      await (await fetch(`${proxy.proxyUrl}/elsewhere?n=${++sent}`)).arrayBuffer();
    }
  })();
  try {
    await eventually(() => (sent > 100 ? true : undefined), 'traffic under way');
    const call = fetch(`${proxy.proxyUrl}/health`);
    const pause = await firstPaused(proxy);
    const exchange = (await (await proxy.api(`/api/exchanges/${pause.exchangeId}`)).json()) as ExchangeDetail;
    assert.deepEqual([exchange.path, exchange.state], ['/health', 'pending'], JSON.stringify(exchange));
    assert.equal((await proxy.api(`/api/paused/${pause.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'continue' }) })).status, 200);
    assert.equal((await call).status, 200);
    busy = false;
    await traffic;
    const stored = await eventually(async () => {
      const detail = (await (await proxy.api(`/api/exchanges/${pause.exchangeId}`)).json()) as ExchangeDetail;
      return detail.state === 'complete' ? detail : undefined;
    }, 'the paused call stored');
    assert.deepEqual([stored.path, stored.status], ['/health', 200]);
  } finally {
    busy = false;
    await traffic;
    assert.equal(await proxy.stop('SIGINT'), 0);
    await demo.close();
  }
});

test('stopping the proxy lets a paused call go on, unchanged', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'all.yaml');
  writeFileSync(file, '- { name: every request, at: request, break: true }\n');
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', join(dir, 'c.sqlite'), '--break-timeout', '0']);
  try {
    const call = fetch(`${proxy.proxyUrl}/health`);
    await firstPaused(proxy);
    assert.ok(proxy.lines.some((l) => /paused #1 GET \/health at request \(rule "every request"\); waits until it is decided/.test(l)), proxy.lines.join('\n'));
    const stopped = proxy.stop('SIGINT');
    assert.equal((await call).status, 200, 'the call went on to the upstream');
    assert.equal(await stopped, 0);
  } finally {
    await proxy.stop('SIGKILL');
    await demo.close();
  }
});

test('without a rules file, a breakpoint armed over REST pauses the next call; removed, it pauses no more', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--db', join(dir, 'd.sqlite')]);
  const post = (path: string, body: unknown) => proxy.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    const bad = await post('/api/rules', { name: 'broken', at: 'somewhere', break: true });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^POST \/api\/rules: rule "broken": at: expected one of request, response, ws:client, ws:server\.$/);
    const armed = await post('/api/rules', { name: 'break on health', at: 'request', match: 'path:/health', break: true });
    assert.equal(armed.status, 201);
    assert.deepEqual(await armed.json(), { name: 'break on health', at: 'request', match: 'path:/health', enabled: true, hits: 0, added: true });
    assert.equal((await post('/api/rules', { name: 'break on health', at: 'request', break: true })).status, 409, 'a name taken');

    const call = fetch(`${proxy.proxyUrl}/health`);
    const pause = await firstPaused(proxy);
    assert.equal((await post(`/api/paused/${pause.id}`, { action: 'abort', abort: { status: 418 } })).status, 200);
    assert.equal((await call).status, 418);

    assert.equal((await proxy.api('/api/rules/break%20on%20health', { method: 'DELETE' })).status, 204);
    assert.equal((await proxy.api('/api/rules/break%20on%20health', { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${proxy.proxyUrl}/health`)).status, 200, 'not paused any more');
    assert.deepEqual(await (await proxy.api('/api/rules')).json(), []);
  } finally {
    assert.equal(await proxy.stop('SIGINT'), 0);
    await demo.close();
  }
  assert.ok(proxy.lines.includes('rules: "break on health" added in the inspector (at request, matching path:/health)'), proxy.lines.join('\n'));
  assert.ok(proxy.lines.includes('#1 aborted: answered with status 418'), proxy.lines.join('\n'));
});

test('a decision larger than 100 kB is taken, and one over the limit refused with a sentence', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'big.yaml');
  writeFileSync(file, '- { name: health, at: response, match: "path:/health", break: true }\n');
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', join(dir, 'e.sqlite'), '--break-timeout', '0']);
  try {
    const call = fetch(`${proxy.proxyUrl}/health`);
    const pause = await firstPaused(proxy);
    const decide = (bytes: number) =>
      proxy.api(`/api/paused/${pause.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'continue', message: { base64: Buffer.alloc(bytes, 0x61).toString('base64') } }) });
    const over = await decide(16 * 1024 * 1024);
    assert.equal(over.status, 413);
    assert.equal(((await over.json()) as { error: string }).error, `The request body is larger than the 20mb POST /api/paused/${pause.id} takes; send a smaller message.`);
    assert.equal((await decide(300_000)).status, 200);
    assert.equal((await (await call).arrayBuffer()).byteLength, 300_000, 'the edited answer, all of it');
  } finally {
    assert.equal(await proxy.stop('SIGINT'), 0);
    await demo.close();
  }
});

test('when the recorder stops, and the inspector with it, paused calls go on and nothing pauses any more', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'slow.yaml');
  writeFileSync(file, '- { name: slow, at: request, match: "path:/slow", break: true }\n');
  const env = { CA2_INSPECTOR_TEST_RECORDER_EXIT_ON_PATH: '/die' };
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', join(dir, 'f.sqlite'), '--break-timeout', '0'], undefined, env);
  try {
    const held = fetch(`${proxy.proxyUrl}/slow`);
    await firstPaused(proxy);
    await (await fetch(`${proxy.proxyUrl}/die`)).arrayBuffer();
    assert.equal((await held).status, 404, 'the paused call went on to the upstream, which has no /slow');
    assert.equal((await fetch(`${proxy.proxyUrl}/slow`)).status, 404, 'not paused any more');
    assert.ok(
      proxy.lines.includes('breakpoints: the inspector stopped with the recorder, so nothing can decide a pause; nothing pauses any more, and the paused message went on as it came.'),
      proxy.lines.join('\n'),
    );
  } finally {
    await proxy.stop('SIGINT');
    await demo.close();
  }
});
