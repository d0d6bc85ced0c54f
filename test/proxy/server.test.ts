import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startProxy } from '../../proxy/server.ts';
import { Tap } from '../../proxy/tap.ts';
import { request, startHarness, startHttpUpstream, startWsUpstream } from './fixtures.ts';

describe('starting the proxy', () => {
  it('listens on a free port when asked for port 0 and reports the address', async () => {
    const harness = await startHarness('http://127.0.0.1:9');
    try {
      assert.equal(harness.proxy.address.host, '127.0.0.1');
      assert.ok(harness.proxy.address.port > 0);
      assert.equal(harness.proxy.inFlight(), 0);
    } finally {
      await harness.proxy.close(0);
    }
  });

  it('rejects with a sentence naming the address and the fix when the port is taken', async () => {
    const taken = await startHarness('http://127.0.0.1:9');
    try {
      const port = taken.proxy.address.port;
      await assert.rejects(
        startProxy({ upstream: new URL('http://127.0.0.1:9'), listen: { host: '127.0.0.1', port }, tap: new Tap() }),
        { message: `127.0.0.1:${port} is already in use; pick another --listen` },
      );
    } finally {
      await taken.proxy.close(0);
    }
  });

  it('rejects an upstream that is not http or https', async () => {
    await assert.rejects(
      startProxy({ upstream: new URL('ftp://example.com/'), listen: { host: '127.0.0.1', port: 0 }, tap: new Tap() }),
      { message: 'upstream ftp://example.com/ must start with http:// or https://' },
    );
  });

  it('answers CONNECT with a sentence saying it is a reverse proxy', async () => {
    const harness = await startHarness('http://127.0.0.1:9');
    try {
      const socket = net.connect(harness.proxy.address.port, '127.0.0.1');
      socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      let answer = '';
      for await (const chunk of socket) answer += chunk;
      assert.match(answer, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      assert.match(answer, /ca2-inspector is a reverse proxy for 127\.0\.0\.1:9: use it as your client's server URL, not as an HTTP proxy\.\n$/);
    } finally {
      await harness.proxy.close(0);
    }
  });

  it('forwards to a path under the upstream URL when it has one', async () => {
    let seen = '';
    const upstream = await startHttpUpstream((req, res) => res.end((seen = req.url!)));
    const harness = await startHarness(`${upstream.url}/api/v1/`);
    try {
      const res = await request(`${harness.url}/exec?a=1`);
      assert.equal(res.body.toString(), '/api/v1/exec?a=1');
      assert.equal(seen, '/api/v1/exec?a=1');
    } finally {
      await harness.proxy.close(0);
      await upstream.close();
    }
  });
});

describe('closing the proxy', () => {
  it('stops accepting, lets an exchange in flight finish, and resolves after it was tapped', async () => {
    let arrived!: (answer: () => void) => void;
    const atUpstream = new Promise<() => void>((resolve) => (arrived = resolve));
    const upstream = await startHttpUpstream((_req, res) => arrived(() => res.end('finished')));
    const harness = await startHarness(upstream.url);
    try {
      const response = request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '0'] });
      const answer = await atUpstream;
      assert.equal(harness.proxy.inFlight(), 1);
      let closed = false;
      const closing = harness.proxy.close(10_000).then(() => (closed = true));
      await assert.rejects(request(`${harness.url}/late`), { code: 'ECONNREFUSED' });
      assert.equal(closed, false);
      answer();
      const res = await response;
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'finished');
      await closing;
      assert.equal(harness.recording.ended.length, 1);
      assert.equal(harness.recording.ended[0]!.error, null);
      assert.equal(harness.proxy.inFlight(), 0);
    } finally {
      await upstream.close();
    }
  });

  it('ends an exchange still in flight after the grace period and records why', async () => {
    const upstream = await startHttpUpstream(() => undefined);
    const harness = await startHarness(upstream.url);
    try {
      const response = request(`${harness.url}/exec`, { method: 'POST', headers: ['Content-Length', '0'] });
      await harness.recording.until(() => harness.recording.started.length === 1);
      await harness.proxy.close(50);
      await assert.rejects(response);
      assert.equal(harness.recording.ended.length, 1);
      assert.deepEqual(harness.recording.ended[0]!.error, {
        kind: 'proxy-error',
        message: 'the proxy was shutting down and ended the exchange after waiting 50 ms',
      });
    } finally {
      await upstream.close();
    }
  });

  it('closes open WebSockets with 1001 on both sides and taps their close before resolving', async () => {
    const upstream = await startWsUpstream();
    const upstreamCloses: number[] = [];
    upstream.server.on('connection', (ws) => ws.on('close', (code) => upstreamCloses.push(code)));
    const harness = await startHarness(upstream.url);
    try {
      const clients = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<WebSocket>((resolve) => {
              const ws = new WebSocket(`${harness.wsUrl}/ws`);
              ws.once('open', () => resolve(ws));
            }),
        ),
      );
      const clientCloses = clients.map((ws) => new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()]))));
      assert.equal(harness.proxy.inFlight(), 2);
      await harness.proxy.close(1000);
      assert.equal(harness.recording.closes.length, 2);
      for (const { flow, close } of harness.recording.closes) {
        assert.deepEqual({ by: close.by, code: close.code, reason: close.reason }, { by: 'proxy', code: 1001, reason: 'proxy shutting down' });
        assert.equal(flow.error, null);
      }
      assert.deepEqual(await Promise.all(clientCloses), [[1001, 'proxy shutting down'], [1001, 'proxy shutting down']]);
      await new Promise<void>(async (resolve) => {
        while (upstreamCloses.length < 2) await new Promise((r) => setTimeout(r, 5));
        resolve();
      });
      assert.deepEqual(upstreamCloses, [1001, 1001]);
    } finally {
      await upstream.close();
    }
  });

  it('lets exchanges finish while WebSockets stay open, then closes the WebSockets', async () => {
    let arrived!: (answer: () => void) => void;
    const atUpstream = new Promise<() => void>((resolve) => (arrived = resolve));
    const upstream = await startWsUpstream({}, http.createServer((_req, res) => arrived(() => res.end('done'))));
    const harness = await startHarness(upstream.url);
    try {
      const ws = new WebSocket(`${harness.wsUrl}/ws`);
      await new Promise((resolve) => ws.once('open', resolve));
      const response = request(`${harness.url}/slow`);
      const answer = await atUpstream;
      const closing = harness.proxy.close(10_000);
      const wsClosed = new Promise<number>((resolve) => ws.once('close', resolve));
      setTimeout(() => answer(), 50);
      assert.equal((await response).body.toString(), 'done');
      assert.equal(await wsClosed, 1001);
      await closing;
      assert.equal(harness.recording.ended.filter((f) => f.kind === 'http')[0]!.error, null);
    } finally {
      await upstream.close();
    }
  });
});

describe('what the tap is told', () => {
  it('reports every start in rising id order, whatever mix of HTTP, WebSocket and tunnelled requests arrives at once', async () => {
    const upstream = await startWsUpstream({}, http.createServer((_req, res) => res.end('ok')));
    const harness = await startHarness(upstream.url);
    const sockets: (WebSocket | net.Socket)[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        void request(`${harness.url}/plain/${i}`);
        sockets.push(new WebSocket(`${harness.wsUrl}/ws/${i}`).on('error', () => {}));
        const raw = net.connect(harness.proxy.address.port, '127.0.0.1').on('error', () => {});
        raw.write(`GET /h2c/${i} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
        sockets.push(raw);
      }
      await harness.recording.until(() => harness.recording.started.length === 60);
      const ids = harness.recording.started.map((flow) => flow.id);
      assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => i + 1), 'PendingStarts (recorder/pending-starts.ts) relies on this order');
      assert.deepEqual(new Set(harness.recording.started.map((flow) => flow.request.path.split('/')[1])), new Set(['plain', 'ws', 'h2c']));
    } finally {
      for (const socket of sockets) (socket instanceof WebSocket ? socket.terminate() : socket.destroy());
      await harness.proxy.close(0);
      await upstream.close();
    }
  });
});
