// Decode throughput of the codec (a benchmark, not a test). The case the targets name: a
// 50 KB ServerResponse (a page of instances: nested messages, repeated and packed fields,
// maps, strings, bytes, 64-bit integers, doubles, timestamps) decoded with the user schema
// of the test fixtures and with no schema beyond the bundled envelope (every field inside
// guessed), with spans and without; raw mode (protoc --decode_raw text) beside them. Also
// a ~300-byte ClientRequest, and encode. Prints MB/s and messages/s with the target.
//
//   npm run bench:codec

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { MessageType } from '../model/types.ts';
import { createCodec } from '../proto/codec.ts';
import type { Codec } from '../proto/codec.ts';
import { fmt } from './figures.ts';

const SCHEMA = path.resolve('test/fixtures/codec/schema');
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9.c2lnbmF0dXJl';
const LARGE_TARGET_MB = 100;
const SMALL_TARGET = 100_000;

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

/** A 16-byte fingerprint in text-format escapes: binary, as a hash is. */
function fingerprint(i: number): string {
  return Array.from({ length: 16 }, (_, k) => '\\x' + ((i * 131 + k * 197 + 7) & 0xff).toString(16).padStart(2, '0')).join('');
}

function instance(i: number): string {
  return `instances { id: "i-${String(i).padStart(6, '0')}" name: "web-${i}.eu-west-1.example.com" state: RUNNING
    features: [IPV6, MONITORING] legacy_features: [BACKUPS]
    labels { key: "env" value: "production" } labels { key: "team" value: "platform" }
    memory_bytes: ${8589934592 + i} vcpus: 4 hourly_price: 0.0595 cpu_load: ${(i % 100) / 100}
    network { ipv4: "203.0.113.${i % 250}" ipv6: "2001:db8::${i.toString(16)}" ports: [22, 80, 443] }
    created_at { seconds: ${1700000000 + i} nanos: 120000000 } balance_delta: -${i * 1000}
    fingerprint: "${fingerprint(i)}" serial: ${i} }`;
}

function largeResponse(): { bytes: Buffer; instances: number } {
  const list: string[] = [];
  let bytes: Buffer = Buffer.alloc(0);
  for (let count = 150; bytes.length < 50_000; count += 5) {
    while (list.length < count) list.push(instance(list.length));
    bytes = encodeWithProtoc('ServerResponse', `trx: "\\x5f\\x0c\\x1a\\x2b\\x3c\\x4d\\x5e\\x6f\\x70\\x81\\x92\\xa3\\xb4\\xc5\\xd6\\xe7"\ninstances { list { ${list.join('\n')} total: ${list.length} } }`);
  }
  return { bytes, instances: list.length };
}

interface Figures {
  perSecond: number;
  mbPerSecond: number;
  perCpuSecond: number;
  mbPerCpuSecond: number;
}

/**
 * Runs `run` for about `seconds` after a warm-up and returns its rate per second of wall
 * time and per second of this process's CPU time (the steadier figure on a busy machine).
 */
function measure(run: () => void, size: number, seconds: number): Figures {
  const warmUntil = process.hrtime.bigint() + 500_000_000n;
  while (process.hrtime.bigint() < warmUntil) for (let i = 0; i < 10; i++) run();
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10; i++) run();
    count += 10;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { perSecond: count / elapsed, mbPerSecond: (count * size) / elapsed / 1e6, perCpuSecond: count / cpuSeconds, mbPerCpuSecond: (count * size) / cpuSeconds / 1e6 };
}

const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

function report(what: string, figures: Figures, target: string): void {
  console.log(
    `  ${what.padEnd(46)} ${fmt(figures.mbPerSecond, 1).padStart(6)} MB/s ${fmt(figures.mbPerCpuSecond, 1).padStart(6)} MB/CPU-s ${fmt(figures.perSecond).padStart(8)} msg/s   ${target}`,
  );
}

const small = smallRequest();
const large = largeResponse();
const user = createCodec({ protoPaths: [SCHEMA] });
const bundled = createCodec();
const codecs: [string, Codec][] = [
  ['user schema', user],
  ['no schema (bundled envelope)', bundled],
];

const cpus = os.cpus();
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`,
);
console.log('(figures drop when other work shares the cores; MB/CPU-s, per second of this process\'s CPU time, drops less, and the targets are judged on it)');
console.log(`\ndecode of a ${fmt(large.bytes.length)}-byte ServerResponse (${large.instances} instances), on one core:`);
for (const [label, codec] of codecs) {
  for (const spans of [false, true]) {
    const figures = measure(() => codec.decode('ServerResponse', large.bytes, { spans }), large.bytes.length, 3);
    report(`${label}${spans ? ' + spans' : ''}`, figures, `target >= ${LARGE_TARGET_MB} MB/s: ${verdict(figures.mbPerCpuSecond >= LARGE_TARGET_MB)}`);
  }
}
report('raw mode (protoc --decode_raw text)', measure(() => user.decodeRaw(large.bytes), large.bytes.length, 3), '(no target)');

console.log(`\ndecode of a ${fmt(small.length)}-byte ClientRequest, on one core (JSON + summary; the recorder also asks for spans):`);
for (const [label, codec] of codecs) {
  for (const spans of [false, true]) {
    const figures = measure(() => codec.decode('ClientRequest', small, { spans }), small.length, 2);
    report(`${label}${spans ? ' + spans' : ''}`, figures, `target >= ${fmt(SMALL_TARGET)} msg/s: ${verdict(figures.perCpuSecond >= SMALL_TARGET)}`);
  }
}

console.log('\nencode on one core (replay: the JSON back to bytes; with the recording, unchanged fields are copied from it):');
for (const [label, codec] of codecs) {
  for (const [type, bytes] of [['ClientRequest', small], ['ServerResponse', large.bytes]] as const) {
    const { json } = codec.decode(type, bytes);
    report(`${type} ${label}, JSON only`, measure(() => codec.encode(type, json), bytes.length, 2), '(no target)');
    report(`${type} ${label}, + recording`, measure(() => codec.encode(type, json, bytes), bytes.length, 2), '(no target)');
  }
}
