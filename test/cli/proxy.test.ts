// End to end: the real `ca2-inspector proxy` command between real clients and real
// upstreams, checked against what crossed the wire and what its REST API recorded.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import WebSocket, { WebSocketServer } from 'ws';
import type { ExchangeDetail, ExchangePage, ExchangeSummary } from '../../model/types.ts';
import { startDemoServer } from '../../demo/server.ts';
import { eventually, projectRoot, startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';

/** Encodes a text-format message with protoc, an encoder nobody here wrote. */
function protocEncode(type: string, text: string): Buffer {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], {
    cwd: projectRoot,
    input: text,
  });
  if (out.error) throw new Error(`protoc is needed for this test: ${out.error.message}`);
  assert.equal(out.status, 0, String(out.stderr));
  return out.stdout;
}

async function exec(proxy: ProxyProcess, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${proxy.proxyUrl}/exec`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array(body),
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function api<T>(proxy: ProxyProcess, path: string): Promise<T> {
  const res = await proxy.api(path);
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function recorded(proxy: ProxyProcess, filter: string, count = 1): Promise<ExchangeSummary[]> {
  let last: ExchangeSummary[] = [];
  try {
    return await eventually(async () => {
      const page = await api<ExchangePage>(proxy, `/api/exchanges?filter=${encodeURIComponent(filter)}`);
      last = page.items;
      const done = page.items.filter((i) => i.state !== 'pending');
      return done.length >= count ? done : undefined;
    }, `${count} recorded exchange(s) matching "${filter}"`);
  } catch (err) {
    const all = await api<ExchangePage>(proxy, '/api/exchanges');
    throw new Error(`${(err as Error).message}; it matched ${JSON.stringify(last)}; everything recorded: ${JSON.stringify(all.items)}`);
  }
}

function tempDb(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-proxy-test-'));
  return { file: join(dir, 'traffic.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('the proxy in front of the demo server', () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  let proxy: ProxyProcess;
  const db = tempDb();

  before(async () => {
    demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
    proxy = await startProxyProcess(['--upstream', demo.url.href, '--db', db.file, '--proto', 'demo/protos', '--quiet']);
  });
  after(async () => {
    await proxy?.stop();
    await demo?.close();
    db.cleanup();
  });

  test('forwards /exec unchanged and records the bytes that crossed the wire, decoded', async () => {
    const body = protocEncode('ca2.ClientRequest', 'trx: "trx-login-0001" auth { login { email: "ada@example.com" password: "wrong" } }');
    const direct = await fetch(new URL('/exec', demo.url), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
    const viaProxy = await exec(proxy, body);
    assert.equal(viaProxy.status, direct.status);
    assert.deepEqual(viaProxy.body, Buffer.from(await direct.arrayBuffer()));

    const [row] = await recorded(proxy, 'trx:trx-login-0001');
    assert.equal(row.kind, 'exec');
    assert.equal(row.service, 'auth');
    assert.equal(row.operation, 'login');
    assert.equal(row.requestSize, body.length);
    assert.equal(row.responseSize, viaProxy.body.length);
    const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${row.id}`);
    assert.deepEqual(Buffer.from(detail.request.body, 'base64'), body);
    assert.deepEqual(Buffer.from(detail.response!.body, 'base64'), viaProxy.body);
    assert.deepEqual(detail.request.decoded!.json.auth, { login: { email: 'ada@example.com', password: 'wrong' } });
  });

  test('resends a recorded call from the inspector through its upstream, recorded live as a replay', async () => {
    const body = protocEncode('ca2.ClientRequest', 'trx: "trx-resend-0001" auth { login { email: "ada@example.com" password: "demo" } }');
    await exec(proxy, body);
    const [row] = await recorded(proxy, 'trx:trx-resend-0001');
    const res = await proxy.api(`/api/exchanges/${row.id}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"trx":"keep"}' });
    assert.equal(res.status, 200, await res.clone().text());
    const answer = (await res.json()) as { id: number; replayOf: number; diff: { path: string }[] };
    assert.equal(answer.replayOf, row.id);
    // The new token is no difference; its expiry, in whole seconds, may be one.
    assert.ok(answer.diff.every((d) => d.path === 'auth.login.expires_at_ms'), JSON.stringify(answer.diff));
    const [replay] = await recorded(proxy, `replay:${row.id}`);
    assert.equal(replay.id, answer.id);
    const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${answer.id}`);
    assert.deepEqual(Buffer.from(detail.request.body, 'base64'), body);
  });

  test('records a malformed protobuf body with its problem and still forwards it', async () => {
    const garbage = Buffer.from([0x0a, 0x7f, 0x01, 0x02]);
    const res = await exec(proxy, garbage);
    assert.ok(res.status >= 200);
    const rows = await recorded(proxy, 'problem:any kind:exec');
    const row = rows.find((r) => r.requestSize === garbage.length);
    assert.ok(row, 'the malformed request is recorded');
    assert.ok(row.problems.some((p) => /byte/.test(p)), `problems name a byte offset: ${row.problems.join('; ')}`);
    const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${row.id}`);
    assert.deepEqual(Buffer.from(detail.request.body, 'base64'), garbage);
  });

  test('relays /ws frames byte-exact both ways and records them with the close', async () => {
    const login = protocEncode('ca2.ClientRequest', 'trx: "trx-login-ws" auth { login { email: "demo@ca2.example" password: "demo" } }');
    await exec(proxy, login);
    const loginRow = (await recorded(proxy, 'trx:trx-login-ws'))[0];
    const loginDetail = await api<ExchangeDetail>(proxy, `/api/exchanges/${loginRow.id}`);
    const token = (loginDetail.response!.decoded!.json.auth as { login?: { token?: string } })?.login?.token;
    assert.ok(token, 'the demo login answers a token');

    const socket = new WebSocket(`${proxy.proxyUrl.replace('http', 'ws')}/ws`);
    const received: Buffer[] = [];
    socket.on('message', (data: Buffer) => received.push(Buffer.from(data)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const auth = protocEncode('ca2.WsAuth', `token: "${token}"`);
    socket.send(auth);
    await eventually(() => (received.length > 0 ? true : undefined), 'the first WsEvent');
    socket.close(1000, 'test done');
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(received[0].length, 0, 'the first WsEvent after WsAuth is empty');

    const [row] = await recorded(proxy, 'kind:ws');
    const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${row.id}`);
    const client = detail.frames.filter((f) => f.direction === 'client');
    const server = detail.frames.filter((f) => f.direction === 'server');
    assert.deepEqual(Buffer.from(client[0].body, 'base64'), auth);
    assert.equal(client[0].decoded!.json.token, token);
    assert.deepEqual(server.map((f) => Buffer.from(f.body, 'base64')), received);
    assert.deepEqual({ code: detail.close!.code, by: detail.close!.by, reason: detail.close!.reason }, { code: 1000, by: 'client', reason: 'test done' });
    assert.equal(row.token?.prefix, token.slice(0, row.token!.prefix.length));
  });
});

