// The Host and Origin checks and the security headers, on a real inspector listener,
// sent as an attacker's browser would send them (any Host, any Origin).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { io as connect } from 'socket.io-client';
import { Store } from '../../../storage/store.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import { securityHeaders, splitHost } from '../../../inspector/server/guard.ts';
import { cookieName } from '../../../inspector/server/auth.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers, Host included: what fetch will not send. */
function send(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw WebSocket to socket.io's endpoint; resolves with the status it was answered with. */
function upgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    socket.once('error', reject);
  });
}

describe('the inspector listener guard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-inspector-guard-'));
  let store: Store;
  let server: InspectorServer;
  let port: number;
  const token = 'sesame-42';
  const bearer = { authorization: `Bearer ${token}` };

  before(async () => {
    store = Store.open(join(dir, 't.sqlite'));
    server = await startInspectorServer({
      store, host: '127.0.0.1', port: 0, token, allowHosts: ['inspector.example.com', 'fixed.example:8443'], log: () => undefined,
    });
    port = server.address.port;
  });
  after(async () => {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads Host headers and origin hosts, IPv6 included', () => {
    assert.deepEqual(splitHost('127.0.0.1:8081'), { name: '127.0.0.1', port: 8081 });
    assert.deepEqual(splitHost('[::1]:80'), { name: '::1', port: 80 });
    assert.deepEqual(splitHost('LocalHost.'), { name: 'localhost', port: null });
    assert.equal(splitHost('a b:1'), null);
    assert.equal(splitHost('::1:80'), null);
  });

  test('answers a request addressed to a loopback name or address on its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      assert.equal((await send(port, '/api/stats', { host, ...bearer })).status, 200, host);
    }
  });

  test('refuses a foreign Host with 403 and a sentence naming it and the flag that allows it, on every path', async () => {
    const host = `evil.example:${port}`;
    for (const path of ['/', '/api/exchanges/1', '/socket.io/?EIO=4&transport=polling']) {
      const answer = await send(port, path, { host, ...bearer });
      assert.equal(answer.status, 403, path);
      assert.match(answer.body, new RegExp(`refused the Host evil\\.example:${port}.*--ui-allow-host evil\\.example`), path);
    }
    // The right name on another port is a rebinding attempt too.
    assert.equal((await send(port, '/api/stats', { host: '127.0.0.1:1', ...bearer })).status, 403);
    // Node itself answers 400 to an HTTP/1.1 request without Host; the guard would say 403.
    assert.ok([400, 403].includes((await send(port, '/api/stats', bearer)).status), 'no Host at all');
  });

  test('lets in the names given with --ui-allow-host, on any port or only the one given', async () => {
    assert.equal((await send(port, '/api/stats', { host: 'inspector.example.com', ...bearer })).status, 200);
    assert.equal((await send(port, '/api/stats', { host: 'inspector.example.com:443', ...bearer })).status, 200);
    assert.equal((await send(port, '/api/stats', { host: 'fixed.example:8443', ...bearer })).status, 200);
    assert.equal((await send(port, '/api/stats', { host: 'fixed.example:9999', ...bearer })).status, 403);
  });

  test('refuses a WebSocket upgrade with a foreign Host or a foreign Origin', async () => {
    assert.equal(await upgrade(port, { ...bearer }), 101, 'a plain loopback upgrade passes the guard');
    assert.equal(await upgrade(port, { host: `evil.example:${port}` }), 403);
    assert.equal(await upgrade(port, { origin: `http://evil.example:${port}` }), 403);
    assert.equal(await upgrade(port, { origin: `http://127.0.0.1:${port}` }), 101);
  });

  test('refuses requests that change state from a foreign or opaque origin, and socket.io polling from one', async () => {
    const host = `127.0.0.1:${port}`;
    const post = await send(port, '/api/exchanges/1/replay', { host, origin: 'http://evil.example', ...bearer }, 'POST');
    assert.equal(post.status, 403);
    assert.match(post.body, /refused the Origin evil\.example/);
    assert.equal((await send(port, '/api/stats', { host, origin: 'null', ...bearer }, 'POST')).status, 403);
    const polling = await send(port, '/socket.io/?EIO=4&transport=polling', { host, origin: 'http://evil.example' });
    assert.equal(polling.status, 403);
    // A REST GET from elsewhere is refused too, token or not: CORS would keep the answer from the page, not the work from the inspector.
    assert.equal((await send(port, '/api/stats', { host, origin: 'http://evil.example', ...bearer })).status, 403);
    assert.equal((await send(port, '/api/stats', { host, origin: 'http://127.0.0.1:1', ...bearer })).status, 403, 'a page on another port');
    assert.equal((await send(port, '/api/stats', { host, origin: `http://127.0.0.1:${port}`, ...bearer })).status, 200);
  });

  test('refuses REST and socket.io to requests a browser marks as coming from another site or port, and only those', async () => {
    const host = `127.0.0.1:${port}`;
    for (const path of ['/api/stats', '/api/export?format=har', '/socket.io/?EIO=4&transport=polling']) {
      for (const site of ['same-site', 'cross-site']) {
        const answer = await send(port, path, { host, 'sec-fetch-site': site, ...bearer });
        assert.equal(answer.status, 403, `${path} ${site}`);
        assert.match(answer.body, new RegExp(`refused a request made by a page elsewhere \\(Sec-Fetch-Site: ${site}\\)`));
      }
    }
    // The inspector's own fetches, the address bar, and clients that are no browser.
    for (const site of ['same-origin', 'none', undefined]) {
      const headers = { host, ...bearer, ...(site ? { 'sec-fetch-site': site } : {}) };
      assert.equal((await send(port, '/api/stats', headers)).status, 200, String(site));
    }
    // The app itself may be linked to from anywhere: it holds no data.
    assert.equal((await send(port, '/', { host, 'sec-fetch-site': 'cross-site' })).status, 200);
  });

  test('a cookie planted under another name, however close to the real one, does not lock the user out', async () => {
    const host = `127.0.0.1:${port}`;
    const planted = [`ca2-inspector-token-${port}=planted`, `${cookieName('planted')}=planted`, 'ca2-inspector=planted'];
    const answer = await send(port, '/api/stats', { host, cookie: [...planted, `${cookieName(token)}=${token}`].join('; ') });
    assert.equal(answer.status, 200);
  });

  test('sends a socket.io client with a foreign Origin no event', async () => {
    const client = connect(`http://127.0.0.1:${port}`, {
      auth: { token }, transports: ['websocket'], reconnection: false, extraHeaders: { origin: 'http://evil.example' },
    });
    let events = 0;
    client.on('batch', () => events++);
    const error = await new Promise<Error>((resolve) => client.once('connect_error', resolve));
    server.live.exchange({ id: 1 } as never);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.close();
    assert.ok(error);
    assert.equal(events, 0);
  });

  test('tells a missing token from a wrong one, on REST and on socket.io', async () => {
    const host = `127.0.0.1:${port}`;
    const missing = await send(port, '/api/stats', { host });
    assert.equal(missing.status, 401);
    assert.match(JSON.parse(missing.body).error, /needs its token: open the link printed/);
    const wrong = await send(port, '/api/stats', { host, authorization: 'Bearer guess' });
    assert.equal(wrong.status, 403);
    assert.match(JSON.parse(wrong.body).error, /is not this inspector's/);

    for (const [auth, pattern] of [[{}, /needs its token/], [{ token: 'guess' }, /is not this inspector's/]] as const) {
      const client = connect(`http://127.0.0.1:${port}`, { auth, transports: ['websocket'], reconnection: false });
      let events = 0;
      client.on('batch', () => events++);
      const error = await new Promise<Error>((resolve) => client.once('connect_error', resolve));
      server.live.exchange({ id: 2 } as never);
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.close();
      assert.match(error.message, pattern);
      assert.equal(events, 0);
    }
  });

  test('opening the link sets an HttpOnly, SameSite=Strict cookie named from the token, which then stands in for the token', async () => {
    const host = `127.0.0.1:${port}`;
    const page = await send(port, `/?token=${token}`, { host });
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^${cookieName(token)}=${token}; Path=/; HttpOnly; SameSite=Strict$`));
    assert.equal((await send(port, '/api/stats', { host, cookie: `${cookieName(token)}=${token}` })).status, 200);
    assert.equal((await send(port, '/api/stats', { host, cookie: `${cookieName('another-token')}=${token}` })).status, 401, "another inspector's cookie");
    assert.equal((await send(port, '/?token=guess', { host })).headers['set-cookie'], undefined, 'a wrong link sets nothing');

    const client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie: `${cookieName(token)}=${token}` } });
    await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('connect_error', reject));
    client.close();
  });

  test('puts the security headers on every response, refusals and errors included', async () => {
    const host = `127.0.0.1:${port}`;
    const answers = [
      await send(port, '/', { host }),
      await send(port, '/api/stats', { host, ...bearer }),
      await send(port, '/api/nope', { host, ...bearer }),
      await send(port, '/api/stats', { host }),
      await send(port, '/', { host: 'evil.example' }),
      await send(port, '/socket.io/?EIO=4&transport=polling', { host }),
    ];
    for (const answer of answers) {
      for (const [name, value] of securityHeaders) assert.equal(answer.headers[name.toLowerCase()], value, `${name} on a ${answer.status}`);
    }
    const csp = securityHeaders.find(([name]) => name === 'Content-Security-Policy')![1];
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });
});
