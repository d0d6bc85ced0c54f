// npm run bench:inspector [-- --count N --fresh --no-browser --live-only --burst-only --keep-burst DIR]
//
// Stores a million realistic exchanges (cached under .bench/ between runs) and times the
// filter queries the REST API runs for the inspector's list: the first page of 100 rows,
// median of several runs. Target: under 200 ms each.
//
// Then the burst case (bench/inspector-burst.ts): a recording just made under load, its
// journal and search index still catching up, queried at once through the REST API and
// with `list`. --burst-only runs that case alone; --keep-burst DIR keeps its recording there.
//
// The browser half of the benchmark (time until the list first shows rows for 100,000
// stored exchanges) plugs in through runInspectorBench's `firstRows` probe. Then the live
// case (bench/inspector-live.ts): animation-frame times under a flood of live traffic.
// --live-only runs that case alone, without generating any database.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store } from '../storage/store.ts';
import { flowHead, type FrameFields, type HeadFields } from '../support/flow-head.ts';
import type { TokenRef } from '../model/types.ts';
import { startProxyProcess } from '../support/proxy-process.ts';
import { lengthDelimited, random, utf8, varint } from '../support/sample-traffic.ts';
import { measureFirstRows } from './inspector-first-rows.ts';
import { measureLiveFlood } from './inspector-live.ts';
import { measureBurst } from './inspector-burst.ts';

/** Measures, in ms, how long the inspector takes to first show rows for the exchanges in `dbFile`. */
export type FirstRowsProbe = (dbFile: string) => Promise<number>;

const benchDir = path.resolve('.bench');
const pageSize = 100;
const runsPerQuery = 7;

const services: [string, string[], number][] = [
  ['instances', ['list', 'create', 'delete', 'start', 'stop'], 30],
  ['billing', ['balance', 'invoices', 'topup'], 20],
  ['auth', ['login', 'refresh', 'logout'], 15],
  ['servers', ['list', 'get'], 10],
  ['domains', ['list', 'check', 'register'], 10],
  ['users', ['me', 'update'], 8],
  ['ssh', ['keys', 'add_key'], 4],
  ['utils', ['ping'], 3],
];
const errorNames = ['SE_EXPIRED_TOKEN_ERROR', 'SE_INTERNAL_SERVER_ERROR', 'SE_RATE_LIMIT_EXCEEDED_ERROR', 'SE_INVALID_TRX_ERROR', 'SE_TRX_REQUIRED_ERROR'];
const names = ['web', 'db', 'cache', 'worker', 'gateway', 'search', 'mail', 'backup', 'queue', 'metrics'];
const regions = ['fra1', 'ams3', 'nyc1', 'sfo2', 'sgp1', 'lon1'];
const subjectCount = 500;
/** Spread of the generated start times, ending at the newest exchange. */
const spanMs = 7 * 86_400_000;

function weighted(rng: () => number): [string, string[]] {
  const total = services.reduce((sum, s) => sum + s[2], 0);
  let r = rng() * total;
  for (const [name, ops, weight] of services) {
    if ((r -= weight) < 0) return [name, ops];
  }
  return [services[0][0], services[0][1]];
}

/**
 * A ClientRequest or WsAuth (field 2, token, a string the bundled schema decodes) holding
 * the words filters search, padded with an unknown field to `size` bytes.
 */
function envelope(words: string, size: number, trx?: Uint8Array): Buffer {
  const bytes = [...(trx ? lengthDelimited(1, trx) : []), ...lengthDelimited(2, utf8(words))];
  const padding = size - bytes.length - 3;
  if (padding > 0) bytes.push(...lengthDelimited(99, new Uint8Array(padding).fill(0x5a)));
  return Buffer.from(bytes);
}

