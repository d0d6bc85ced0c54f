import { createCodec } from '../../proto/codec.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { demoProtoDir } from '../../demo/paths.ts';
import { startDemoServer } from '../../demo/server.ts';
import { decodeMessage, encodeMessage } from '../../demo/schema.ts';
import { recordDemoSession } from '../mock/demo-recording.ts';
import { Store } from '../../storage/store.ts';
import type { ExchangeDetail, ExchangePage } from '../../model/types.ts';
import { eventually, projectRoot, startProxyProcess } from '../../support/proxy-process.ts';

let recording: { db: string; dir: string };
before(async () => {
  recording = await recordDemoSession();
});
after(() => rmSync(recording.dir, { recursive: true, force: true }));

const mock = (...args: string[]) => spawnSync(process.execPath, ['bin/ca2-inspector.js', 'mock', ...args], { cwd: projectRoot, encoding: 'utf8' });

test('says what it loaded and where it serves, answers from the recording, says a repeated miss once and counts it, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'mock', '--db', recording.db, '--listen', '127.0.0.1:0', '--proto', demoProtoDir, '--filter', 'kind:exec'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let wake = () => {};
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = async (pattern: RegExp) => {
    for (;;) {
      const line = lines.find((l) => pattern.test(l));
      if (line) return line;
      await new Promise<void>((r) => (wake = r));
    }
  };
  try {
    const serving = await waitFor(/serving at/);
    assert.match(lines[0], new RegExp(`^ca2-inspector mock: loaded .*recorded\\.sqlite \\(filter kind:exec\\): \\d+ /exec keys from \\d+ exchanges, 0 WebSocket sessions, 0 answers for other paths$`));
    assert.equal(lines[1], `ca2-inspector mock: schema: the bundled ca2 envelope with ${demoProtoDir}`);
    const url = /serving at (\S+);/.exec(serving)![1];

    for (const trx of ['t1', 't2', 't3']) {
      const res = await fetch(`${url}/exec`, {
        method: 'POST',
        body: new Uint8Array(encodeMessage('ca2.ClientRequest', { trx: Buffer.from(trx), token: 'x', servers: { list: { region: 'mars1' } } })),
      });
      assert.deepEqual(decodeMessage<{ errors: string[] }>('ca2.ServerResponse', new Uint8Array(await res.arrayBuffer())).errors, ['SE_INTERNAL_SERVER_ERROR']);
    }
    assert.match(await waitFor(/^mock: /), /^mock: no recorded servers\.list with region="mars1"; nearest #\d+ differs at servers\.list\.region \((absent|".*") → "mars1"\)$/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  const misses = lines.filter((l) => l.startsWith('mock: '));
  assert.deepEqual(misses, [misses[0], `${misses[0]} (×3 in all)`]);
});

test('explains a missing --db, a file that is not there, and bad option values in one line with exit 2', () => {
  const cases: [string[], RegExp][] = [
    [[], /^ca2-inspector mock: --db FILE is required: the recording or capture to serve; see 'ca2-inspector mock --help'\.\n$/],
    [['--db', join(recording.dir, 'nope.capture')], /^ca2-inspector mock: .*nope\.capture does not exist; pass the recording \(--db of the proxy\) or a capture file\.\n$/],
    [['--db', recording.db, '--match', 'fuzzy'], /^ca2-inspector mock: --match takes exact or closest; got "fuzzy"\.\n$/],
    [['--db', recording.db, '--timing', 'fast'], /^ca2-inspector mock: --timing takes recorded or none; got "fast"\.\n$/],
    [['--db', recording.db, '--unmatched', 'drop'], /^ca2-inspector mock: --unmatched takes error or forward:URL .*; got "drop"\.\n$/],
    [['--db', recording.db, '--unmatched', 'forward:ftp://x'], /^ca2-inspector mock: --unmatched forward:URL needs an http:\/\/ or https:\/\/ URL; got "forward:ftp:\/\/x"\.\n$/],
    [['--db', recording.db, '--filter', 'status:'], /^ca2-inspector mock: --filter at 7: expected a value after "status:"\n$/],
    [['--db', recording.db, '--proto', join(recording.dir, 'none.proto')], /^ca2-inspector mock: --proto .*none\.proto/],
    [['--db', recording.db, '--listen', 'nowhere'], /^ca2-inspector mock: --listen takes HOST:PORT/],
    [['--db', recording.db, '--ignore', '.'], /^ca2-inspector mock: --ignore takes a field path like utils\.ping\.client_time_ms; got "\."\.\n$/],
    [['--db', recording.db, '--max-body', 'lots'], /^ca2-inspector mock: --max-body takes a size like 16MiB, 512kb or 1048576; got "lots"\.\n$/],
  ];
  for (const [args, expected] of cases) {
    const out = mock(...args);
    assert.equal(out.status, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, expected);
  }
});

test('proxy --mock forwards to the mock of a recording and records its traffic like any upstream\'s', { timeout: 60_000 }, async () => {
  const store = Store.open(recording.db, { codec: createCodec({ protoPaths: [demoProtoDir] }) });
  const recorded = store.listExchanges({ filter: 'service:users op:me', limit: 1 }).items.map((s) => store.getExchange(s.id)!)[0];
  const refused = store.listExchanges({ filter: 'kind:ws error:any', limit: 1 }).items.map((s) => store.getExchange(s.id)!)[0];
  store.close();

  const proxy = await startProxyProcess(['--mock', recording.db, '--db', join(recording.dir, 'through-proxy.sqlite'), '--proto', demoProtoDir, '--quiet']);
  try {
    assert.ok(proxy.lines.some((l) => /^ca2-inspector: mock loaded .*recorded\.sqlite: \d+ \/exec keys from \d+ exchanges, 3 WebSocket sessions, 2 answers for other paths$/.test(l)), proxy.lines.join('\n'));
    assert.match(proxy.lines.find((l) => l.includes('proxy at'))!, /forwarding to the mock of .*recorded\.sqlite at http:\/\/127\.0\.0\.1:\d+$/);

    const res = await fetch(`${proxy.proxyUrl}/exec`, { method: 'POST', body: new Uint8Array(Buffer.from(recorded.request.body, 'base64')) });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(recorded.response!.body, 'base64'), 'the same trx gets the recorded bytes back');
    const miss = await fetch(`${proxy.proxyUrl}/exec`, {
      method: 'POST',
      body: new Uint8Array(encodeMessage('ca2.ClientRequest', { trx: Buffer.from('t2'), token: 'x', servers: { list: { region: 'mars1' } } })),
    });
    assert.equal(miss.headers.get('x-ca2-mock')?.startsWith('no match: no recorded servers.list'), true);
    await miss.arrayBuffer();

    const ws = new WebSocket(`${proxy.proxyUrl.replace('http', 'ws')}/ws`);
    ws.on('open', () => ws.send(Buffer.from(refused.frames.find((f) => f.direction === 'client')!.body, 'base64')));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    assert.equal(code, refused.close!.code);

    const page = await eventually(async () => {
      const body = (await (await proxy.api('/api/exchanges')).json()) as ExchangePage;
      return body.items.length === 3 && body.items.every((i) => i.state === 'complete') ? body : undefined;
    }, 'the three exchanges recorded');
    assert.deepEqual(page.items.map((i) => [i.kind, i.service, i.operation, i.errors]), [
      ['ws', null, null, ['SE_EXPIRED_TOKEN_ERROR']],
      ['exec', 'servers', 'list', ['SE_INTERNAL_SERVER_ERROR']],
      ['exec', 'users', 'me', recorded.errors],
    ]);
    const wsDetail = (await (await proxy.api(`/api/exchanges/${page.items[0].id}`)).json()) as ExchangeDetail;
    assert.deepEqual(wsDetail.frames.filter((f) => f.direction === 'server').map((f) => f.body), refused.frames.filter((f) => f.direction === 'server').map((f) => f.body));
  } finally {
    assert.equal(await proxy.stop(), 0);
  }
});

