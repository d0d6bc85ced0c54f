// The disk part of the proxy benchmark: bytes on disk per /exec exchange once recording and
// the search index have caught up, with what each table and index holds (SQLite's dbstat).
// Two cases: the small calls of bench/proxy/upstream.ts, and the workload, the
// burst pool's calls (about 280-byte requests and 500-byte answers with the headers a ca2
// client and server send, bench/burst-upstream.ts) decoded with the demo schema, at 8
// connections.

import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { autocannon, type CannonResult } from '../autocannon.ts';
import { burstPool, burstRequestHeaders } from '../burst-upstream.ts';
import { fmt } from '../figures.ts';
import { checkClean, exec } from './load.ts';
import { start, tsx, type Child, type ProxyCommand } from './processes.ts';
import { waitFor } from './stats.ts';

const SMALL_EXCHANGES = 20_000;
const WORKLOAD_EXCHANGES = 20_000;
const WORKLOAD_CONNECTIONS = 8;

/** The small calls through `command`, in front of the benchmark's own upstream. */
export async function diskPart(upstream: Child, workDir: string, name: string, command: ProxyCommand): Promise<void> {
  console.log(`\nbytes on disk: ${fmt(SMALL_EXCHANGES)} small /exec exchanges through ${name}, after the search index catches up`);
  await measure(workDir, 'disk-', command(upstream.url, mkdtempSync(join(workDir, 'disk-'))), SMALL_EXCHANGES, (url) => exec(url, { amount: SMALL_EXCHANGES }), 'target < 2,048');
}

/** The workload through `command`, in front of the burst upstream, decoded with the demo schema. */
export async function workloadDiskPart(workDir: string, name: string, command: ProxyCommand): Promise<void> {
  const pool = burstPool();
  const average = (side: 'request' | 'response') => pool.reduce((sum, call) => sum + call[side].length, 0) / pool.length;
  console.log(
    `\nbytes on disk, the issue's workload: ${fmt(WORKLOAD_EXCHANGES)} /exec exchanges of ${fmt(average('request'))}-byte requests and ` +
      `${fmt(average('response'))}-byte answers with their headers, ${WORKLOAD_CONNECTIONS} connections, through ${name} with --proto demo/protos, after the search index catches up`,
  );
  const upstream = await start([...tsx, 'bench/burst-upstream.ts']);
  try {
    const args = [...command(upstream.url, mkdtempSync(join(workDir, 'workload-'))), '--proto', 'demo/protos'];
    let sent = 0;
    const load = (url: string) =>
      autocannon({
        url: `${url}/exec`,
        method: 'POST',
        headers: burstRequestHeaders,
        connections: WORKLOAD_CONNECTIONS,
        amount: WORKLOAD_EXCHANGES,
        requests: [{ setupRequest: (req: object) => ({ ...req, body: pool[sent++ % pool.length]!.request }) }],
      });
    await measure(workDir, 'workload-', args, WORKLOAD_EXCHANGES, load, 'target < 1,500');
  } finally {
    await upstream.stop();
  }
}

async function measure(workDir: string, label: string, args: string[], exchanges: number, load: (url: string) => Promise<CannonResult>, target: string): Promise<void> {
  const proxy = await start(args);
  let indexMs = 0;
  try {
    if (proxy.ui === null) return void console.log('  (needs the recording proxy)');
    checkClean(label, await load(proxy.url));
    indexMs = (await waitFor(proxy, (s) => s.exchanges >= exchanges && s.queued === 0 && s.journaled === 0 && s.unindexed === 0)).ms;
  } finally {
    await proxy.stop();
  }
  const file = args[args.indexOf('--db') + 1]!;
  const onDisk = ['', '-wal', '-shm'].reduce((sum, suffix) => sum + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0);
  const db = new Database(file, { readonly: true });
  try {
    const wire = db
      .prepare(`SELECT avg(length(request_body) + ifnull(length(response_body), 0)) AS bodies FROM exchange_bodies`)
      .get() as { bodies: number };
    console.log(`  each exchange: ${fmt(wire.bodies)} bytes of bodies as stored (packed where it pays); index caught up ${fmt(indexMs / 1000, 1)} s after the last request`);
    console.log(`  file ${fmt(onDisk / 2 ** 20, 1)} MiB: ${fmt(onDisk / exchanges)} bytes per exchange (${target})`);
    printTables(db, exchanges);
  } finally {
    db.close();
  }
}

/** Bytes per exchange in each table and index, pages as dbstat counts them, largest first; FTS5's shadow tables summed as one. */
function printTables(db: Database.Database, exchanges: number): void {
  const rows = db.prepare('SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number; payload: number }[];
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const free = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
  const groups = new Map<string, { bytes: number; payload: number; parts: string[] }>();
  for (const row of rows) {
    const group = row.name.startsWith('search_text') ? 'search_text (FTS5, all its tables)' : row.name;
    const entry = groups.get(group) ?? { bytes: 0, payload: 0, parts: [] };
    entry.bytes += row.bytes;
    entry.payload += row.payload;
    if (group !== row.name) entry.parts.push(`${row.name.slice('search_text_'.length)} ${fmt(row.bytes / exchanges)}`);
    groups.set(group, entry);
  }
  console.log('  per exchange, by table and index (pages; payload):');
  for (const [name, { bytes, payload, parts }] of groups) {
    if (bytes / exchanges < 0.5) continue;
    const detail = parts.length > 0 ? `  (${parts.join(', ')})` : '';
    console.log(`    ${name.padEnd(36)} ${fmt(bytes / exchanges).padStart(6)} B  ${fmt(payload / exchanges).padStart(6)} B${detail}`);
  }
  if (free > 0) console.log(`    ${'free pages'.padEnd(36)} ${fmt(free / exchanges).padStart(6)} B`);
}
