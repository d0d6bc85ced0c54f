// npm run bench:capture [-- --count N --fresh]
//
// Times `ca2-inspector export` of 100,000 /exec exchanges as a capture and as HAR, and
// `import` of that HAR and that capture into a new recording, each the real command in a
// process of its own, with the peak RSS of that process. Exports of a tenth as many show
// whether memory grows with the selection. The recording (support/exec-recording.ts) is
// generated once into .bench/; --fresh makes it again.
//
// Targets: capture under 10 s, HAR under 15 s, peak RSS under 300 MB at any size, import
// at 20,000 exchanges/s or more.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPORT_PIPE_MIN } from '../capture/export-reads.ts';
import { schemaVersion } from '../storage/migrations.ts';
import { execRecordingProtos, writeExecRecording } from '../support/exec-recording.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = path.join(root, '.bench');
const TARGET = { captureSeconds: 10, harSeconds: 15, peakMb: 300, importPerSecond: 20_000 };
/** Run inside each child: its peak RSS (kB, from the kernel), written where the bench reads it, as the process exits. */
const PEAK_RSS_PRELOAD =
  "data:text/javascript,import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(process.env.CA2_BENCH_PEAK_RSS, String(process.resourceUsage().maxRSS)));";

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : (process.argv[i + 1] ?? '');
}

/** The generated recording of `count` exchanges, reused from .bench/ when an earlier run made it. */
function recording(count: number, fresh: boolean): string {
  fs.mkdirSync(benchDir, { recursive: true });
  // Named for the schema version: a file an older version wrote would be read through a migrated copy, which is not what is timed.
  const file = path.join(benchDir, `capture-schema${schemaVersion}-${count}.sqlite`);
  const done = `${file}.complete`;
  if (!fresh && fs.existsSync(done) && fs.existsSync(file)) {
    console.log(`  reused ${path.relative(root, file)} (pass --fresh to make it again)`);
    return file;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, done]) fs.rmSync(f, { force: true });
  const started = performance.now();
  writeExecRecording(file, count, (n) => n % 50_000 === 0 && console.log(`  ${fmt(n)} exchanges written`));
  fs.writeFileSync(done, '');
  console.log(`  generated in ${fmt((performance.now() - started) / 1000, 1)} s, ${fmt(fs.statSync(file).size / 2 ** 20)} MiB`);
  return file;
}

interface Run {
  seconds: number;
  peakMb: number;
}

/** Runs the command in a process of its own; how long it took and its peak RSS. Throws with its output if it fails. */
function cli(args: string[], work: string): Promise<Run> {
  const peakFile = path.join(work, 'peak-rss');
  fs.rmSync(peakFile, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', PEAK_RSS_PRELOAD, 'bin/ca2-inspector.js', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CA2_BENCH_PEAK_RSS: peakFile },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`ca2-inspector ${args.join(' ')} ended with ${signal ?? code}:\n${output}`));
      resolve({ seconds, peakMb: (Number(fs.readFileSync(peakFile, 'utf8')) * 1024) / 1e6 });
    });
  });
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT MET';
}

async function main(): Promise<void> {
  const count = Number(flag('--count') ?? 100_000);
  const small = Math.max(1, Math.round(count / 10));
  const cpu = os.cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`);
  console.log(`recordings of /exec exchanges (about 284-byte requests, 512-byte responses, with their usual headers), decoded with --proto demo/protos:`);
  const large = recording(count, process.argv.includes('--fresh'));
  const little = recording(small, process.argv.includes('--fresh'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ca2-bench-capture-'));
  const proto = ['--proto', execRecordingProtos];
  const peaks: { what: string; mb: number }[] = [];
  const note = (what: string, run: Run) => (peaks.push({ what, mb: run.peakMb }), run);
  try {
    console.log(`\nexport, ${fmt(count)} exchanges, tokens redacted:`);
    const capture = note(`capture of ${fmt(count)}`, await cli(['export', '--db', large, '-o', path.join(work, 'out.capture'), ...proto], work));
    console.log(`  as a capture: ${fmt(capture.seconds, 1)} s, ${fmt(count / capture.seconds)} exchanges/s, peak RSS ${fmt(capture.peakMb)} MB   (target < ${TARGET.captureSeconds} s: ${verdict(capture.seconds < TARGET.captureSeconds)})`);
    const har = note(`HAR of ${fmt(count)}`, await cli(['export', '--db', large, '-o', path.join(work, 'out.har'), ...proto], work));
    console.log(`  as HAR:       ${fmt(har.seconds, 1)} s, ${fmt(count / har.seconds)} exchanges/s, peak RSS ${fmt(har.peakMb)} MB, ${fmt(fs.statSync(path.join(work, 'out.har')).size / 2 ** 20)} MiB   (target < ${TARGET.harSeconds} s: ${verdict(har.seconds < TARGET.harSeconds)})`);

    // From EXPORT_PIPE_MIN exchanges on, an export reads on a thread of its own, whose fixed 40-50 MB show in the larger figure.
    const thread = (n: number) => (n >= EXPORT_PIPE_MIN ? 'with' : 'without');
    console.log(`\nexport, ${fmt(small)} exchanges (does memory follow the selection? ${fmt(small)} are read ${thread(small)} a reading thread, ${fmt(count)} ${thread(count)} one):`);
    const smallCapture = note(`capture of ${fmt(small)}`, await cli(['export', '--db', little, '-o', path.join(work, 'small.capture'), ...proto], work));
    const smallHar = note(`HAR of ${fmt(small)}`, await cli(['export', '--db', little, '-o', path.join(work, 'small.har'), ...proto], work));
    console.log(`  as a capture: ${fmt(smallCapture.seconds, 1)} s, peak RSS ${fmt(smallCapture.peakMb)} MB; as HAR: ${fmt(smallHar.seconds, 1)} s, peak RSS ${fmt(smallHar.peakMb)} MB`);

    console.log(`\nimport, ${fmt(count)} exchanges into a new recording:`);
    for (const [what, file] of [['the HAR', 'out.har'], ['the capture', 'out.capture']] as const) {
      const db = path.join(work, `imported-${file}.sqlite`);
      const run = note(`import of ${what}`, await cli(['import', path.join(work, file), '--db', db, ...proto], work));
      const rate = count / run.seconds;
      console.log(`  ${what.padEnd(11)}  ${fmt(run.seconds, 1)} s, ${fmt(rate)} exchanges/s, peak RSS ${fmt(run.peakMb)} MB   (target >= ${fmt(TARGET.importPerSecond)}/s: ${verdict(rate >= TARGET.importPerSecond)})`);
    }

    const worst = peaks.reduce((a, b) => (b.mb > a.mb ? b : a));
    console.log(`\npeak RSS: at most ${fmt(worst.mb)} MB (${worst.what}); ${fmt(small)} vs ${fmt(count)} exchanges: capture ${fmt(smallCapture.peakMb)} → ${fmt(capture.peakMb)} MB, HAR ${fmt(smallHar.peakMb)} → ${fmt(har.peakMb)} MB   (target < ${TARGET.peakMb} MB whatever the size: ${verdict(worst.mb < TARGET.peakMb)})`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
