// The real `proxy` command after its recorder's thread has ended: traffic still flows,
// and Ctrl-C neither waits for the recorder nor leaves unsaid what was not recorded.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ExchangePage } from '../../model/types.ts';
import { eventually, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-recorder-gone-'));
let upstream: Server;
/** The answer /slow is waiting for, once it has arrived. */
let slow: ServerResponse | null = null;
let proxy: ProxyProcess;

before(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/slow') slow = res;
    else res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  const { port } = upstream.address() as AddressInfo;
  proxy = await startProxyProcess(['--upstream', `http://127.0.0.1:${port}`, '--db', join(dir, 'rec.sqlite'), '--quiet'], 30_000, {
    CA2_INSPECTOR_TEST_RECORDER_EXIT_ON_PATH: '/stop-the-recorder',
  });
});

after(async () => {
  await proxy?.stop('SIGKILL');
  upstream?.closeAllConnections();
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after the recorder stops, traffic still flows, and Ctrl-C ends at once saying what was not recorded', async () => {
  const inFlight = fetch(`${proxy.proxyUrl}/slow`);
  await eventually(async () => {
    const page = (await (await proxy.api('/api/exchanges?filter=path:/slow')).json()) as ExchangePage;
    return page.items[0]?.state === 'pending' || undefined;
  }, 'the exchange in flight, recorded as pending');

  assert.equal(await (await fetch(`${proxy.proxyUrl}/stop-the-recorder`)).text(), 'ok');
  await eventually(() => proxy.lines.some((line) => /recording: the recorder stopped: its thread ended/.test(line)) || undefined, 'the recorder stopping');
  assert.equal(await (await fetch(`${proxy.proxyUrl}/after`)).text(), 'ok', 'traffic is still forwarded');
  slow!.end('late');
  assert.equal(await (await inFlight).text(), 'late');

  assert.equal(await proxy.stop('SIGINT'), 1, proxy.lines.join('\n'));
  const output = proxy.lines.join('\n');
  assert.match(output, /the recorder had stopped, so 2 exchange\(s\) and 0 WebSocket frame\(s\) forwarded since are not in \S+rec\.sqlite; what it had begun recording stays pending there until the next run on it marks it interrupted\./);
  assert.doesNotMatch(output, /did not finish writing/);
});
