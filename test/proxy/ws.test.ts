import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { WebSocket, type ClientOptions, type RawData, type ServerOptions } from 'ws';
import { closedPort, header, startHttpUpstream, payload, selfSignedCertificate, startHarness, startWsUpstream, type Harness } from './fixtures.ts';

interface Message {
  data: Buffer;
  isBinary: boolean;
}

/** Collects every message a socket receives. */
function collect(ws: WebSocket): Message[] {
  const messages: Message[] = [];
  ws.on('message', (data: RawData, isBinary) => messages.push({ data: data as Buffer, isBinary }));
  return messages;
}

function opened(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** An upstream WebSocket server and the proxy in front of it; `accepted` yields each upstream-side socket. */
async function setup(options: ServerOptions = {}, proxyOptions = {}, server?: http.Server) {
  const upstream = await startWsUpstream(options, server);
  const sockets: { ws: WebSocket; req: http.IncomingMessage }[] = [];
  upstream.server.on('connection', (ws, req) => sockets.push({ ws, req }));
  const harness = await startHarness(upstream.url, proxyOptions);
  const accepted = async (i = 0) => {
    await until(() => sockets.length > i);
    return sockets[i]!;
  };
  return {
    upstream,
    harness,
    accepted,
    close: async () => {
      await harness.proxy.close(200);
      await upstream.close();
    },
  };
}

const mixed = (): Message[] => [
  { data: Buffer.from('hello ✓ — ünïcödé 🚀'), isBinary: false },
  { data: payload(1, 1), isBinary: true },
  { data: Buffer.alloc(0), isBinary: true },
  { data: Buffer.alloc(0), isBinary: false },
  { data: payload(300, 2), isBinary: true },
  { data: Buffer.from('日本語のテキスト'.repeat(5000)), isBinary: false },
  { data: payload(3 * 1024 * 1024, 3), isBinary: true },
  { data: payload(70_000, 4), isBinary: true },
];

function assertSame(got: Message[], sent: Message[]): void {
  assert.equal(got.length, sent.length);
  got.forEach((m, i) => {
    assert.equal(m.isBinary, sent[i]!.isBinary, `message ${i} text/binary`);
    assert.ok(m.data.equals(sent[i]!.data), `message ${i} bytes`);
  });
}

describe('relaying a WebSocket', () => {
  it('passes every message byte-identical and in order both ways, text or binary, and taps each one', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atServer = collect(server);
      const atClient = collect(client);
      const fromClient = mixed();
      const fromServer = mixed();
      for (const m of fromClient) client.send(m.data, { binary: m.isBinary });
      await until(() => atServer.length === fromClient.length);
      for (const m of fromServer) server.send(m.data, { binary: m.isBinary });
      await until(() => atClient.length === fromServer.length);
      assertSame(atServer, fromClient);
      assertSame(atClient, fromServer);

      const frames = harness.recording.frames;
      assert.deepEqual(frames.map((f) => f.seq), frames.map((_, i) => i));
      const tapped = (direction: string) =>
        frames.filter((f) => f.direction === direction).map((f) => ({ data: Buffer.from(f.body), isBinary: f.opcode === 2, size: f.size, truncated: f.truncated }));
      assertSame(tapped('client'), fromClient);
      assertSame(tapped('server'), fromServer);
      assert.ok(frames.every((f) => f.size === f.body.length && !f.truncated));
      const flow = harness.recording.ended[0]!;
      assert.equal(flow.kind, 'ws');
      assert.equal(flow.request.path, '/ws');
      assert.equal(flow.response!.status, 101);
      assert.ok(frames.every((f) => f.flowId === flow.id));
      client.close();
    } finally {
      await close();
    }
  });

  it('forwards the handshake headers and subprotocol and returns the upstream 101 headers', async () => {
    const upstream = await setup({ handleProtocols: (offered) => (offered.has('ca2.v2') ? 'ca2.v2' : false) });
    upstream.upstream.server.on('headers', (lines) => lines.push('Set-Cookie: session=abc; HttpOnly', 'X-Upstream: yes'));
    try {
      const client = new WebSocket(`${upstream.harness.wsUrl}/ws?x=1`, ['ca2.v1', 'ca2.v2'], {
        headers: { Authorization: 'Bearer token-1', Cookie: 'a=1; b=2', 'X-Client': 'tester' },
        origin: 'https://app.example',
      });
      const upgrade = new Promise<http.IncomingMessage>((resolve) => client.once('upgrade', resolve));
      await new Promise((resolve) => client.once('open', resolve));
      const res = await upgrade;
      const { req } = await upstream.accepted();
      assert.equal(req.url, '/ws?x=1');
      assert.equal(req.headers.authorization, 'Bearer token-1');
      assert.equal(req.headers.cookie, 'a=1; b=2');
      assert.equal(req.headers.origin, 'https://app.example');
      assert.equal(req.headers['x-client'], 'tester');
      assert.equal(req.headers.host, new URL(upstream.upstream.url).host);
      assert.equal(req.headers['sec-websocket-protocol'], 'ca2.v1,ca2.v2');
      assert.equal(client.protocol, 'ca2.v2');
      assert.equal(header(res.rawHeaders, 'set-cookie'), 'session=abc; HttpOnly');
      assert.equal(header(res.rawHeaders, 'x-upstream'), 'yes');
      const flow = await upstream.harness.recording.endedFlow();
      assert.equal(header(flow.request.headers.flat(), 'authorization'), 'Bearer token-1');
      assert.equal(header(flow.response!.headers.flat(), 'sec-websocket-protocol'), 'ca2.v2');
      client.close();
    } finally {
      await upstream.close();
    }
  });

  it('relays a 101 that selects none of the offered subprotocols as the upstream gave it, and relays its messages', async () => {
    const upstream = await setup({ handleProtocols: () => false });
    upstream.upstream.server.on('connection', (ws) => ws.send('hello'));
    try {
      const key = randomBytes(16).toString('base64');
      const request = http.request(`${upstream.harness.url}/ws`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'chat, superchat' },
      });
      const upgraded = new Promise<[http.IncomingMessage, Duplex, Buffer]>((resolve, reject) => {
        request.once('upgrade', (res, socket, head) => resolve([res, socket, head]));
        request.once('response', (res) => reject(new Error(`the proxy answered ${res.statusCode} instead of relaying the 101`)));
      });
      request.end();
      const [res, socket, head] = await upgraded;
      assert.equal(res.statusCode, 101);
      assert.equal(res.headers['sec-websocket-protocol'], undefined, 'no subprotocol, as the upstream answered');
      assert.equal(res.headers['sec-websocket-accept'], createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'));
      const { req } = await upstream.accepted();
      assert.equal(req.headers['sec-websocket-protocol'], 'chat,superchat');
      // An unmasked text frame from the server: FIN + opcode 1, length 5, "hello".
      let received = head;
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      await until(() => received.length >= 7);
      assert.deepEqual(received.subarray(0, 7), Buffer.from([0x81, 0x05, ...Buffer.from('hello')]));
      const flow = await upstream.harness.recording.endedFlow();
      assert.equal(flow.error, null);
      assert.equal(flow.response!.status, 101);
      assert.equal(header(flow.request.headers.flat(), 'sec-websocket-protocol'), 'chat, superchat');
      assert.equal(header(flow.response!.headers.flat(), 'sec-websocket-protocol'), undefined);
      socket.destroy();
    } finally {
      await upstream.close();
    }
  });

  it('answers 502 when the upstream selects a subprotocol the client did not offer', async () => {
    const upstream = await setup({ handleProtocols: () => 'other' });
    try {
      const client = new WebSocket(`${upstream.harness.wsUrl}/ws`, ['ca2.v1']);
      client.on('error', () => undefined);
      const [, res] = (await once(client, 'unexpected-response')) as [http.ClientRequest, http.IncomingMessage];
      let body = '';
      for await (const chunk of res) body += chunk;
      assert.equal(res.statusCode, 502);
      assert.match(body, /^upstream 127\.0\.0\.1:\d+ selected the WebSocket subprotocol "other", but the client offered ca2\.v1\n$/);
      const flow = await upstream.harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'proxy-error');
    } finally {
      await upstream.close();
    }
  });

  it('relays a close code and reason from the client to the upstream', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atServer = closeOf(server);
      client.close(4001, 'bye from the client ✓');
      assert.deepEqual(await atServer, { code: 4001, reason: 'bye from the client ✓' });
      const { flow, close: tapped } = await harness.recording.closed();
      assert.deepEqual({ code: tapped.code, reason: tapped.reason, by: tapped.by }, { code: 4001, reason: 'bye from the client ✓', by: 'client' });
      assert.equal(flow.error, null);
      assert.ok(flow.endedAt! >= flow.startedAt);
    } finally {
      await close();
    }
  });

  it('relays a close code and reason from the upstream to the client', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atClient = closeOf(client);
      server.close(4002, 'server says bye');
      assert.deepEqual(await atClient, { code: 4002, reason: 'server says bye' });
      const { close: tapped } = await harness.recording.closed();
      assert.deepEqual({ code: tapped.code, reason: tapped.reason, by: tapped.by }, { code: 4002, reason: 'server says bye', by: 'server' });
    } finally {
      await close();
    }
  });

  it('relays a close without a code as one without a code, and taps it as null', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atServer = closeOf(server);
      client.close();
      assert.equal((await atServer).code, 1005);
      const { close: tapped } = await harness.recording.closed();
      assert.equal(tapped.code, null);
    } finally {
      await close();
    }
  });

  it('drops the upstream side when the client vanishes without a close frame, and records it', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atServer = closeOf(server);
      client.terminate();
      assert.equal((await atServer).code, 1006);
      const { flow, close: tapped } = await harness.recording.closed();
      assert.equal(tapped.code, null);
      assert.equal(tapped.by, 'client');
      assert.deepEqual(flow.error, { kind: 'client-aborted', message: 'the client dropped the WebSocket without a close frame' });
    } finally {
      await close();
    }
  });

  it('drops the client side when the upstream vanishes mid-stream, and records the reset', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atClient = closeOf(client);
      for (let i = 0; i < 50; i++) server.send(payload(10_000, i));
      server.terminate();
      assert.equal((await atClient).code, 1006);
      const { flow, close: tapped } = await harness.recording.closed();
      assert.equal(tapped.by, 'server');
      assert.equal(flow.error!.kind, 'upstream-reset');
      assert.match(flow.error!.message, /^upstream 127\.0\.0\.1:\d+ dropped the WebSocket without a close frame$/);
    } finally {
      await close();
    }
  });

  it('passes pings and pongs both ways and taps them as opcodes 9 and 10', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const serverPings: Buffer[] = [];
      server.on('ping', (data) => serverPings.push(data));
      const clientPong = new Promise<Buffer>((resolve) => client.once('pong', resolve));
      client.ping(Buffer.from('from client'));
      assert.equal((await clientPong).toString(), 'from client');
      assert.equal(serverPings[0]!.toString(), 'from client');

      const serverPong = new Promise<Buffer>((resolve) => server.once('pong', resolve));
      const clientPing = new Promise<Buffer>((resolve) => client.once('ping', resolve));
      server.ping(Buffer.from([1, 2, 3]));
      assert.deepEqual([...(await clientPing)], [1, 2, 3]);
      assert.deepEqual([...(await serverPong)], [1, 2, 3]);

      await harness.recording.until(() => harness.recording.frames.length === 4);
      assert.deepEqual(
        harness.recording.frames.map((f) => [f.direction, f.opcode, Buffer.from(f.body).toString('hex')]),
        [
          ['client', 9, Buffer.from('from client').toString('hex')],
          ['server', 10, Buffer.from('from client').toString('hex')],
          ['server', 9, '010203'],
          ['client', 10, '010203'],
        ],
      );
      client.close();
    } finally {
      await close();
    }
  });

  it('works with permessage-deflate, each side negotiating its own, and messages stay identical', async () => {
    const { harness, accepted, close } = await setup({ perMessageDeflate: { threshold: 0 } });
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      assert.match(client.extensions, /permessage-deflate/);
      assert.match(server.extensions, /permessage-deflate/);
      const atServer = collect(server);
      const atClient = collect(client);
      const messages = mixed();
      for (const m of messages) client.send(m.data, { binary: m.isBinary });
      for (const m of messages) server.send(m.data, { binary: m.isBinary });
      await until(() => atServer.length === messages.length && atClient.length === messages.length);
      assertSame(atServer, messages);
      assertSame(atClient, messages);
      client.close();

      const plain = await opened(`${harness.wsUrl}/ws`, [], { perMessageDeflate: false });
      const { ws: plainServer } = await accepted(1);
      assert.equal(plain.extensions, '');
      assert.equal(plainServer.extensions, '', 'the upstream is offered deflate only when the client offered it');
      plain.close();
    } finally {
      await close();
    }
  });

  it('gives a client that does not read backpressure instead of buffering what the upstream sends', async () => {
    const { harness, accepted, close } = await setup();
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      // Stop reading at once: from here only TCP and the proxy can hold the upstream's messages.
      client.pause();
      const atClient = collect(client);
      const count = 64;
      const sent = Array.from({ length: count }, (_, i) => payload(1024 * 1024, i));
      for (const data of sent) server.send(data, { binary: true });
      // The proxy taps each message as it reads it from the upstream, so the tap count is what
      // it took in. Wait until that stops growing: with backpressure, at its high-water mark.
      const readByProxy = () => harness.recording.frames.length;
      let last = -1;
      let steady = 0;
      while (steady < 15 && readByProxy() < count) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        steady = readByProxy() === last ? steady + 1 : 0;
        last = readByProxy();
      }
      assert.ok(
        readByProxy() < count / 4,
        `the proxy read ${readByProxy()} of ${count} 1 MiB messages for a client that reads nothing; socket buffers and its 1 MiB high-water mark explain a few`,
      );
      client.resume();
      await until(() => atClient.length === count);
      assertSame(atClient, sent.map((data) => ({ data, isBinary: true })));
      client.close();
    } finally {
      await close();
    }
  });

  it('taps frames above maxBody truncated with their full size and forwards them whole', async () => {
    const { harness, accepted, close } = await setup({}, { maxBody: 100 });
    try {
      const client = await opened(`${harness.wsUrl}/ws`);
      const { ws: server } = await accepted();
      const atServer = collect(server);
      const big = payload(10_000, 5);
      client.send(big);
      await until(() => atServer.length === 1);
      assert.ok(atServer[0]!.data.equals(big));
      const frame = harness.recording.frames[0]!;
      assert.equal(frame.size, 10_000);
      assert.equal(frame.truncated, true);
      assert.ok(Buffer.from(frame.body).equals(big.subarray(0, 100)));
      client.close();
    } finally {
      await close();
    }
  });
});

