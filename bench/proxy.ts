// `npm run bench`: this proxy against bare http-proxy forwarding, same upstream, one run.
// Prints /exec requests per second and p50/p99 latency, /ws events per second, each as a
// ratio to bare forwarding; a WebSocket flood (frames recorded of frames sent, time to
// catch up); bytes on disk per exchange once the search index has caught up; the time to
// re-summarise 100,000 stored exchanges after a schema change; and the proxy's RSS as
// recorded exchanges grow to 200,000.
//
//   npm run bench                 the real command: ca2-inspector proxy, recording everything
//   npm run bench -- --tap-only   the forwarding core alone, with an empty tap
//   npm run bench -- --only ws    one part: exec, ws, flood, disk, resummarise or rss
//   npm run bench -- --rounds 4   more alternating rounds of the exec and ws parts (default 2)
//   npm run bench -- --with-ws    the exec part with a /ws client holding its socket open, as a ca2 session does
//   npm run bench -- --watching   the exec part with an inspector on the live stream, so every exchange is recorded as it passes
//   npm run bench -- --seconds 40 longer exec rounds (default 8): sustained load (past 500,000 journaled calls, rows are made during them)
//
// Every server runs in its own process; autocannon and the WebSocket clients run here.

import { autocannon, type CannonResult } from './autocannon.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { io as connectLive, type Socket } from 'socket.io-client';
import { benchResummarise } from './resummarise.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = ['--import', 'tsx'];

/** How to start a proxy in front of `upstream`; it must print "proxy at http://HOST:PORT," when ready. */
type ProxyCommand = (upstream: string, workDir: string) => string[];

const bare: ProxyCommand = (upstream) => [...tsx, 'bench/proxy/bare-forwarder.ts', upstream];
const recording: ProxyCommand = (upstream, workDir) => [
  'bin/ca2-inspector.js', 'proxy', '--upstream', upstream, '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0',
  '--db', join(workDir, 'bench.sqlite'), '--quiet',
];
const tapOnly: ProxyCommand = (upstream) => [...tsx, 'bench/proxy/tap-only-proxy.ts', upstream];

const ours = process.argv.includes('--tap-only') ? { name: 'forwarding core, empty tap', command: tapOnly } : { name: 'ca2-inspector proxy (recording)', command: recording };

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? null : process.argv[onlyAt + 1];
const runs = (part: 'exec' | 'ws' | 'flood' | 'disk' | 'resummarise' | 'rss' | 'rules') => only === null || only === part;

const roundsAt = process.argv.indexOf('--rounds');
/** Alternating rounds of bare and ours; more of them average out a machine whose speed wanders. */
const ROUNDS = roundsAt === -1 ? 2 : Math.max(1, Number(process.argv[roundsAt + 1]) || 2);
const secondsAt = process.argv.indexOf('--seconds');
/** Longer rounds measure sustained load: the tap journal waits for a pause up to 500,000 calls, and past them is made into rows during the run. */
const EXEC_SECONDS = secondsAt === -1 ? 8 : Math.max(1, Number(process.argv[secondsAt + 1]) || 8);
const EXEC = { connections: 32, warmupSeconds: 2, seconds: EXEC_SECONDS, rounds: ROUNDS, withWs: process.argv.includes('--with-ws'), watching: process.argv.includes('--watching') };
const WS = { clients: 4, seconds: 5, rounds: ROUNDS };
const FLOOD_EVENTS = 50_000;
const DISK_EXCHANGES = 20_000;
const RESUMMARISE_EXCHANGES = 100_000;
const RSS_EXCHANGES = 200_000;
const RSS_STEP = 50_000;

// A ClientRequest { trx: 16 bytes, token: "…", utils: { … } } as a ca2 client would send it.
const execBody = Buffer.concat([
  Buffer.from([0x0a, 16]), Buffer.from('0123456789abcdef'),
  Buffer.from([0x12, 40]), Buffer.alloc(40, 't'),
  Buffer.from([0x52, 6, 0x0a, 4]), Buffer.from('ping'),
]);
const wsAuth = Buffer.concat([Buffer.from([0x12, 40]), Buffer.alloc(40, 't')]);

interface Child {
  process: ChildProcess;
  url: string;
  /** The inspector's address, for a recording proxy. */
  ui: string | null;
  /** The inspector's token from the printed link, sent as a bearer token. */
  token: string | null;
  /** Resolves with everything the process printed. */
  stop(): Promise<string[]>;
}

