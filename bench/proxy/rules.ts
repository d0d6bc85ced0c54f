// The rules part of the proxy benchmark: /exec through the recording proxy with no rules,
// with 20 rules that match nothing, and with one rule setting a field on every response;
// throughput, the forwarding thread's CPU time per call, and latency at a steady pace.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, mean } from '../figures.ts';
import { checkClean, exec, paced } from './load.ts';
import { recording, start, type Child } from './processes.ts';

export interface RulesRun {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
}

/** The latency runs: /exec calls at a steady rate, well under what the proxy can take. */
const PACED = { rate: 200, seconds: 10 };

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

/** CPU time (user + system) the process's main thread, which forwards, has used so far: /proc's clock ticks, in ms. */
function forwardingCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime 14 and stime 15 (proc(5)); ticks are 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export async function rulesPart(upstream: Child, workDir: string, run: RulesRun): Promise<void> {
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
  for (let round = 0; round < run.rounds; round++) {
    for (const variant of variants) {
      const proxy = await proxyWith(variant.file);
      try {
        await exec(proxy.url, { seconds: run.warmupSeconds });
        const before = forwardingCpuMs(proxy.process.pid!);
        const result = await exec(proxy.url, { seconds: run.seconds });
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
  console.log(`  latency at ${PACED.rate} req/s for ${PACED.seconds} s (ms)     p50       p99`);
  const latency = new Map<string, { p50: number; p99: number }>();
  for (const variant of [variants[0]!, variants[2]!]) {
    const proxy = await proxyWith(variant.file);
    try {
      await paced(proxy.url, PACED.rate, 2);
      const xs = await paced(proxy.url, PACED.rate, PACED.seconds);
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
