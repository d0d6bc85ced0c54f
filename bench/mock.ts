// `npm run bench:mock`: requests per second the mock answers from a 100,000-exchange
// recording, against the same from a 100-exchange one: the index must make them alike.
// The recordings are synthesised with the demo's schema and written through the Store;
// the mock is the real `ca2-inspector mock` command in its own process; autocannon sends
// recorded requests (each with a fresh trx) from here.
//
//   npm run bench:mock

import { autocannon, type CannonResult } from './autocannon.ts';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../demo/schema.ts';
import { fmt } from './figures.ts';
import { Store } from '../storage/store.ts';
import { flowHead } from '../support/flow-head.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIZES = [100, 100_000];
/** Distinct recorded requests autocannon cycles through, spread over the whole recording. */
const REQUEST_MIX = 2_000;
const RUN = { connections: 32, warmupSeconds: 2, seconds: 10 };
const TARGET = 5_000;
const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"bench"}').toString('base64url')}.c2lnbmF0dXJl`;

/** Every instance is read twice, so each key has two answers (served in order, as recorded). */
function requestFor(i: number, size: number): object {
  return { trx: randomBytes(16), token, instances: { get: { id: `i-${i % Math.max(1, size / 2)}` } } };
}

function writeRecording(file: string, size: number): void {
  const store = Store.open(file);
  const t0 = Date.now() - size * 10;
  for (let i = 0; i < size; i++) {
    const request = requestFor(i, size) as { trx: Buffer };
    const body = encodeMessage('ca2.ClientRequest', request);
    const answer = encodeMessage('ca2.ServerResponse', {
      trx: request.trx,
      instances: {
        get: {
          instance: {
            id: `i-${i % (size / 2)}`, name: `web-${i}`, status: 'INSTANCE_STATUS_RUNNING', server_id: 's-2vcpu-4gb', region: 'fra1',
            image: 'debian-12', vcpus: 2, memory_mb: 4096, disk_gb: 80, ipv4: [`10.0.${(i >> 8) & 255}.${i & 255}`],
            labels: { env: 'staging', owner: 'bench' }, price_per_hour: 3, created_at_ms: t0, updated_at_ms: t0 + i,
          },
        },
      },
    });
    store.putExchange(flowHead({
      id: store.allocateExchangeId(), kind: 'exec', startedAt: t0 + i * 10, endedAt: t0 + i * 10 + 3, method: 'POST', path: '/exec',
      status: 200, service: 'instances', operation: 'get', trx: request.trx.toString('hex'), errors: [], token: { prefix: token.slice(0, 12), sub: 'bench' },
      clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null, close: null,
      request: { headers: [['Content-Type', 'application/x-protobuf']], body, truncated: false, size: body.length },
      response: { headers: [['Content-Type', 'application/x-protobuf'], ['Content-Length', String(answer.length)]], body: answer, truncated: false, size: answer.length },
    }));
  }
  store.close();
}

/** Starts `ca2-inspector mock` and resolves once it serves, with how long loading took. */
async function startMock(file: string): Promise<{ url: string; loadedIn: number; lines: string[]; stop(): Promise<void> }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'mock', '--db', file, '--listen', '127.0.0.1:0', '--proto', 'demo/protos'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stderr!.on('data', (d) => lines.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const ready = /serving at (http:\/\/\S+?);/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the mock exited with ${code}:\n${lines.join('\n')}`)));
  });
  return {
    url,
    loadedIn: performance.now() - started,
    lines,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function cannon(url: string, size: number, seconds: number): Promise<CannonResult> {
  const step = Math.max(1, Math.floor(size / REQUEST_MIX));
  const requests = Array.from({ length: Math.min(REQUEST_MIX, size) }, (_, k) => ({
    method: 'POST',
    path: '/exec',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(encodeMessage('ca2.ClientRequest', requestFor(k * step, size))),
  }));
  return autocannon({ url, requests, connections: RUN.connections, duration: seconds });
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`);
  console.log(`/exec through the mock: ${RUN.connections} connections, ${RUN.seconds} s after ${RUN.warmupSeconds} s warm-up, ${REQUEST_MIX} distinct recorded requests\n`);
  const dir = mkdtempSync(join(os.tmpdir(), 'ca2-bench-mock-'));
  const results: { size: number; rate: number }[] = [];
  try {
    for (const size of SIZES) {
      const file = join(dir, `recording-${size}.sqlite`);
      const writing = performance.now();
      writeRecording(file, size);
      const writtenIn = performance.now() - writing;
      const mock = await startMock(file);
      try {
        await cannon(mock.url, size, RUN.warmupSeconds);
        const r = await cannon(mock.url, size, RUN.seconds);
        if (r.errors || r.timeouts || r.non2xx) throw new Error(`${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers; the numbers would mean nothing`);
        const misses = mock.lines.filter((l) => l.startsWith('mock: ')).length;
        if (misses) throw new Error(`${misses} requests found no recorded answer; the recording and the requests disagree`);
        console.log(`  ${fmt(size).padStart(7)} exchanges: ${fmt(r.requests.average).padStart(7)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms` +
          `  (written in ${fmt(writtenIn / 1000, 1)} s, mock ready in ${fmt(mock.loadedIn / 1000, 1)} s)`);
        results.push({ size, rate: r.requests.average });
      } finally {
        await mock.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const large = results[results.length - 1]!;
  console.log(`\n  ${fmt(large.size)} exchanges: ${fmt(large.rate)} req/s, ${fmt(large.rate / results[0]!.rate, 2)} of the ${fmt(results[0]!.size)}-exchange rate; target >= ${fmt(TARGET)} req/s: ${large.rate >= TARGET ? 'met' : 'NOT met'}`);
}

await main();
