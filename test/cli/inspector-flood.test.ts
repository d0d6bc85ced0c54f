// A slowloris on the inspector's port of the real `proxy` command, with its descriptor
// limit lowered (prlimit, from util-linux) to a little more than the inspector may hold:
// the flood must not take the descriptors that forwarding needs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CONNECTIONS } from '../../inspector/server/limits.ts';
import { eventually, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';

/** Descriptors left for forwarding beyond what the inspector may hold: 20 proxied requests need 40. */
const ROOM = 64;
const FLOOD = MAX_CONNECTIONS + 400;
const dir = mkdtempSync(join(tmpdir(), 'ca2-inspector-flood-'));
let upstream: Server;
let proxy: ProxyProcess;

before(async () => {
  upstream = createServer((_req, res) => res.end('forwarded'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as net.AddressInfo;
  proxy = await startProxyProcess(['--upstream', `http://127.0.0.1:${port}`, '--db', join(dir, 'rec.sqlite'), '--quiet']);
});

after(async () => {
  await proxy?.stop('SIGKILL');
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a flood of half-sent connections to the inspector leaves the proxy the descriptors it needs', async () => {
  const pid = proxy.child.pid!;
  const limit = readdirSync(`/proc/${pid}/fd`).length + MAX_CONNECTIONS + ROOM;
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]);

  const port = Number(new URL(proxy.uiUrl).port);
  const flood: net.Socket[] = [];
  let refused = 0;
  for (let i = 0; i < FLOOD; i++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
    socket.on('error', () => undefined);
    socket.on('close', () => flood.includes(socket) && refused++);
    flood.push(socket);
  }
  await eventually(() => refused >= FLOOD - MAX_CONNECTIONS || undefined, `the inspector refusing all but ${MAX_CONNECTIONS} of ${FLOOD} connections`);

  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${proxy.proxyUrl}/while-flooded-${i}`).then((res) => res.text())));
  assert.deepEqual(new Set(answers), new Set(['forwarded']));

  for (const socket of flood.splice(0)) socket.destroy();
  await eventually(async () => ((await proxy.api('/api/stats').catch(() => null))?.status === 200) || undefined, 'the inspector answering once the flood is gone');
  assert.equal(proxy.lines.filter((line) => /^inspector: refused a connection/.test(line)).length, 1, proxy.lines.join('\n'));
  assert.equal(await proxy.stop('SIGTERM'), 0, proxy.lines.join('\n'));
});