/** An upstream that answers every request with its own body, after `delayMs`. */
async function echoUpstream(delayMs = 0): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(Buffer.concat(chunks));
      }, delayMs),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

describe('the proxy when things go wrong', () => {
  test('keeps forwarding while another program locks the database, says so, and writes the records once it lets go', async () => {
    const upstream = await echoUpstream();
    const db = tempDb();
    const proxy = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet']);
    const locker = new Database(db.file);
    try {
      locker.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 5; i++) {
        const body = Buffer.from([0x0a, 0x02, 0x61, 0x30 + i]);
        const res = await exec(proxy, body);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, body);
      }
      await eventually(() => (proxy.lines.some((l) => /^recording: .*locked/.test(l)) ? true : undefined), 'a line saying the database is locked');
      locker.exec('COMMIT');
      const rows = await recorded(proxy, 'kind:exec', 5);
      assert.deepEqual(rows.map((r) => r.trx).sort(), ['a0', 'a1', 'a2', 'a3', 'a4']);
    } finally {
      locker.close();
      await proxy.stop();
      upstream.close();
      db.cleanup();
    }
  });

  test('forwards a body above --max-body whole and records it truncated, with its full size', async () => {
    const upstream = await echoUpstream();
    const db = tempDb();
    const proxy = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet', '--max-body', '1kb']);
    try {
      const body = randomBytes(10_000);
      const res = await exec(proxy, body);
      assert.deepEqual(res.body, body, 'forwarded whole both ways');
      const [row] = await recorded(proxy, 'kind:exec');
      assert.deepEqual([row.requestSize, row.responseSize], [10_000, 10_000]);
      const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${row.id}`);
      assert.equal(detail.request.truncated, true);
      assert.deepEqual(Buffer.from(detail.request.body, 'base64'), body.subarray(0, 1024));
      assert.equal(detail.response!.truncated, true);
    } finally {
      await proxy.stop();
      upstream.close();
      db.cleanup();
    }
  });

  test('answers 502 with a reason when the upstream is down, and records the error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const db = tempDb();
    const proxy = await startProxyProcess(['--upstream', `http://127.0.0.1:${port}`, '--db', db.file, '--quiet']);
    try {
      const res = await fetch(`${proxy.proxyUrl}/exec`, { method: 'POST', body: new Uint8Array([0x0a, 0x01, 0x41]) });
      assert.equal(res.status, 502);
      assert.match(await res.text(), /refused|unreachable/i);
      const [row] = await recorded(proxy, 'kind:exec');
      assert.equal(row.state, 'error');
      const detail = await api<ExchangeDetail>(proxy, `/api/exchanges/${row.id}`);
      assert.match(detail.error ?? '', /refused/i);
    } finally {
      await proxy.stop();
      db.cleanup();
    }
  });

  test('on SIGTERM lets an exchange in flight finish, writes it, exits 0, and a restart finds every record', async () => {
    const upstream = await echoUpstream(800);
    const db = tempDb();
    try {
      const first = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet']);
      await exec(first, Buffer.from([0x0a, 0x02, 0x68, 0x69]));
      const inFlight = exec(first, Buffer.from([0x0a, 0x02, 0x68, 0x6a]));
      await new Promise((r) => setTimeout(r, 200));
      const exitCode = first.stop('SIGTERM');
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, Buffer.from([0x0a, 0x02, 0x68, 0x6a]));
      assert.equal(await exitCode, 0);

      const second = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet']);
      try {
        const page = await api<ExchangePage>(second, '/api/exchanges');
        assert.deepEqual(page.items.map((i) => [i.trx, i.state]).sort(), [['hi', 'complete'], ['hj', 'complete']]);
      } finally {
        await second.stop();
      }
    } finally {
      upstream.close();
      db.cleanup();
    }
  });

  test('on SIGHUP (the terminal closed) writes every record and exits 0', async () => {
    const upstream = await echoUpstream();
    const db = tempDb();
    try {
      const proxy = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet']);
      await exec(proxy, Buffer.from([0x0a, 0x02, 0x68, 0x75]));
      assert.equal(await proxy.stop('SIGHUP'), 0);
      assert.ok(proxy.lines.some((l) => /SIGHUP: finishing/.test(l)), proxy.lines.join('\n'));
      const reader = new Database(db.file, { readonly: true });
      try {
        assert.deepEqual(reader.prepare('SELECT trx FROM exchanges').all(), [{ trx: 'hu' }]);
      } finally {
        reader.close();
      }
    } finally {
      upstream.close();
      db.cleanup();
    }
  });

  test('a second Ctrl-C exits at once with 130, without waiting for the exchange in flight', async () => {
    const upstream = await echoUpstream(10_000);
    const db = tempDb();
    try {
      const proxy = await startProxyProcess(['--upstream', upstream.url, '--db', db.file, '--quiet']);
      const inFlight = exec(proxy, Buffer.from([0x0a, 0x02, 0x68, 0x6b])).catch((err: Error) => err);
      await eventually(async () => ((await api<ExchangePage>(proxy, '/api/exchanges?filter=state:pending')).items[0]), 'the exchange in flight');
      proxy.child.kill('SIGINT');
      await eventually(() => (proxy.lines.some((l) => /SIGINT: finishing 1 exchange/.test(l)) ? true : undefined), 'the first Ctrl-C said');
      // Later than a doubled delivery of one signal, as quick as a person presses twice.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await proxy.stop('SIGINT'), 130);
      assert.ok(proxy.lines.some((l) => /SIGINT again, exiting without waiting/.test(l)), proxy.lines.join('\n'));
      assert.ok((await inFlight) instanceof Error, 'the client in flight is cut off');
    } finally {
      upstream.close();
      db.cleanup();
    }
  });

  test("in demo mode decodes with the demo's schema, keeps quiet with --quiet, and counts this run apart from the file", async () => {
    const db = tempDb();
    try {
      const first = await startProxyProcess(['--db', db.file, '--quiet']);
      await eventually(async () => {
        const page = await api<ExchangePage>(first, '/api/exchanges?filter=op:login');
        return page.items[0];
      }, 'a demo auth.login decoded by name', 30_000);
      assert.equal(await first.stop('SIGTERM'), 0);
      const output = first.lines.join('\n');
      assert.match(output, /decoding with the demo's own illustrative schema \(demo\/protos\); --proto replaces it/);
      assert.doesNotMatch(output, /demo client:/, '--quiet silences the demo client too');
      assert.doesNotMatch(output, /breakpoints:/, 'nothing was paused, so stopping says nothing of breakpoints');
      const firstCount = /this run recorded (\d+) exchanges? and \d+ frames?; .* now holds (\d+) exchanges?/.exec(output);
      assert.ok(firstCount, output);
      assert.equal(firstCount[1], firstCount[2], 'a new file holds only this run');

      const second = await startProxyProcess(['--db', db.file, '--quiet', '--proto', 'test/fixtures/codec/schema']);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await second.stop('SIGTERM'), 0);
      const secondOutput = second.lines.join('\n');
      assert.doesNotMatch(secondOutput, /demo's own illustrative schema/, '--proto replaces the demo schema');
      const secondCount = /this run recorded (\d+) exchanges? and \d+ frames?; .* now holds (\d+) exchanges?/.exec(secondOutput);
      assert.ok(secondCount, secondOutput);
      assert.equal(Number(secondCount[2]), Number(firstCount[2]) + Number(secondCount[1]));
    } finally {
      db.cleanup();
    }
  });

  test('after a kill -9, a restart on the same --db marks the WebSocket that was open interrupted and leaves no pending row', async () => {
    const upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(upstream, 'listening');
    const db = tempDb();
    let client: WebSocket | undefined;
    try {
      const first = await startProxyProcess(['--upstream', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, '--db', db.file, '--quiet']);
      client = new WebSocket(`${first.proxyUrl.replace(/^http/, 'ws')}/ws`);
      client.on('error', () => undefined);
      await once(client, 'open');
      const pending = await eventually(async () => {
        const page = await api<ExchangePage>(first, `/api/exchanges?filter=${encodeURIComponent('kind:ws state:pending')}`);
        return page.items[0];
      }, 'the open WebSocket stored as pending');
      assert.equal(await first.stop('SIGKILL'), null);

      const second = await startProxyProcess(['--upstream', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, '--db', db.file, '--quiet']);
      try {
        assert.deepEqual((await api<ExchangePage>(second, '/api/exchanges?filter=state:pending')).items, []);
        const detail = await api<ExchangeDetail>(second, `/api/exchanges/${pending.id}`);
        assert.equal(detail.state, 'interrupted');
        assert.equal(detail.error, 'the proxy stopped before this exchange ended');
        assert.equal(detail.status, 101);
        const interrupted = await api<ExchangePage>(second, '/api/exchanges?filter=state:interrupted');
        assert.deepEqual(interrupted.items.map((i) => i.id), [pending.id]);
      } finally {
        await second.stop();
      }
    } finally {
      client?.terminate();
      upstream.close();
      db.cleanup();
    }
  });
});