/** Starts `node args` in the project root and waits for its "… at http://…," line. */
async function start(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let ui: string | null = null;
  let token: string | null = null;
  child.stderr!.on('data', (d) => output.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      ui ??= /inspector at (http:\/\/[^/\s]+)/.exec(line)?.[1] ?? null;
      token ??= /inspector at \S+\?token=(\S+)/.exec(line)?.[1] ?? null;
      const ready = / at (http:\/\/\S+?),/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${output.join('\n')}`)));
  });
  return {
    process: child,
    url,
    ui,
    token,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(output);
        child.once('exit', () => resolve(output));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}


function exec(url: string, options: { seconds?: number; amount?: number }): Promise<CannonResult> {
  return autocannon({
    url: `${url}/exec`,
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: execBody,
    connections: EXEC.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
  });
}

/** A /ws client that authenticates and then stays connected (count=0: the upstream pushes nothing more). */
async function holdWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?count=0`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => (ws.send(wsAuth), resolve()));
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  return ws;
}

/** A socket.io client on the inspector's live stream, as an open browser tab is: it counts the summaries it is sent. */
async function watchLive(proxy: Child): Promise<{ socket: Socket; exchanges: () => number }> {
  const socket = connectLive(proxy.ui!, { auth: { token: proxy.token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
  let exchanges = 0;
  socket.on('batch', (batch: { exchanges: unknown[] }) => (exchanges += batch.exchanges.length));
  return { socket, exchanges: () => exchanges };
}

/** Events per second received by WS.clients sockets, through the proxy at `url`, over WS.seconds. */
async function wsEvents(url: string): Promise<number> {
  let events = 0;
  let counting = false;
  const sockets = await Promise.all(
    Array.from({ length: WS.clients }, () => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { perMessageDeflate: false });
      ws.on('message', () => counting && events++);
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => (ws.send(wsAuth), resolve(ws)));
        ws.once('error', reject);
      });
    }),
  );
  await sleep(500);
  counting = true;
  const started = performance.now();
  await sleep(WS.seconds * 1000);
  counting = false;
  const rate = events / ((performance.now() - started) / 1000);
  for (const ws of sockets) ws.terminate();
  return rate;
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function checkClean(label: string, r: CannonResult): void {
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`${label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers; the numbers would mean nothing`);
  }
}

/** Runs `measure` against each proxy in turn, alternating bare and ours for `rounds` rounds, each in a fresh process. */
async function alternate<T>(upstream: Child, workDir: string, rounds: number, measure: (proxy: Child, label: string) => Promise<T>) {
  const results = { bare: [] as T[], ours: [] as T[] };
  for (let round = 0; round < rounds; round++) {
    for (const which of ['bare', 'ours'] as const) {
      const command = which === 'bare' ? bare : ours.command;
      const proxy = await start(command(upstream.url, mkdtempSync(join(workDir, `${which}-`))));
      try {
        results[which].push(await measure(proxy, `round ${round + 1} ${which.padEnd(4)}`));
      } finally {
        // What the recording proxy says it kept, so a figure never hides skipped recording.
        const kept = (await proxy.stop()).find((line) => /exchanges and \d+ frames recorded/.test(line));
        if (kept) console.log(`    ${kept.replace(/^ca2-inspector: /, '')}`);
      }
    }
  }
  return results;
}

const mean = <T>(xs: T[], pick: (x: T) => number) => xs.reduce((sum, x) => sum + pick(x), 0) / xs.length;
const row = (label: string, b: number, o: number, digits: number, target: string) =>
  console.log(`  ${label.padEnd(16)} ${fmt(b, digits).padStart(15)} ${fmt(o, digits).padStart(12)} ${fmt(o / b, 2).padStart(7)}   ${target}`);
const header = () => console.log('                   bare http-proxy   this proxy   ratio   target');

