// A slowloris on the inspector's port: hundreds of connections that send half a request
// and wait. The inspector holds no more than its cap of them; the rest are refused as they
// come, forwarding beside it goes on, and the inspector answers once they are gone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../storage/store.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import { startProxy, type ProxyServer } from '../../../proxy/server.ts';
import { Tap } from '../../../proxy/tap.ts';
import { eventually } from '../../../support/proxy-process.ts';

const CAP = 20;
const FLOOD = 300;
const dir = mkdtempSync(join(tmpdir(), 'ca2-inspector-limits-'));
let store: Store;
let inspector: InspectorServer;
let upstream: Server;
let proxy: ProxyServer;
const logged: string[] = [];

before(async () => {
  store = Store.open(join(dir, 't.sqlite'));
  inspector = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: 'sesame', log: (line) => logged.push(line), maxConnections: CAP });
  upstream = createServer((_req, res) => res.end('forwarded'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as net.AddressInfo;
  proxy = await startProxy({ upstream: new URL(`http://127.0.0.1:${port}`), listen: { host: '127.0.0.1', port: 0 }, tap: new Tap() });
});

after(async () => {
  await proxy.close(100);
  upstream.close();
  await inspector.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('holds at most its cap of half-sent connections, refuses the rest as they come, and leaves forwarding alone', async () => {
  const port = inspector.address.port;
  const flood: net.Socket[] = [];
  let refused = 0;
  for (let i = 0; i < FLOOD; i++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
    socket.on('error', () => undefined);
    // Closed by the inspector before this test closes it: refused.
    socket.on('close', () => flood.includes(socket) && refused++);
    flood.push(socket);
  }
  await eventually(() => refused >= FLOOD - CAP || undefined, `the inspector refusing all but ${CAP} of ${FLOOD} connections`);
  const held = flood.filter((socket) => !socket.destroyed);
  assert.ok(held.length <= CAP, `${held.length} connections held`);
  assert.equal(logged.filter((line) => /refused a connection from 127\.0\.0\.1: 20 are open, its limit/.test(line)).length, 1, logged.join('\n'));

  const forwarded = await fetch(`http://127.0.0.1:${proxy.address.port}/while-flooded`);
  assert.equal(await forwarded.text(), 'forwarded');

  const gone = flood.splice(0);
  for (const socket of gone) socket.destroy();
  const stats = await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: { authorization: 'Bearer sesame' } }).catch(() => null);
    return res?.status === 200 ? res : undefined;
  }, 'the inspector answering once the flood is gone');
  assert.equal(stats.status, 200);
});
