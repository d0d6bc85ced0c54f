import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { startHarness, startHttpUpstream, startWsUpstream } from './fixtures.ts';

/** Sends raw bytes to the proxy and reads everything until the proxy closes. */
async function exchange(port: number, bytes: string, then?: (socket: net.Socket, received: () => string) => Promise<void>): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
  const ended = new Promise((resolve) => socket.on('close', resolve));
  socket.write(bytes);
  if (then) await then(socket, () => answer);
  await ended;
  return answer;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('tunnelling an upgrade that is not a WebSocket', () => {
  it('passes the upstream answer to an h2c upgrade it ignores through unchanged', async () => {
    const upstream = await startHttpUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '14', Connection: 'close' });
      res.end(`no h2c for ${req.method}`);
    });
    const harness = await startHarness(upstream.url);
    try {
      const answer = await exchange(
        harness.proxy.address.port,
        'GET /status HTTP/1.1\r\nHost: client.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      );
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(answer, /\r\n\r\nno h2c for GET$/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.kind, 'http');
      assert.equal(flow.request.path, '/status');
      assert.equal(flow.response!.status, 200);
      assert.deepEqual(flow.response!.headers.find(([name]) => name === 'Content-Type'), ['Content-Type', 'text/plain']);
      assert.equal(flow.error, null);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });

  it('relays the bytes of a protocol the upstream switches to, both ways', async () => {
    let upstreamHeaders: http.IncomingHttpHeaders = {};
    const plain = http.createServer();
    plain.on('upgrade', (req, socket) => {
      upstreamHeaders = req.headers;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase()));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as net.AddressInfo).port;
    const harness = await startHarness(`http://127.0.0.1:${port}`);
    try {
      const answer = await exchange(
        harness.proxy.address.port,
        'GET /shout HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n',
        async (socket, received) => {
          await until(() => received().includes('\r\n\r\n'));
          socket.write('hello ');
          await until(() => received().endsWith('HELLO '));
          socket.end('tunnel');
        },
      );
      assert.equal(answer, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nHELLO TUNNEL');
      assert.equal(upstreamHeaders.upgrade, 'shout');
      assert.equal(upstreamHeaders.host, `127.0.0.1:${port}`);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.response!.status, 101);
      assert.equal(flow.response!.statusMessage, 'Switching Protocols');
    } finally {
      await harness.proxy.close(100);
      plain.close();
    }
  });

  it('lets the upstream answer a WebSocket handshake the proxy cannot complete', async () => {
    const upstream = await startWsUpstream();
    const harness = await startHarness(upstream.url);
    try {
      const answer = await exchange(
        harness.proxy.address.port,
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(answer, /Missing or invalid Sec-WebSocket-Key header$/);
      const flow = await harness.recording.endedFlow();
      assert.equal(flow.response!.status, 400);
    } finally {
      await harness.proxy.close(100);
      await upstream.close();
    }
  });
});