async function execPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`/exec: ${EXEC.connections} connections, ${EXEC.rounds} alternating rounds of ${EXEC.seconds} s after ${EXEC.warmupSeconds} s warm-up`);
  if (EXEC.withWs) console.log('  with one /ws client holding its socket open through each round');
  if (EXEC.watching) console.log('  with an inspector on the live stream through each recording round (nothing is journaled)');
  const r = await alternate(upstream, workDir, EXEC.rounds, async (proxy, label) => {
    const session = EXEC.withWs ? await holdWebSocket(proxy.url) : null;
    const watcher = EXEC.watching && proxy.ui !== null ? await watchLive(proxy) : null;
    // A session connects, then calls: a pause first, as a client's start-up would make.
    if (session) await sleep(500);
    const warmup = await exec(proxy.url, { seconds: EXEC.warmupSeconds });
    const result = await exec(proxy.url, { seconds: EXEC.seconds });
    session?.close(1000);
    checkClean(label, result);
    const watched = watcher ? `; the live stream carried ${fmt(watcher.exchanges())} summaries` : '';
    watcher?.socket.close();
    // Recording may trail the traffic (the journal is made into rows when idle): how far, so no figure hides it.
    let caughtUp = '';
    if (proxy.ui !== null) {
      const sent = warmup.requests.total + result.requests.total;
      const done = await waitFor(proxy, (s) => s.exchanges >= sent && s.journaled === 0 && s.queued === 0);
      caughtUp = `; ${fmt(done.stats.exchanges)} of ${fmt(sent)} exchanges stored as rows ${fmt(done.ms / 1000, 1)} s after the run`;
    }
    console.log(`  ${label}: ${fmt(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${caughtUp}${watched}`);
    return result;
  });
  header();
  row('req/s', mean(r.bare, (x) => x.requests.average), mean(r.ours, (x) => x.requests.average), 0, '>= 0.90');
  row('p50 ms', mean(r.bare, (x) => x.latency.p50), mean(r.ours, (x) => x.latency.p50), 2, '');
  row('p99 ms', mean(r.bare, (x) => x.latency.p99), mean(r.ours, (x) => x.latency.p99), 2, '<= 1.30');
}

async function wsPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`\n/ws: ${WS.clients} clients receiving pushed ~200-byte events, ${WS.rounds} alternating rounds of ${WS.seconds} s`);
  const r = await alternate(upstream, workDir, WS.rounds, async (proxy, label) => {
    const rate = await wsEvents(proxy.url);
    console.log(`  ${label}: ${fmt(rate)} events/s`);
    return rate;
  });
  header();
  row('events/s', mean(r.bare, (x) => x), mean(r.ours, (x) => x), 0, '');
}

interface Stats {
  exchanges: number;
  frames: number;
  queued: number;
  unindexed: number;
  journaled: number;
  dropped: { exchanges: number; frames: number };
}

