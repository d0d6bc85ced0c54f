// The burst case of `npm run bench:inspector`: a recording just made under load, queried
// at once. The real proxy records /exec traffic from autocannon (8 connections, about
// 280-byte requests and 520-byte answers with their usual headers, bench/burst-upstream.ts)
// until 135,000 exchanges or 25 s; then, with its journal and search index still
// catching up, the first page of 100 rows for each structured filter is timed as a user
// gets it: (a) through the REST API of the running proxy, and from `ca2-inspector list` in
// another terminal, (b) from `list` straight after Ctrl-C. list is timed to its first
// line beyond its start-up (list of a one-exchange recording: node, tsx, its modules and
// the file's schema). Each page is then checked against the same query once everything
// is stored. Target: under 200 ms each.
//
// `keep`: a folder to keep the recording in, for profiling a case: running.sqlite, a
// snapshot of the running proxy's file taken once (a) is timed, and stopped.sqlite, the file
// as Ctrl-C left it.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { autocannon } from './autocannon.ts';
import { burstPool, burstRequestHeaders, burstSubject } from './burst-upstream.ts';
import { openForReading } from '../capture/sources.ts';
import { createCodec } from '../proto/codec.ts';
import { Store } from '../storage/store.ts';
import { flowHead } from '../support/flow-head.ts';
import { projectRoot, startProxyProcess } from '../support/proxy-process.ts';

const target = { exchanges: 135_000, seconds: 25, connections: 8, pageMs: 200 };
const filters = ['service:billing', 'op:payments', 'error:any', `token:${burstSubject(7)}`, 'since:10m'];
const bin = join(projectRoot, 'bin/ca2-inspector.js');

