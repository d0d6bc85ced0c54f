// Clients that reset or drop their connections, against the real `proxy` command: each
// kind of connection the inspector and the proxy answer, left at each moment. Nothing a
// client does may stop recording or the inspector (a page in any browser tab can make
// these requests to the inspector's port).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { ExchangePage } from '../../model/types.ts';
import { eventually, projectRoot, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';
import { startOpen, type OpenProcess } from './open-process.ts';
import { inspectorRequests, leavings, requestHead, sendAndHold, sendAndLeave, socketIoSession, webSocketUpgrade } from '../../support/resets.ts';

/** Every request, left every way, twice: concurrently per round, so the server meets them together. */
async function leaveEveryWay(port: number, requests: Record<string, string>): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const leaving of leavings) {
      await Promise.all(Object.values(requests).map((request) => sendAndLeave(port, request, leaving)));
    }
  }
}

/** Every upgrade the inspector refuses, sent by clients that then keep their side open. */
function holdRefusedUpgrades(port: number, token: string): Promise<Socket[]> {
  const refused = Object.entries(inspectorRequests(port, token, '')).filter(([name]) => name.startsWith('an upgrade'));
  return Promise.all(refused.map(([, request]) => sendAndHold(port, request)));
}

/** The proxy's own listener: forwarded requests, an upload cut short, a WebSocket, CONNECT and a tunnelled upgrade. */
function proxyRequests(port: number): Record<string, string> {
  const host = `127.0.0.1:${port}`;
  return {
    'a forwarded GET': requestHead('GET', '/health', host),
    'an upload cut short': requestHead('POST', '/exec', host, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '100000' }, 'abc'),
    'a WebSocket': requestHead('GET', '/ws', host, webSocketUpgrade),
    'a CONNECT': requestHead('CONNECT', 'example.com:443', 'example.com:443'),
    'an h2c upgrade': requestHead('GET', '/health', host, { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' }),
    'a WebSocket the upstream refuses': requestHead('GET', '/elsewhere', host, webSocketUpgrade),
  };
}

describe('the proxy outlives clients that reset their connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-connection-resets-'));
  let proxy: ProxyProcess;

  before(async () => {
    proxy = await startProxyProcess(['--db', join(dir, 'rec.sqlite'), '--quiet']);
    // Large recorded bodies make the export a download still being written when the client resets.
    for (let i = 0; i < 3; i++) {
      await (await fetch(`${proxy.proxyUrl}/upload-${i}`, { method: 'POST', body: Buffer.alloc(1 << 20, 'x') })).arrayBuffer();
    }
    await eventually(async () => ((await (await proxy.api('/api/exchanges?filter=path:/upload-')).json()) as ExchangePage).items.length === 3 || undefined, 'the uploads recorded');
  });

  after(async () => {
    await proxy?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // The timeout only ends a run that would otherwise hang on a shutdown that never finishes.
  test('every connection to the inspector and the proxy, reset, dropped or held half open, leaves recording and the inspector working, and shutdown prompt', { timeout: 120_000 }, async () => {
    const uiPort = Number(new URL(proxy.uiUrl).port);
    const proxyPort = Number(new URL(proxy.proxyUrl).port);
    const sid = await socketIoSession(proxy.uiUrl, proxy.uiToken!);
    await leaveEveryWay(uiPort, inspectorRequests(uiPort, proxy.uiToken!, sid));
    await leaveEveryWay(proxyPort, proxyRequests(proxyPort));
    const requests = proxyRequests(proxyPort);
    const held = [
      ...(await holdRefusedUpgrades(uiPort, proxy.uiToken!)),
      ...(await Promise.all([requests['a CONNECT']!, requests['a WebSocket the upstream refuses']!].map((request) => sendAndHold(proxyPort, request)))),
    ];

    assert.equal(proxy.child.exitCode, null, proxy.lines.join('\n'));
    const after = await fetch(`${proxy.proxyUrl}/after-the-resets`);
    await after.arrayBuffer();
    const page = await eventually(async () => {
      const res = await proxy.api('/api/exchanges?filter=path:/after-the-resets');
      const body = (await res.json()) as ExchangePage;
      return body.items.some((item) => item.state !== 'pending') ? body : undefined;
    }, 'the exchange after the resets, over REST');
    assert.equal(page.items[0]!.path, '/after-the-resets');
    assert.doesNotMatch(proxy.lines.join('\n'), /recorder stopped|unexpected error/);
    assert.equal(await proxy.stop('SIGTERM'), 0, proxy.lines.join('\n'));
    assert.doesNotMatch(proxy.lines.join('\n'), /did not finish writing/);
    for (const socket of held) socket.destroy();
  });
});

/** `open` on a recording, with a temporary folder of its own; resolves once it prints its link. */
async function startOpenIn(recording: string, tmp: string): Promise<OpenProcess> {
  const open = await startOpen([recording], { ...process.env, TMPDIR: tmp });
  started.push(open.child);
  return open;
}

/** Every open started, killed at the end should a test have failed with one still running. */
const started: ChildProcess[] = [];

// open reads a current recording as it is; an older one (version 2 here) through a copy of its rows.
const snapshots = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith('ca2-read-'));

describe('open outlives clients that reset their connections, and never leaves its snapshot behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-open-resets-'));
  const recording = join(dir, 'rec.sqlite');
  let runs = 0;
  /** A temporary folder for one run of open, so what it leaves there is its own. */
  const tmpFor = () => {
    const tmp = join(dir, `tmp-${runs++}`);
    mkdirSync(tmp);
    return tmp;
  };

  before(() => copyFileSync(join(projectRoot, 'test/fixtures/storage/v2.sqlite'), recording));
  after(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('open keeps serving through every kind of reset, and removes its snapshot when stopped with connections held half open', { timeout: 120_000 }, async () => {
    const tmp = tmpFor();
    const { child, link, output } = await startOpenIn(recording, tmp);
    const token = link.searchParams.get('token')!;
    const held: Socket[] = [];
    try {
      assert.equal(snapshots(tmp).length, 1, 'the snapshot is made in its temporary folder');
      const port = Number(link.port);
      await leaveEveryWay(port, inspectorRequests(port, token, await socketIoSession(link.origin, token)));
      held.push(...(await holdRefusedUpgrades(port, token)));
      const res = await fetch(new URL('/api/exchanges', link.origin), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, output());
      assert.equal(((await res.json()) as ExchangePage).items.length, 2);
      assert.doesNotMatch(output(), /unexpected error|Error:/);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await once(child, 'exit');
    for (const socket of held) socket.destroy();
    assert.equal(code, 0, output());
    assert.deepEqual(snapshots(tmp), []);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    test(`open removes its snapshot when ${signal} ends it`, async () => {
      const tmp = tmpFor();
      const { child, output } = await startOpenIn(recording, tmp);
      child.kill(signal);
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, output());
      assert.deepEqual(snapshots(tmp), []);
    });
  }

  test('open removes its snapshot when a second Ctrl-C ends it without waiting', async () => {
    const tmp = tmpFor();
    const { child, output } = await startOpenIn(recording, tmp);
    child.kill('SIGINT');
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.ok(code === 0 || code === 130, `${code}: ${output()}`);
    assert.deepEqual(snapshots(tmp), []);
  });
});