async function stats(proxy: Child): Promise<Stats> {
  const response = await fetch(`${proxy.ui}/api/stats`, { headers: proxy.token ? { authorization: `Bearer ${proxy.token}` } : {} });
  if (!response.ok) throw new Error(`/api/stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Stats;
}

/** Polls /api/stats until `done` holds; the ms it took. */
async function waitFor(proxy: Child, done: (s: Stats) => boolean, timeoutMs = 300_000): Promise<{ ms: number; stats: Stats }> {
  const started = performance.now();
  for (;;) {
    const s = await stats(proxy);
    if (done(s) || performance.now() - started > timeoutMs) return { ms: performance.now() - started, stats: s };
    await sleep(50);
  }
}

async function floodPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`
WebSocket flood: one client, ${fmt(FLOOD_EVENTS)} pushed ~200-byte events through ${ours.name}`);
  const proxy = await start(ours.command(upstream.url, mkdtempSync(join(workDir, 'flood-'))));
  try {
    if (proxy.ui === null) return void console.log('  (needs the recording proxy)');
    let received = 0;
    const started = performance.now();
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws?count=${FLOOD_EVENTS}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(wsAuth));
      ws.on('message', () => ++received === FLOOD_EVENTS + 1 && resolve());
      ws.once('error', reject);
    });
    const seconds = (performance.now() - started) / 1000;
    ws.close(1000);
    const sent = FLOOD_EVENTS + 2;
    const stored = await waitFor(proxy, (s) => s.frames >= sent || s.dropped.frames > 0);
    const indexed = await waitFor(proxy, (s) => s.unindexed === 0);
    console.log(`  forwarded in ${fmt(seconds, 2)} s (${fmt(FLOOD_EVENTS / seconds)} events/s)`);
    console.log(`  frames recorded ${fmt(stored.stats.frames)} of ${fmt(sent)} sent (${fmt((100 * stored.stats.frames) / sent, 1)} %, target 100 %), dropped ${fmt(stored.stats.dropped.frames)}`);
    console.log(`  every frame stored ${fmt(stored.ms / 1000, 2)} s after the flood ended; search index caught up ${fmt((stored.ms + indexed.ms) / 1000, 2)} s after`);
  } finally {
    await proxy.stop();
  }
}

async function diskPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`
bytes on disk: ${fmt(DISK_EXCHANGES)} /exec exchanges through ${ours.name}, after the search index catches up`);
  const dir = mkdtempSync(join(workDir, 'disk-'));
  const proxy = await start(ours.command(upstream.url, dir));
  let indexMs = 0;
  try {
    if (proxy.ui === null) return void console.log('  (needs the recording proxy)');
    checkClean('disk', await exec(proxy.url, { amount: DISK_EXCHANGES }));
    indexMs = (await waitFor(proxy, (s) => s.exchanges >= DISK_EXCHANGES && s.queued === 0 && s.journaled === 0 && s.unindexed === 0)).ms;
  } finally {
    await proxy.stop();
  }
  const file = join(dir, 'bench.sqlite');
  const onDisk = ['', '-wal', '-shm'].reduce((sum, suffix) => sum + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0);
  const db = new Database(file, { readonly: true });
  const wire = db
    .prepare('SELECT avg(length(request_body) + ifnull(length(response_body), 0)) AS bodies, avg(length(request_headers) + ifnull(length(response_headers), 0)) AS headers FROM exchange_bodies')
    .get() as { bodies: number; headers: number };
  db.close();
  console.log(`  each exchange: ${fmt(wire.bodies)} bytes of bodies and ${fmt(wire.headers)} bytes of headers (as JSON)`);
  console.log(`  index caught up ${fmt(indexMs / 1000, 1)} s after the last request`);
  console.log(`  file ${fmt(onDisk / 2 ** 20, 1)} MiB: ${fmt(onDisk / DISK_EXCHANGES)} bytes per exchange (target < 2,048)`);
}

async function rssPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`\nRSS of ${ours.name} (VmRSS) as exchanges grow to ${fmt(RSS_EXCHANGES)}:`);
  const proxy = await start(ours.command(upstream.url, mkdtempSync(join(workDir, 'rss-'))));
  try {
    let total = 0;
    for (const target of [5_000, ...Array.from({ length: RSS_EXCHANGES / RSS_STEP }, (_, i) => (i + 1) * RSS_STEP)]) {
      const started = performance.now();
      checkClean('rss', await exec(proxy.url, { amount: target - total }));
      const rate = (target - total) / ((performance.now() - started) / 1000);
      total = target;
      // Let batched writes land, so the figure is the steady state rather than a queue.
      await sleep(1000);
      console.log(`  ${fmt(total).padStart(8)} exchanges: ${fmt(rssMiB(proxy.process.pid!), 1)} MiB  (${fmt(rate)} req/s)`);
    }
  } finally {
    await proxy.stop();
  }
}

const RULES = { rounds: ROUNDS, seconds: EXEC_SECONDS, pacedRate: 200, pacedSeconds: 10 };

/** Rules files for the rules part: 20 that match nothing this bench sends, and one that sets a field on every response. */
function rulesFiles(workDir: string): { none: string; twenty: string; one: string } {
  const twenty = Array.from({ length: 20 }, (_, i) => {
    const at = i % 2 === 0 ? 'request' : 'response';
    const set = at === 'request' ? 'token: "never"' : 'errors: [SE_UNKNOWN_ERROR]';
    return `- { name: "never ${i}", at: ${at}, match: "service:billing op:nothing_${i}", set: { ${set} } }`;
  }).join('\n');
  const files = { none: '', twenty: join(workDir, 'twenty.yaml'), one: join(workDir, 'one.yaml') };
  writeFileSync(files.twenty, twenty + '\n');
  writeFileSync(files.one, '- { name: every answer, at: response, set: { errors: [SE_UNKNOWN_ERROR] } }\n');
  return files;
}

/** Latencies of /exec calls sent at a steady `rate` per second, in ms with sub-ms precision. */
async function paced(url: string, rate: number, seconds: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  const target = new URL(`${url}/exec`);
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': execBody.length } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(execBody);
    });
  const pending: Promise<void>[] = [];
  const begin = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = begin + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(one());
  }
  await Promise.all(pending);
  agent.destroy();
  return latencies;
}

/** CPU time (user + system) the process's main thread, which forwards, has used so far: /proc's clock ticks, in ms. */
function forwardingCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime 14 and stime 15 (proc(5)); ticks are 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function rulesPart(upstream: Child, workDir: string): Promise<void> {
  console.log(`\nrules: /exec through the recording proxy with no rules, with 20 rules matching nothing, and with one rule setting a field on every response`);
  const files = rulesFiles(workDir);
  const variants = [
    { name: 'no rules', file: files.none },
    { name: '20 rules, none matching', file: files.twenty },
    { name: '1 rule on every response', file: files.one },
  ];
  const proxyWith = async (file: string) => start([...recording(upstream.url, mkdtempSync(join(workDir, 'rules-'))), ...(file ? ['--rules', file] : [])]);
  const rates = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  /** CPU time of the forwarding thread per call (µs), where the rules run: steadier than throughput on a machine whose speed wanders. */
  const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < RULES.rounds; round++) {
    for (const variant of variants) {
      const proxy = await proxyWith(variant.file);
      try {
        await exec(proxy.url, { seconds: EXEC.warmupSeconds });
        const before = forwardingCpuMs(proxy.process.pid!);
        const result = await exec(proxy.url, { seconds: RULES.seconds });
        const perCall = ((forwardingCpuMs(proxy.process.pid!) - before) * 1000) / Math.max(1, result.requests.total);
        checkClean(variant.name, result);
        rates.get(variant.name)!.push(result.requests.average);
        cpu.get(variant.name)!.push(perCall);
        console.log(`  round ${round + 1} ${variant.name}: ${fmt(result.requests.average)} req/s, forwarding thread ${fmt(perCall, 1)} µs CPU per call`);
      } finally {
        await proxy.stop();
      }
    }
  }
  const base = mean(rates.get('no rules')!, (x) => x);
  const baseCpu = mean(cpu.get('no rules')!, (x) => x);
  console.log('  throughput (mean)               req/s   vs no rules   target    forwarding CPU per call   vs no rules');
  for (const v of variants) {
    const r = mean(rates.get(v.name)!, (x) => x);
    const c = mean(cpu.get(v.name)!, (x) => x);
    console.log(`  ${v.name.padEnd(28)} ${fmt(r).padStart(8)}   ${fmt(r / base, 2).padStart(11)}   ${(v.file === files.twenty ? '>= 0.95' : '').padEnd(7)}   ${fmt(c, 1).padStart(17)} µs   ${fmt(baseCpu / c, 2).padStart(11)}`);
  }
  console.log('  (the last column is what the forwarding thread\'s CPU time allows: calls per CPU second, against no rules)');
  console.log(`  latency at ${RULES.pacedRate} req/s for ${RULES.pacedSeconds} s (ms)     p50       p99`);
  const latency = new Map<string, { p50: number; p99: number }>();
  for (const variant of [variants[0]!, variants[2]!]) {
    const proxy = await proxyWith(variant.file);
    try {
      await paced(proxy.url, RULES.pacedRate, 2);
      const xs = await paced(proxy.url, RULES.pacedRate, RULES.pacedSeconds);
      latency.set(variant.name, { p50: percentile(xs, 50), p99: percentile(xs, 99) });
      console.log(`  ${variant.name.padEnd(34)} ${fmt(percentile(xs, 50), 3).padStart(7)}   ${fmt(percentile(xs, 99), 3).padStart(7)}`);
    } finally {
      await proxy.stop();
    }
  }
  const none = latency.get('no rules')!;
  const one = latency.get('1 rule on every response')!;
  console.log(`  added by the rule: p50 ${fmt(one.p50 - none.p50, 3)} ms (goal < 0.5), p99 ${fmt(one.p99 - none.p99, 3)} ms`);
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`);
  console.log(`proxy under test: ${ours.name}\n`);
  const workDir = mkdtempSync(join(os.tmpdir(), 'ca2-bench-'));
  const upstream = await start([...tsx, 'bench/proxy/upstream.ts']);
  try {
    if (runs('exec')) await execPart(upstream, workDir);
    if (runs('ws')) await wsPart(upstream, workDir);
    if (runs('flood')) await floodPart(upstream, workDir);
    if (runs('disk')) await diskPart(upstream, workDir);
    if (runs('resummarise')) await benchResummarise(RESUMMARISE_EXCHANGES, workDir);
    if (runs('rss')) await rssPart(upstream, workDir);
    if (runs('rules')) await rulesPart(upstream, workDir);
  } finally {
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