test('proxy --mock takes the mock\'s --ignore, --match and --timing, and says a repeated miss once with its count when it stops', { timeout: 60_000 }, async () => {
  const proxy = await startProxyProcess([
    '--mock', recording.db, '--db', join(recording.dir, 'options.sqlite'), '--proto', demoProtoDir, '--quiet',
    '--ignore', 'servers.list.region', '--match', 'closest', '--timing', 'none',
  ]);
  const exec = (request: object) => fetch(`${proxy.proxyUrl}/exec`, { method: 'POST', body: new Uint8Array(encodeMessage('ca2.ClientRequest', { trx: Buffer.from('t'), token: 'x', ...request })) });
  try {
    const ignored = await exec({ servers: { list: { region: 'mars1' } } });
    assert.equal(ignored.headers.get('x-ca2-mock'), null, 'the region is left out of matching: an exact match');
    await ignored.arrayBuffer();
    for (let i = 0; i < 3; i++) {
      const closest = await exec({ instances: { list: { page: { limit: 21 } } } });
      assert.match(closest.headers.get('x-ca2-mock') ?? '', /^closest #\d+ \(1 field differs\)$/);
      await closest.arrayBuffer();
    }
  } finally {
    assert.equal(await proxy.stop(), 0);
  }
  const said = proxy.lines.filter((l) => l.startsWith('mock: '));
  assert.equal(said.length, 2, said.join('\n'));
  assert.match(said[0], /^mock: instances\.list: no exact match, answered with the closest #\d+ \(1 field differs\): instances\.list\.page/);
  assert.equal(said[1], `${said[0]} (×3 in all)`);
});

test('proxy and mock word a mistake in a mock option alike', () => {
  const proxy = (...args: string[]) => spawnSync(process.execPath, ['bin/ca2-inspector.js', 'proxy', '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0', '--mock', recording.db, '--db', join(recording.dir, 'unused.sqlite'), ...args], { cwd: projectRoot, encoding: 'utf8' });
  for (const args of [['--match', 'fuzzy'], ['--ignore', '.'], ['--max-body', 'lots']]) {
    const viaProxy = proxy(...args);
    const viaMock = mock('--db', recording.db, ...args);
    assert.equal(viaProxy.status, 2, `${args.join(' ')}: ${viaProxy.stderr}`);
    assert.equal(viaProxy.stderr.replace(/^ca2-inspector proxy: /, ''), viaMock.stderr.replace(/^ca2-inspector mock: /, ''), args.join(' '));
  }
});

test('proxy refuses --mock together with --upstream, the mock\'s options without --mock, and a --mock file that is not there', () => {
  const proxy = (...args: string[]) => spawnSync(process.execPath, ['bin/ca2-inspector.js', 'proxy', '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0', ...args], { cwd: projectRoot, encoding: 'utf8' });
  const both = proxy('--mock', recording.db, '--upstream', 'http://127.0.0.1:9');
  assert.equal(both.status, 2);
  assert.equal(both.stderr, 'ca2-inspector proxy: --mock and --upstream both say where to forward; pass one of them.\n');
  const alone = proxy('--unmatched', 'forward:http://127.0.0.1:9');
  assert.equal(alone.status, 2);
  assert.equal(alone.stderr, 'ca2-inspector proxy: --unmatched goes with --mock FILE: it says what the mock does with a request its recording lacks.\n');
  const timing = proxy('--timing', 'none');
  assert.equal(timing.status, 2);
  assert.equal(timing.stderr, 'ca2-inspector proxy: --timing goes with --mock FILE: it says when the mock plays recorded WebSocket frames.\n');
  const missing = proxy('--mock', join(recording.dir, 'nope.capture'), '--db', join(recording.dir, 'unused.sqlite'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^ca2-inspector proxy: .*nope\.capture does not exist; pass the recording \(--db of the proxy\) or a capture file\.\n$/);
});

test('proxy --mock --unmatched forward:URL sends what the recording lacks to that server and records its answer', { timeout: 60_000 }, async () => {
  const demo = await startDemoServer();
  const proxy = await startProxyProcess(['--mock', recording.db, '--unmatched', `forward:${demo.url.href}`, '--db', join(recording.dir, 'forwarded.sqlite'), '--proto', demoProtoDir, '--quiet']);
  try {
    const res = await fetch(`${proxy.proxyUrl}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(encodeMessage('ca2.ClientRequest', { trx: Buffer.from('t3'), instances: { get: { id: 'i-never-recorded' } } })),
    });
    assert.deepEqual(decodeMessage<{ errors: string[] }>('ca2.ServerResponse', new Uint8Array(await res.arrayBuffer())).errors, ['SE_TOKEN_REQUIRED_ERROR'], 'the demo server answered');
    const page = await eventually(async () => {
      const body = (await (await proxy.api('/api/exchanges')).json()) as ExchangePage;
      return body.items.length === 1 && body.items[0].state === 'complete' ? body : undefined;
    }, 'the forwarded exchange recorded');
    assert.deepEqual(page.items[0].errors, ['SE_TOKEN_REQUIRED_ERROR']);
    assert.ok(proxy.lines.some((l) => l.startsWith('mock: no recorded instances.get') && l.endsWith(`; forwarded to ${demo.url.origin}`)), proxy.lines.join('\n'));
  } finally {
    assert.equal(await proxy.stop(), 0);
    await demo.close();
  }
});
