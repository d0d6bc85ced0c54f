// The benchmark's baseline, run as its own process: http-proxy forwarding HTTP and
// WebSocket upgrades with a keep-alive agent to the upstream, and nothing else.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';

const target = process.argv[2]!;
const proxy = httpProxy.createProxyServer({ target, ws: true, agent: new http.Agent({ keepAlive: true }) });
proxy.on('error', (err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end(err.message);
  else res.destroy();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`proxy at http://127.0.0.1:${port},\n`);
});