interface Backlog {
  exchanges: number;
  journaled: number;
  unindexed: number;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const backlog = (b: Backlog) => `${fmt(b.exchanges)} rows, ${fmt(b.journaled)} tap calls journaled, ${fmt(b.unindexed)} unindexed`;
const verdict = (ms: number) => `${fmt(ms).padStart(6)} ms (target < ${target.pageMs})${ms < target.pageMs ? '' : '   OVER THE TARGET'}`;

export async function measureBurst(options: { seconds?: number; exchanges?: number; keep?: string } = {}): Promise<void> {
  const seconds = options.seconds ?? target.seconds;
  const wanted = options.exchanges ?? target.exchanges;
  const dir = mkdtempSync(join(tmpdir(), 'ca2-burst-'));
  const file = join(dir, 'burst.sqlite');
  const upstream = await startUpstream();
  try {
    const proxy = await startProxyProcess(['--upstream', upstream.url, '--db', file, '--quiet', '--proto', 'demo/protos']);
    const pool = burstPool();
    let sent = 0;
    const started = performance.now();
    const load = autocannon({
      url: `${proxy.proxyUrl}/exec`,
      method: 'POST',
      headers: burstRequestHeaders,
      connections: target.connections,
      duration: seconds,
      requests: [{ setupRequest: (req: object) => ({ ...req, body: pool[sent++ % pool.length]!.request }) }],
    }) as ReturnType<typeof autocannon> & { on(event: 'response', f: () => void): void; stop(): void };
    let answered = 0;
    load.on('response', () => ++answered === wanted && load.stop());
    const result = await load;
    const loadSeconds = (performance.now() - started) / 1000;
    console.log(
      `  ${fmt(result.requests.total)} /exec calls in ${fmt(loadSeconds, 1)} s (${fmt(result.requests.total / loadSeconds)}/s, ${target.connections} connections; ` +
        `${result.errors + result.timeouts + result.non2xx} failed), ${fmt(averageSize(pool, 'request'))}-byte requests, ${fmt(averageSize(pool, 'response'))}-byte answers on average`,
    );

    console.log('  (a) at once, GET /api/exchanges?filter=…&limit=100 on the running proxy:');
    const live = new Map<string, number[]>();
    for (const filter of filters) {
      const stats = (await (await proxy.api('/api/stats')).json()) as Backlog;
      const begin = performance.now();
      const response = await proxy.api(`/api/exchanges?limit=100&filter=${encodeURIComponent(filter)}`);
      const page = (await response.json()) as { items: { id: number }[]; journaled?: number };
      const ms = performance.now() - begin;
      live.set(filter, page.items.map((item) => item.id));
      const said = page.journaled ? `, page says ${fmt(page.journaled)} journaled` : '';
      console.log(`    ${filter.padEnd(30)} ${verdict(ms)}  ${String(page.items.length).padStart(3)} rows${said}   at query time: ${backlog(stats)}`);
    }

    const tiny = tinyRecording(dir);
    /** list of a one-exchange recording, to its first line (median of 3): node, tsx, list's modules, the file's schema, as things stand now. */
    const startUp = async () => {
      const times: number[] = [];
      for (let run = 0; run < 3; run++) times.push((await timeList(['list', '--db', tiny, '--limit', '1', '--json'])).firstLineMs);
      return times.sort((a, b) => a - b)[1]!;
    };
    const listAll = async (label: string) => {
      const base = await startUp();
      console.log(`  ${label} (start-up, list of a one-exchange recording: first line at ${fmt(base)} ms):`);
      const pages = new Map<string, number[]>();
      for (const filter of filters) {
        const facts = fileBacklog(file);
        const run = await timeList(['list', '--db', file, '--filter', filter, '--limit', '100', '--json']);
        pages.set(filter, run.ids);
        console.log(
          `    ${filter.padEnd(30)} first line ${verdict(run.firstLineMs - base)} after start-up (${fmt(run.firstLineMs)} ms in all), exit ${fmt(run.exitMs)} ms, ${run.ids.length} rows   file: ${backlog(facts)}`,
        );
      }
      return pages;
    };
    const running = await listAll('(a) the same with ca2-inspector list --db FILE --filter … --limit 100, from another terminal');
    if (options.keep) snapshot(file, join(options.keep, 'running.sqlite'));

    const stopping = performance.now();
    await proxy.stop('SIGINT');
    const left = proxy.lines.find((line) => /journaled under load are left/.test(line));
    console.log(`  Ctrl-C: the proxy exited ${fmt((performance.now() - stopping) / 1000, 1)} s later${left ? `; ${left.replace(/^ca2-inspector: (recording: )?/, '')}` : ''}`);
    console.log(`  the file: ${fmt(statSync(file).size / 2 ** 20)} MiB, ${backlog(fileBacklog(file))}`);
    if (options.keep) snapshot(file, join(options.keep, 'stopped.sqlite'));
    const listed = await listAll('(b) ca2-inspector list, straight after');

    const reference = storedPages(file);
    const wrong = filters.flatMap((filter) =>
      [['REST', live], ['list while running', running], ['list after Ctrl-C', listed]].flatMap(([how, pages]) => (same((pages as Map<string, number[]>).get(filter)!, reference.get(filter)!) ? [] : [`${how} ${filter}`])),
    );
    console.log(`  pages against the same queries once everything is stored: ${wrong.length === 0 ? 'all the same' : `DIFFERENT: ${wrong.join(', ')}`}`);
  } finally {
    upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function averageSize(pool: ReturnType<typeof burstPool>, side: 'request' | 'response'): number {
  return pool.reduce((sum, call) => sum + call[side].length, 0) / pool.length;
}

function same(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** A recording of one exchange with the demo schema, for the start-up of list: loading its code, the file's schema and opening it. */
function tinyRecording(dir: string): string {
  const file = join(dir, 'one.sqlite');
  const store = Store.open(file, { codec: createCodec({ protoPaths: ['demo/protos'] }) });
  const [call] = burstPool();
  store.putExchange(
    flowHead({
      id: 1, kind: 'exec', startedAt: Date.now(), endedAt: Date.now() + 3, method: 'POST', path: '/exec', status: 200, service: 'billing', operation: 'balance',
      trx: null, errors: [], token: null, clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null, close: null,
      request: { headers: Object.entries(burstRequestHeaders), body: call!.request, truncated: false, size: call!.request.length },
      response: { headers: [['content-type', 'application/x-protobuf']], body: call!.response, truncated: false, size: call!.response.length },
    }),
  );
  store.close();
  return file;
}

/** What waits in the file, read as any SQLite client would. */
function fileBacklog(file: string): Backlog {
  const db = new Database(file, { readonly: true });
  try {
    const n = (sql: string) => db.prepare(sql).pluck().get() as number;
    return { exchanges: n('SELECT count(*) FROM exchanges'), journaled: n('SELECT ifnull(sum(calls), 0) FROM tap_journal'), unindexed: n('SELECT count(*) FROM unindexed') };
  } finally {
    db.close();
  }
}

/** A copy of the file as it is now, taken in one read transaction while its recorder may write. */
function snapshot(file: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { force: true });
  const db = new Database(file, { readonly: true });
  try {
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
  console.log(`  kept the file as ${to}`);
}

/** Each filter's first page once the journal is stored, as a reader of the file gets it when nothing waits (in a copy, through a reader that stores the journal). */
function storedPages(file: string): Map<string, number[]> {
  const recording = openForReading(file, { use: { flag: '--db', command: 'list', writes: false } });
  try {
    return new Map(filters.map((filter) => [filter, recording.store.listExchanges({ filter, limit: 100 }).items.map((item) => item.id)]));
  } finally {
    recording.close();
  }
}

/** Runs the command as a user would; ms to its first line on stdout and to its exit, and the ids it printed (--json). */
function timeList(args: string[]): Promise<{ firstLineMs: number; exitMs: number; ids: number[] }> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let firstLineMs = NaN;
  const ids: number[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (Number.isNaN(firstLineMs)) firstLineMs = performance.now() - started;
    if (line.startsWith('{')) ids.push((JSON.parse(line) as { id: number }).id);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve({ firstLineMs, exitMs: performance.now() - started, ids }) : reject(new Error(`ca2-inspector ${args.join(' ')} exited with ${code}`))));
  });
}

async function startUpstream(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/burst-upstream.ts'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /at (http:\/\/\S+?),/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the burst upstream exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}
