import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as httpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { listen } from '../../proxy/listen.ts';
import { requestHead, sendAndLeave, webSocketUpgrade } from '../../support/resets.ts';

test('names the address and the option to change when the port is taken, and leaves the server reusable', async () => {
  const taken = createServer();
  await listen(taken, { host: '127.0.0.1', port: 0 }, '--listen');
  const port = (taken.address() as { port: number }).port;
  const second = createServer();
  try {
    await assert.rejects(listen(second, { host: '127.0.0.1', port }, '--ui'), { message: `127.0.0.1:${port} is already in use; pick another --ui` });
    await listen(second, { host: '127.0.0.1', port: 0 }, '--ui');
    assert.notEqual((second.address() as { port: number }).port, port);
  } finally {
    second.close();
    taken.close();
  }
});

test('says when the host is not an address of this machine', async () => {
  const server = createServer();
  await assert.rejects(listen(server, { host: '192.0.2.1', port: 0 }, '--ui'), { message: '192.0.2.1 is not an address of this machine; pick another --ui' });
});

test('a socket taken over for an upgrade and then reset by its client takes nothing down', async () => {
  const server = httpServer();
  // A refusal written bit by bit, as a large or slow answer is: the client resets after the first bit.
  const gone = new Promise<void>((resolve) => {
    server.on('upgrade', (_req, socket: Socket) => {
      const timer = setInterval(() => socket.write('HTTP/1.1 403 Forbidden\r\n'), 5);
      socket.on('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
  });
  await listen(server, { host: '127.0.0.1', port: 0 }, '--ui');
  const { port } = server.address() as { port: number };
  try {
    await sendAndLeave(port, requestHead('GET', '/', `127.0.0.1:${port}`, webSocketUpgrade), 'reset-on-answer');
    await gone;
  } finally {
    server.close();
  }
});
