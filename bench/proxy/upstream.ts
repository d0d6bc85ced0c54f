// The benchmark's upstream, run as its own process: a minimal ca2-like server.
// POST /exec answers a ~300-byte ServerResponse echoing the request's trx; /ws answers a
// WsAuth with an empty WsEvent, then pushes ~200-byte WsEvents as fast as the socket takes
// them (/ws?count=N: N of them, then nothing).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** Protobuf length-delimited field: tag, varint length, bytes. */
function field(number: number, bytes: Buffer): Buffer {
  const length: number[] = [];
  let n = bytes.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...length]), bytes]);
}

const ZERO_TRX = Buffer.alloc(16);
/** ServerResponse.utils, a nested message with one string: filler to reach ~300 bytes. */
const utils = field(10, field(1, Buffer.alloc(260, 'x')));
/** WsEvent.billing with one balance-like entry: ~200 bytes. */
const event = field(1, field(1, Buffer.alloc(190, 'b')));

function execResponse(request: Buffer): Buffer {
  const trx = request[0] === 0x0a && request[1] === 16 ? request.subarray(2, 18) : ZERO_TRX;
  return Buffer.concat([field(1, trx), utils]);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/exec') {
      const body = execResponse(Buffer.concat(chunks));
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length });
      res.end(body);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws, req) => {
  // /ws?count=N pushes N events, then waits; plain /ws pushes until the client leaves.
  let left = Number(new URL(req.url ?? '/', 'http://upstream').searchParams.get('count') ?? Infinity);
  ws.once('message', () => {
    ws.send(Buffer.alloc(0));
    // A batch per turn of the event loop: a socket the kernel drains at once never fills,
    // so pushing until it does would never yield.
    const push = () => {
      if (ws.readyState !== ws.OPEN) return;
      for (let i = 0; i < 64 && left > 0 && ws.bufferedAmount < 256 * 1024; i++, left--) ws.send(event);
      if (left > 0) setImmediate(push);
    };
    push();
  });
  ws.on('error', () => undefined);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`upstream at http://127.0.0.1:${port},\n`);
});