describe('a WebSocket the upstream does not accept', () => {
  it('reaches the client with the upstream status, headers and body, and is tapped with that response', async () => {
    // No upgrade listener: Node hands the handshake to the request handler, which refuses it.
    const upstream = await startHttpUpstream((_req, res) => {
      res.writeHead(401, 'Token Please', { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer' });
      res.write('missing ');
      res.end('token');
    });
    const harness = await startHarness(upstream.url);
    try {
      const client = new WebSocket(`${harness.wsUrl}/ws`);
      const refusal = await new Promise<{ status: number; message: string; rawHeaders: string[]; body: string }>((resolve) =>
        client.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, message: res.statusMessage!, rawHeaders: res.rawHeaders, body }));
        }),
      );
      client.on('error', () => undefined);
      assert.equal(refusal.status, 401);
      assert.equal(refusal.message, 'Token Please');
      assert.equal(header(refusal.rawHeaders, 'www-authenticate'), 'Bearer');
      assert.equal(refusal.body, 'missing token');
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.kind, 'ws');
      assert.equal(flow.response!.status, 401);
      assert.equal(Buffer.from(flow.response!.body).toString(), 'missing token');
      assert.equal(flow.error, null);
      assert.ok(flow.endedAt !== null);
      assert.equal(harness.recording.closes.length, 0);
      assert.equal(harness.proxy.inFlight(), 0);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  it('answers 502 with a reason when the upstream is down', async () => {
    const port = await closedPort();
    const harness = await startHarness(`http://127.0.0.1:${port}`);
    try {
      const client = new WebSocket(`${harness.wsUrl}/ws`);
      client.on('error', () => undefined);
      const refusal = await new Promise<{ status: number; body: string }>((resolve) =>
        client.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        }),
      );
      assert.equal(refusal.status, 502);
      assert.match(refusal.body, /^upstream 127\.0\.0\.1:\d+ refused the connection; is the server running\? \(ECONNREFUSED\)\n$/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.error!.kind, 'upstream-unreachable');
    } finally {
      await harness.proxy.close(100);
    }
  });
});

describe('a wss upstream', () => {
  it('is relayed with --insecure and refused with a certificate reason without it', async () => {
    const cert = selfSignedCertificate();
    const upstream = await startWsUpstream({}, https.createServer({ key: cert.key, cert: cert.cert }));
    upstream.server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const strict = await startHarness(upstream.url);
    const insecure: Harness = await startHarness(upstream.url, { insecure: true });
    try {
      const refused = new WebSocket(`${strict.wsUrl}/ws`);
      refused.on('error', () => undefined);
      const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
      assert.equal(status, 502);
      assert.equal((await strict.recording.endedFlow()).error!.kind, 'upstream-tls');

      const client = await opened(`${insecure.wsUrl}/ws`);
      const echoed = new Promise<Buffer>((resolve) => client.once('message', (d) => resolve(d as Buffer)));
      client.send('secure ✓');
      assert.equal((await echoed).toString(), 'secure ✓');
      client.close();
    } finally {
      await strict.proxy.close(100);
      await insecure.proxy.close(100);
      await upstream.close();
    }
  });
});
