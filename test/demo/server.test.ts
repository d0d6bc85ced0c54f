// startDemoServer: the plain paths beside /exec and /ws, and a clean shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { demoProtoDir, startDemoServer, type DemoServer } from '../../demo/server.ts';
import { login, WsProbe } from './support.ts';

describe('the demo server', { timeout: 30_000 }, () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemoServer();
  });
  after(() => server.close());

  test('listens on 127.0.0.1 on a free port and gives its base URL', () => {
    assert.equal(server.url.hostname, '127.0.0.1');
    assert.ok(Number(server.url.port) > 0);
    assert.equal(server.url.pathname, '/');
  });

  test('GET / describes the demo in plain text', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), /POST \/exec/);
  });

  test('GET /health answers JSON with the count of open WebSockets', async () => {
    const probe = await WsProbe.open(server.url);
    probe.sendAuth(await login(server.url));
    await probe.frame(0);
    const res = await fetch(new URL('/health', server.url));
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = (await res.json()) as { status: string; uptimeMs: number; webSockets: number };
    assert.equal(body.status, 'ok');
    assert.equal(body.webSockets, 1);
    probe.ws.close();
    await probe.closed;
  });

  test('an unknown path gets 404 and a wrong method 405, both in plain text naming what exists', async () => {
    const missing = await fetch(new URL('/nope', server.url));
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Nothing at \/nope: the demo serves POST \/exec/);
    const posted = await fetch(new URL('/health', server.url), { method: 'POST' });
    assert.equal(posted.status, 405);
    assert.equal(posted.headers.get('allow'), 'GET, HEAD');
    await posted.arrayBuffer();
  });

  test('demoProtoDir is the absolute path of the illustrative schema', () => {
    assert.ok(isAbsolute(demoProtoDir));
    assert.ok(existsSync(join(demoProtoDir, 'ca2.proto')));
  });
});

test('close frees the port, ends keep-alive connections and can be called twice', async () => {
  const server = await startDemoServer({ rateLimit: false });
  const res = await fetch(new URL('/health', server.url));
  await res.arrayBuffer();
  await Promise.all([server.close(), server.close()]);
  await assert.rejects(fetch(new URL('/health', server.url)), (err: Error) => (err.cause as { code?: string }).code === 'ECONNREFUSED');
});

test('a port already in use is reported, not swallowed', async () => {
  const first = await startDemoServer();
  await assert.rejects(startDemoServer({ port: Number(first.url.port) }), /cannot listen on 127.0.0.1:\d+ \(EADDRINUSE\); choose another host or port/);
  await first.close();
});
