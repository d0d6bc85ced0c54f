// Decode throughput of the codec (a benchmark, not a test): a ~300-byte
// ClientRequest and a ~50 KB ServerResponse, with the bundled schema and with
// the full user schema of the test fixtures. Prints messages/s and MB/s.
//
//   npm run bench:codec

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { MessageType } from '../model/types.ts';
import { createCodec } from '../proto/codec.ts';
import type { Codec } from '../proto/codec.ts';

const SCHEMA = path.resolve('test/fixtures/codec/schema');
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9.c2lnbmF0dXJl';

function encodeWithProtoc(type: MessageType, text: string): Buffer {
  const run = spawnSync('protoc', ['-I', SCHEMA, `--encode=ca2.${type}`, path.join(SCHEMA, 'ca2.proto')], { input: text, maxBuffer: 1 << 26 });
  if (run.error || run.status !== 0) throw new Error(`protoc --encode failed: ${run.error?.message ?? run.stderr}`);
  return run.stdout;
}

function smallRequest(): Buffer {
  return encodeWithProtoc(
    'ClientRequest',
    `trx: "\\x5f\\x0c\\x1a\\x2b\\x3c\\x4d\\x5e\\x6f\\x70\\x81\\x92\\xa3\\xb4\\xc5\\xd6\\xe7"
token: "${JWT}"
instances { create { name: "web-frontend-eu-west-1a-0042" plan: "s-4vcpu-8gb-premium-intel"
  features: [IPV6, BACKUPS, MONITORING]
  labels { key: "env" value: "production" } labels { key: "team" value: "platform-core" }
  labels { key: "cost-center" value: "cc-2231" } } }`,
  );
}

function instance(i: number): string {
  return `instances { id: "i-${String(i).padStart(6, '0')}" name: "web-${i}.eu-west-1.example.com" state: RUNNING
    features: [IPV6, MONITORING] legacy_features: [BACKUPS]
    labels { key: "env" value: "production" } labels { key: "team" value: "platform" }
    memory_bytes: ${8589934592 + i} vcpus: 4 hourly_price: 0.0595 cpu_load: ${(i % 100) / 100}
    network { ipv4: "203.0.113.${i % 250}" ipv6: "2001:db8::${i.toString(16)}" ports: [22, 80, 443] }
    created_at { seconds: ${1700000000 + i} nanos: 120000000 } balance_delta: -${i * 1000} serial: ${i} }`;
}

function largeResponse(): Buffer {
  const list: string[] = [];
  let bytes: Buffer = Buffer.alloc(0);
  for (let count = 150; bytes.length < 50_000; count += 10) {
    while (list.length < count) list.push(instance(list.length));
    bytes = encodeWithProtoc('ServerResponse', `trx: "\\x5f\\x0c\\x1a\\x2b\\x3c\\x4d\\x5e\\x6f\\x70\\x81\\x92\\xa3\\xb4\\xc5\\xd6\\xe7"\ninstances { list { ${list.join('\n')} total: ${list.length} } }`);
  }
  return bytes;
}

/**
 * Runs `run` for about `seconds` and returns the rate per second of wall time and
 * per second of this process's CPU time (the steadier figure on a busy machine).
 */
function measure(run: () => void, size: number, seconds: number): { perSecond: number; mbPerSecond: number; perCpuSecond: number } {
  for (let i = 0; i < 2000; i++) run();
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) run();
    count += 100;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { perSecond: count / elapsed, mbPerSecond: (count * size) / elapsed / 1e6, perCpuSecond: count / cpuSeconds };
}

const rate = (value: number) => Math.round(value).toLocaleString('en-US').padStart(9);
function report(what: string, size: number, label: string, extra: string, figures: ReturnType<typeof measure>): void {
  console.log(
    `  ${what.padEnd(14)} ${String(size).padStart(6)} B  ${label.padEnd(16)} ${extra.padEnd(15)}  ${rate(figures.perSecond)} msg/s  ${figures.mbPerSecond.toFixed(1).padStart(6)} MB/s  (${rate(figures.perCpuSecond)} msg per CPU-second)`,
  );
}

const small = smallRequest();
const large = largeResponse();
const codecs: [string, Codec][] = [
  ['bundled schema', createCodec()],
  ['full user schema', createCodec({ protoPaths: [SCHEMA] })],
];
const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, node ${process.version}`);
console.log(`load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} (figures drop when other work shares the cores)`);
console.log('decode throughput on one core (JSON + summary; the recorder also asks for spans):');
for (const [label, codec] of codecs) {
  for (const [type, bytes] of [['ClientRequest', small], ['ServerResponse', large]] as const) {
    for (const spans of [false, true]) {
      const figures = measure(() => codec.decode(type, bytes, { spans }), bytes.length, type === 'ClientRequest' ? 2 : 3);
      report(type, bytes.length, label, spans ? '+ spans' : '', figures);
    }
  }
}
console.log('encode throughput on one core (replay: the JSON back to bytes; with the recording, unchanged fields are copied from it):');
for (const [label, codec] of codecs) {
  for (const [type, bytes] of [['ClientRequest', small], ['ServerResponse', large]] as const) {
    const { json } = codec.decode(type, bytes);
    report(type, bytes.length, label, 'JSON only', measure(() => codec.encode(type, json), bytes.length, 2));
    report(type, bytes.length, label, '+ recording', measure(() => codec.encode(type, json, bytes), bytes.length, 2));
  }
}