/** A ServerResponse: trx and the errors as enum numbers, padded like envelope(). */
function serverResponse(trx: Uint8Array, errors: string[], size: number): Buffer {
  const bytes = [...lengthDelimited(1, trx), ...errors.flatMap((e) => [0x10, ...varint(Math.max(0, errorNumbers[e] ?? 0))])];
  const padding = size - bytes.length - 3;
  if (padding > 0) bytes.push(...lengthDelimited(99, new Uint8Array(padding).fill(0x5a)));
  return Buffer.from(bytes);
}

const errorNumbers: Record<string, number> = { SE_INVALID_TRX_ERROR: 2, SE_EXPIRED_TOKEN_ERROR: 5, SE_INTERNAL_SERVER_ERROR: 6, SE_TRX_REQUIRED_ERROR: 1, SE_RATE_LIMIT_EXCEEDED_ERROR: 8 };

function uuid(rng: () => number): string {
  const hex = () => Math.floor(rng() * 0x10000).toString(16).padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-8${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

function subject(i: number): string {
  return `user${i}@example.com`;
}

function token(rng: () => number, startedAt: number): TokenRef {
  const user = Math.floor(rng() * subjectCount);
  const exp = Math.floor(startedAt / 1000) + Math.floor(rng() * 7200) - 600;
  return { sub: subject(user), prefix: `eyJhbGciOiJIUzI1NiJ9.${user.toString(36).padStart(4, '0')}`, exp, expired: exp * 1000 < startedAt };
}

function generate(file: string, count: number): void {
  const rng = random(42);
  const store = Store.open(file, { maxBatch: 5000, flushIntervalMs: 60_000 });
  const end = Date.UTC(2026, 0, 15, 12);
  const started = Date.now();
  const body = (n: number) => Buffer.alloc(n, 0x5a);
  const trxBytes = (text: string) => Buffer.from(text.replace(/-/g, ''), 'hex');
  for (let i = 0; i < count; i++) {
    const id = store.allocateExchangeId();
    const startedAt = end - spanMs + (spanMs * i) / count + rng() * 50;
    const r = rng();
    const kind = r < 0.85 ? 'exec' : r < 0.95 ? 'ws' : 'http';
    const [service, ops] = weighted(rng);
    const operation = ops[Math.floor(rng() * ops.length)];
    const errors = kind !== 'http' && rng() < 0.08 ? [errorNames[Math.floor(rng() * errorNames.length)]] : [];
    const status = kind === 'ws' ? 101 : errors.includes('SE_INTERNAL_SERVER_ERROR') || rng() < 0.01 ? 500 + Math.floor(rng() * 4) : rng() < 0.03 ? 404 : 200;
    const name = `${names[Math.floor(rng() * names.length)]}-${Math.floor(rng() * 1000)}`;
    const region = regions[Math.floor(rng() * regions.length)];
    const requestSize = 40 + Math.floor(rng() * 200);
    const responseSize = kind === 'ws' ? 0 : 60 + Math.floor(rng() * (rng() < 0.02 ? 40_000 : 600));
    const trx = kind === 'exec' ? uuid(rng) : null;
    const record: HeadFields = {
      id,
      kind,
      startedAt,
      endedAt: startedAt + (kind === 'ws' ? 60_000 + rng() * 600_000 : 5 + rng() * (rng() < 0.05 ? 2000 : 150)),
      method: kind === 'exec' ? 'POST' : 'GET',
      path: kind === 'exec' ? '/exec' : kind === 'ws' ? '/ws' : `/static/app.${Math.floor(rng() * 20)}.js`,
      status,
      service: kind === 'http' ? null : kind === 'ws' ? 'billing' : service,
      operation: kind === 'exec' ? operation : null,
      trx,
      errors,
      token: kind === 'http' ? null : token(rng, startedAt),
      clientAddress: '127.0.0.1',
      state: 'complete',
      problems: rng() < 0.02 ? ['trx is not a UUID (12 bytes)'] : [],
      error: null,
      request: {
        headers: [['content-type', 'application/x-protobuf'], ['user-agent', 'ca2-client/1.4']],
        body: kind === 'exec' ? envelope(`${service} ${operation} ${name} ${region} s-1vcpu-1gb`, Math.min(requestSize, 256), trxBytes(trx!)) : body(Math.min(requestSize, 256)),
        truncated: false,
        size: requestSize,
      },
      response: {
        headers: [['content-type', 'application/x-protobuf']],
        body: kind === 'exec' ? serverResponse(trxBytes(trx!), errors, Math.min(responseSize, 256)) : body(Math.min(responseSize, 256)),
        truncated: responseSize > 256,
        size: responseSize,
      },
      close: kind === 'ws' ? { code: 1000, reason: '', by: 'client', at: startedAt + 60_000 } : null,
    };
    store.putExchange(flowHead(record));
    if (kind === 'ws') {
      for (let seq = 0; seq < 4; seq++) {
        const frame: FrameFields = {
          exchangeId: id,
          seq,
          direction: seq === 0 ? 'client' : 'server',
          at: startedAt + seq * 1000,
          opcode: 2,
          size: 30,
          body: seq === 0 ? envelope('eyJhbGciOiJIUzI1NiJ9 credits', 30) : body(30),
          truncated: false,
        };
        store.putFrame(frame);
      }
    }
    if (i % 100_000 === 99_999) process.stdout.write(`  ${i + 1} exchanges stored (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  const indexing = Date.now();
  store.catchUp();
  process.stdout.write(`  search index caught up in ${((Date.now() - indexing) / 1000).toFixed(0)} s\n`);
  store.close();
}

/** A database with `count` generated exchanges, reused from .bench/ when an earlier run made it. */
export function benchDatabase(count: number, fresh = false): { file: string; generatedInMs: number | null } {
  fs.mkdirSync(benchDir, { recursive: true });
  const file = path.join(benchDir, `inspector-v3-${count}.db`);
  const done = `${file}.complete`;
  if (!fresh && fs.existsSync(done) && fs.existsSync(file)) return { file, generatedInMs: null };
  for (const f of [file, `${file}-wal`, `${file}-shm`, done]) fs.rmSync(f, { force: true });
  const started = performance.now();
  generate(file, count);
  fs.writeFileSync(done, '');
  return { file, generatedInMs: performance.now() - started };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runInspectorBench(options: { count?: number; fresh?: boolean; firstRows?: FirstRowsProbe } = {}): Promise<void> {
  const count = options.count ?? 1_000_000;
  printMachine();
  console.log(`database: ${count.toLocaleString('en')} exchanges`);
  const { file, generatedInMs } = benchDatabase(count, options.fresh);
  console.log(
    generatedInMs === null
      ? `  reused ${path.relative(process.cwd(), file)} (pass --fresh to regenerate)`
      : `  generated in ${(generatedInMs / 1000).toFixed(1)} s (${Math.round(count / (generatedInMs / 1000)).toLocaleString('en')} exchanges/s through Store)`,
  );
  console.log(`  file size ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB`);

  const store = Store.open(file);
  const newest = store.listExchanges({ limit: 1 }).items[0];
  const now = Date.parse(newest.startedAt) + 1000;
  const someSubject = subject(137);
  // The typical filters first, then combinations that make the query planner work.
  const filters = [
    '',
    'error:any',
    'service:instances op:create',
    'status:5xx',
    'kind:ws',
    `token:${someSubject}`,
    'gateway',
    'since:10m',
    'error:expired_token',
    'dur:>1s kind:exec',
    'size:>10kb',
    'trx:8f',
    'problem:any',
    'path:static',
    '-kind:exec -kind:ws',
    'service:billing (status:5xx or error:any)',
    'credits',
    'worker*',
    'sgp1 worker*',
    `token:${someSubject} gateway`,
    'kind:ws dir:client credits',
  ];
  console.log(`\nfirst page (${pageSize} rows) per filter, median of ${runsPerQuery} runs, then the page after it:`);
  const width = Math.max(...filters.map((f) => f.length), '(no filter)'.length);
  let slowest = 0;
  for (const filter of filters) {
    const time = (before?: number) => {
      const times: number[] = [];
      let items = 0;
      let next: number | null = null;
      for (let run = 0; run < runsPerQuery; run++) {
        const start = performance.now();
        const page = store.listExchanges({ filter, now, limit: pageSize, before });
        times.push(performance.now() - start);
        items = page.items.length;
        next = page.next;
      }
      return { ms: median(times), items, next };
    };
    const first = time();
    const second = first.next === null ? null : time(first.next);
    slowest = Math.max(slowest, first.ms);
    console.log(
      `  ${(filter || '(no filter)').padEnd(width)}  ${String(first.items).padStart(3)} rows  ${first.ms.toFixed(1).padStart(7)} ms` +
        `   next page ${second === null ? '      -' : `${second.ms.toFixed(1).padStart(7)} ms`}${first.ms < 200 ? '' : '   OVER THE 200 ms TARGET'}`,
    );
  }
  console.log(`  slowest first page: ${slowest.toFixed(1)} ms (target < 200 ms)`);
  const detailTimes: number[] = [];
  for (let run = 0; run < runsPerQuery; run++) {
    const start = performance.now();
    store.getExchange(newest.id - run * 997);
    detailTimes.push(performance.now() - start);
  }
  console.log(`\nexchange detail (getExchange): ${median(detailTimes).toFixed(2)} ms median`);
  store.close();

  if (options.firstRows) {
    const small = benchDatabase(100_000, options.fresh);
    const ms = await options.firstRows(small.file);
    console.log(`\ninspector list first shows rows for 100,000 stored exchanges: ${ms.toFixed(0)} ms (target < 1000 ms)`);
  }
}

function printMachine(): void {
  const cpu = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()}, load average ${load}`);
}

async function printBurst(): Promise<void> {
  console.log('\na recording just made under load, queried at once (first page of 100 rows):');
  const keep = flag('--keep-burst');
  await measureBurst(keep ? { keep: path.resolve(keep) } : {});
}

async function printLiveFlood(): Promise<void> {
  console.log('\nlive flood: about 1,500 exchanges/s and 200 WebSocket frames/s into the live stream for 10 s, inspector open in chromium:');
  const r = await measureLiveFlood();
  console.log(`  sent ${Math.round(r.exchangesPerSecond).toLocaleString('en')} exchanges/s and ${Math.round(r.framesPerSecond)} frames/s; the list ended with ${r.rowsShown.toLocaleString('en')} rows`);
  console.log(
    `  animation frames: ${r.samples} sampled after a 2 s warm-up, median ${r.medianMs.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms, ${(r.over50 * 100).toFixed(1)}% over 50 ms (target p95 < 50 ms)${r.p95Ms < 50 ? '' : '   OVER THE TARGET'}`,
  );
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : (process.argv[i + 1] ?? '');
}

/** Serves the file with the real proxy command (upstream unused) and times a cold browser's first rows, median of 3. */
const firstRowsWithProxy: FirstRowsProbe = async (dbFile) => {
  const proxy = await startProxyProcess(['--upstream', 'http://127.0.0.1:9', '--db', dbFile, '--quiet']);
  try {
    const times: number[] = [];
    for (let run = 0; run < 3; run++) times.push(await measureFirstRows(proxy.uiLink));
    return median(times);
  } finally {
    await proxy.stop();
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = flag('--count');
  const browser = !process.argv.includes('--no-browser');
  if (process.argv.includes('--live-only')) {
    printMachine();
    await printLiveFlood();
  } else if (process.argv.includes('--burst-only')) {
    printMachine();
    await printBurst();
  } else {
    await runInspectorBench({
      count: count === undefined ? undefined : Number(count),
      fresh: process.argv.includes('--fresh'),
      firstRows: browser ? firstRowsWithProxy : undefined,
    });
    await printBurst();
    if (browser) await printLiveFlood();
  }
}
