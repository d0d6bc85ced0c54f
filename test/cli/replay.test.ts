import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { demoProtoDir, startDemoServer, type DemoServer } from '../../demo/server.ts';
import { openForReading } from '../../capture/sources.ts';
import { Store } from '../../storage/store.ts';
import { exec, login, recordThrough, tempDb, wsSession } from '../replay/support.ts';
import { projectRoot } from '../../support/proxy-process.ts';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Runs the real command; async, since the upstreams live in this process. */
function replay(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'replay', ...args], { cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An upstream in front of the demo whose servers.list now answers another region. */
async function changedUpstream(demo: URL) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const answer = await fetch(new URL('/exec', demo), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.concat(chunks) });
      const response = decodeMessage<Record<string, any>>('ca2.ServerResponse', new Uint8Array(await answer.arrayBuffer()));
      if (response.servers?.list?.servers?.[0]) response.servers.list.servers[0].name = 'mars-1';
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(encodeMessage('ca2.ServerResponse', response));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('ca2-inspector replay', () => {
  let demo: DemoServer;
  let db: string;

  before(async () => {
    demo = await startDemoServer({ rateLimit: false, billingIntervalMs: 3_600_000 });
    db = tempDb();
    const recording = await recordThrough(demo.url, db);
    const token = await login(recording.url);
    await exec(recording.url, { servers: { list: {} } }, token);
    await exec(recording.url, { billing: { balance: {} } }, token);
    await wsSession(recording.url, token);
    await recording.close();
  });

  after(async () => {
    await demo.close();
    fs.rmSync(path.dirname(db), { recursive: true, force: true });
  });

  test('a recorded session replays the same everywhere, is recorded as replays, and writes the report', async () => {
    const report = path.join(path.dirname(db), 'same.json');
    const out = await replay('--db', db, '--upstream', demo.url.href, '--proto', demoProtoDir, '--timing', 'none', '--ignore', 'auth.login.expires_at_ms', '--report', report);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /^replayed 4\/4, 0 different, 0 failed$/m);
    assert.match(out.stdout, /^auth\.login\s+1\s+0\s+0$/m);
    assert.match(out.stdout, /^ws \/ws\s+1\s+0\s+0$/m);
    assert.match(out.stdout, /^total\s+4\s+0\s+0$/m);
    assert.match(out.stdout, /^token renewed from auth\.login, exchange 1$/m);
    const written = JSON.parse(fs.readFileSync(report, 'utf8'));
    assert.deepEqual(written.summary, { total: 4, same: 4, different: 0, failed: 0 });
    assert.deepEqual(Object.keys(written.exchanges[0]), ['id', 'replayId', 'service', 'operation', 'result', 'diffs', 'error']);
    assert.deepEqual(written.exchanges.map((e: { id: number }) => e.id), [1, 2, 3, 4]);
    const into = /^ca2-inspector replay: recording into (\S+), beside copies of the 4 exchange\(s\) replayed \(.+ is only read; --into FILE chooses another\)\.$/m.exec(out.stdout)?.[1];
    assert.equal(into, path.join(path.dirname(db), 'traffic.replay-1.sqlite'));
    const store = Store.open(into!);
    try {
      assert.deepEqual(store.listExchanges({ filter: '-replay:any' }).items.map((s) => s.id).sort(), [1, 2, 3, 4], 'the originals, copied');
      const replays = store.listExchanges({ filter: 'replay:any' }).items;
      assert.deepEqual(replays.map((s) => s.replayOf).sort(), [1, 2, 3, 4]);
      assert.deepEqual(written.exchanges.map((e: { replayId: number }) => e.replayId).sort(), replays.map((s) => s.id).sort());
      // The replayed calls carried the token the replayed login got, not the recorded one.
      const recordedToken = store.getExchange(2)!.request.decoded!.json.token;
      const sent = store.getExchange(replays.find((s) => s.replayOf === 2)!.id)!.request.decoded!.json.token;
      assert.notEqual(sent, recordedToken);
    } finally {
      store.close();
    }
  });

  test('a capture is only read: the replay, with the live token given, goes into a new recording beside it, or into --into', async () => {
    const capture = path.join(path.dirname(db), 'bug.capture');
    const exported = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'export', '--db', db, '-o', capture, '--filter', 'service:servers or service:billing'], { cwd: projectRoot });
    assert.equal(exported.status, 0, String(exported.stderr));
    const original = sha256(capture);
    const token = await login(demo.url);
    const out = await replay('--db', capture, '--upstream', demo.url.href, '--token', token, '--timing', 'none', '--filter', 'service:servers');
    assert.match(out.stdout, /^ca2-inspector replay: recording into \S+bug\.replay-1\.sqlite, beside copies of the 1 exchange\(s\) replayed/m);
    assert.equal(sha256(capture), original, 'the capture is left byte for byte');
    assert.ok(!fs.readFileSync(capture).includes(token), 'no live token in the capture');
    const into = path.join(path.dirname(db), 'bug.replay-1.sqlite');
    assert.ok(fs.readFileSync(into).includes(token), 'the replay, with its token, is in the new recording');
    const read = openForReading(into, { use: { flag: '--db', command: 'list', writes: false } });
    try {
      const [replayed] = read.store.listExchanges({ filter: 'replay:any' }).items;
      assert.equal(read.store.getExchange(replayed.replayOf!)!.operation, 'list', 'beside the copy of what it replays, named by the schema the capture kept');
    } finally {
      read.close();
    }
    const again = await replay('--db', capture, '--upstream', demo.url.href, '--timing', 'none', '--filter', 'service:servers', '--into', into);
    assert.match(again.stdout, /recording into \S+bug\.replay-1\.sqlite/);
    const added = Store.open(into);
    try {
      assert.equal(added.listExchanges({ filter: 'replay:any' }).items.length, 2, 'an existing recording is added to');
    } finally {
      added.close();
    }
    const intoCapture = await replay('--db', db, '--upstream', demo.url.href, '--into', capture);
    assert.equal(intoCapture.code, 2);
    assert.equal(intoCapture.stderr, `ca2-inspector replay: --into ${capture} is a capture, which is kept as it was exported: pass --into with a recording or a new file.\n`);
    assert.equal(sha256(capture), original);
  });

  test('a changed answer is reported with its exact field path and exit status 1', async () => {
    const upstream = await changedUpstream(demo.url);
    try {
      const report = path.join(path.dirname(db), 'changed.json');
      const out = await replay('--db', db, '--upstream', upstream.url, '--proto', demoProtoDir, '--filter', 'service:auth or service:servers', '--timing', 'none', '--ignore', 'auth.login.expires_at_ms', '--report', report);
      assert.equal(out.code, 1, out.stdout + out.stderr);
      assert.match(out.stdout, /^servers\.list\s+0\s+1\s+0$/m);
      assert.match(out.stdout, /^#2 → #\d+  servers\.list  servers\.list\.servers\[0\]\.name: "[^"]+" → "mars-1"$/m);
      const written = JSON.parse(fs.readFileSync(report, 'utf8'));
      assert.deepEqual(written.summary, { total: 2, same: 1, different: 1, failed: 0 });
      const diff = written.exchanges[1].diffs[0];
      assert.equal(diff.path, 'servers.list.servers[0].name');
      assert.equal(diff.change, 'changed');
      assert.equal(diff.after, 'mars-1');
    } finally {
      await upstream.close();
    }
  });

  test('an upstream that cannot be reached fails every exchange, with the reason', async () => {
    const out = await replay('--db', db, '--upstream', 'http://127.0.0.1:9', '--proto', demoProtoDir, '--filter', 'kind:exec', '--timing', 'none');
    assert.equal(out.code, 1);
    assert.match(out.stdout, /^total\s+0\s+0\s+3$/m);
    assert.match(out.stdout, /^#1  auth\.login  upstream 127\.0\.0\.1:9 refused the connection/m);
  });

  test('usage mistakes are one sentence and exit status 2', async () => {
    const noUpstream = await replay('--db', db);
    assert.equal(noUpstream.code, 2);
    assert.equal(noUpstream.stderr, "ca2-inspector replay: --upstream URL is required: a replay never goes to a server you did not name; see 'ca2-inspector replay --help'.\n");
    const badTrx = await replay('--db', db, '--upstream', demo.url.href, '--trx', 'fresh');
    assert.equal(badTrx.code, 2);
    assert.equal(badTrx.stderr, 'ca2-inspector replay: --trx takes new or keep; got "fresh".\n');
    const badFilter = await replay('--db', db, '--upstream', demo.url.href, '--filter', 'sevice:auth');
    assert.equal(badFilter.code, 2);
    assert.match(badFilter.stderr, /^ca2-inspector replay: --filter at 0: unknown key "sevice:"/);
  });

  test('a --report that cannot be written is said before anything is sent', async () => {
    let requests = 0;
    const upstream = http.createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      const out = await replay('--db', db, '--upstream', `http://127.0.0.1:${(upstream.address() as { port: number }).port}`, '--report', '/nonexistent/r.json');
      assert.deepEqual([out.code, out.stderr], [2, 'ca2-inspector replay: --report /nonexistent/r.json: the folder /nonexistent does not exist; create it or write somewhere else.\n']);
      assert.equal(requests, 0, 'nothing was replayed');
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

describe('ca2-inspector replay with a token that has since expired', () => {
  test('replays cleanly because the replayed login renews the token', async () => {
    const demo = await startDemoServer({ rateLimit: false, tokenTtlMs: 1_000, billingIntervalMs: 3_600_000 });
    const db = tempDb();
    try {
      const recording = await recordThrough(demo.url, db);
      const token = await login(recording.url);
      await exec(recording.url, { billing: { balance: {} } }, token);
      await recording.close();
      // Past the recorded token's exp (whole seconds, so up to 2 s after its login).
      const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
      await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
      const withoutLogin = await replay('--db', db, '--upstream', demo.url.href, '--proto', demoProtoDir, '--filter', 'service:billing', '--timing', 'none');
      assert.equal(withoutLogin.code, 1, 'the recorded token alone has expired');
      assert.match(withoutLogin.stdout, /errors: \(none\) → \["SE_EXPIRED_TOKEN_ERROR"\]/);
      const session = await replay('--db', db, '--upstream', demo.url.href, '--proto', demoProtoDir, '--timing', 'none', '--ignore', 'auth.login.expires_at_ms');
      assert.equal(session.code, 0, session.stdout);
      assert.match(session.stdout, /^token renewed from auth\.login, exchange 1$/m);
    } finally {
      await demo.close();
      fs.rmSync(path.dirname(db), { recursive: true, force: true });
    }
  });
});
