// `ca2-inspector replay`: send a recorded session again to a server the user names,
// record the replay, and say field by field what answered differently. The recording
// replayed is only read: the replay goes into --into, by default a new recording beside
// it, with copies of the exchanges it replays, so each replay sits beside its original.

import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { recordAll } from '../capture/record.ts';
import type { Codec } from '../proto/codec.ts';
import { examine, type FileUse } from '../storage/file-check.ts';
import { Store } from '../storage/store.ts';
import type { Difference, JsonValue } from '../model/types.ts';
import { Recorder } from '../recorder/recorder.ts';
import { Replayer } from '../replay/replayer.ts';
import { callName, replaySession, selectExchanges, type ExchangeResult, type SessionOptions, type SessionReport } from '../replay/session.ts';
import { ReplayTarget } from '../replay/target.ts';
import { parseCommandArgs } from './args.ts';
import { checkFilter, parseUpstream } from './options.ts';
import { checkOutputFile } from './paths.ts';
import { progressReporter } from './progress.ts';
import { openRecording } from './schema-option.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_NOT_CLEAN } from './exit-status.ts';
import type { Flow } from '../model/flow.ts';

const help = `usage: ca2-inspector replay --db FILE --upstream URL [options]

  --db FILE            the recording or capture to replay; it is only read
  --into FILE          the recording the replay is recorded into, beside copies of the
                       exchanges replayed (default: a new FILE.replay-N.sqlite beside --db);
                       --into with the --db file itself records into it, as they are
  --upstream URL       the server to send the replay to (required: a replay never goes
                       to a server you did not name)
  --filter EXPR        the exchanges to replay, in the inspector's filter language
                       (default: every /exec call and WebSocket connection)
  --proto PATH         a .proto file, a folder of them, or a descriptor set; repeat for more
  --token T            send this token instead of the recorded ones
  --trx new|keep       a fresh random trx for each request (default), or the recorded one
  --timing recorded|none
                       calls and WebSocket frames at their recorded gaps (default), or at once
  --ignore PATH        a field path left out of the comparison, * for any index or key
                       (billing.balances[*].updated_at_ms); repeat for more
  --report FILE.json   write the results as JSON

Exit status: 0 when every answer matched, 1 when any differed or failed (or nothing was
selected), 2 for a usage error.
`;

export async function run(argv: string[]): Promise<number> {
  const values = parseOptions(argv);
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (values.db === undefined) throw new UserError("--db FILE is required: the recording to replay; see 'ca2-inspector replay --help'.");
  if (values.upstream === undefined) {
    throw new UserError("--upstream URL is required: a replay never goes to a server you did not name; see 'ca2-inspector replay --help'.");
  }
  const upstream = parseUpstream(values.upstream);
  const trx = oneOf(values.trx, '--trx', ['new', 'keep'] as const);
  const timing = oneOf(values.timing, '--timing', ['recorded', 'none'] as const);
  const filter = checkFilter(values.filter);
  if (values.report !== undefined) checkOutputFile(values.report, '--report');
  const say = (line: string) => process.stdout.write(line + '\n');
  const nothing = () => {
    say(`Nothing to replay: ${values.filter ? `--filter "${values.filter}" selects` : `${values.db} holds`} no /exec call or WebSocket connection.`);
    return EXIT_NOT_CLEAN;
  };
  const into = values.into ?? freeReplayName(values.db);
  const intoUse: FileUse = { flag: '--into', command: 'replay', writes: true };
  if (examine(into, intoUse).capture) {
    throw new UserError(`--into ${into} is a capture, which is kept as it was exported: pass --into with a recording or a new file.`);
  }
  const session: SessionOptions = { filter, token: values.token, trx, timing, ignore: values.ignore };
  const source = openRecording(values.db, values.proto ?? [], 'replay');
  const { codec } = source;
  let store: Store;
  let skipped = 0;
  if (samePath(into, values.db)) {
    source.close();
    store = openInto(into, codec, intoUse, say);
  } else {
    let selected: Flow[];
    try {
      const heads = selectExchanges(source.store, { filter: filter ?? '' });
      const replayable = heads.filter((s) => s.kind === 'exec' || s.kind === 'ws');
      skipped = heads.length - replayable.length;
      selected = [...source.store.flows({ ids: replayable.map((s) => s.id), order: 'oldest' })];
    } finally {
      source.close();
    }
    if (selected.length === 0) return nothing();
    store = openInto(into, codec, intoUse, say);
    say(`ca2-inspector replay: recording into ${into}, beside copies of the ${selected.length} exchange(s) replayed (${values.db} is only read; --into FILE chooses another).`);
    try {
      session.ids = recordAll(store, codec, selected, { dedupe: false }).ids;
    } catch (err) {
      store.close();
      throw err;
    }
  }

  const recorder = new Recorder(codec, store);
  let target: ReplayTarget | null = null;
  try {
    target = await ReplayTarget.start({ upstream, recorder });
    const progress = progressReporter(process.stdout.isTTY === true, (text) => process.stdout.write(text));
    let report: SessionReport;
    try {
      report = await replaySession(new Replayer(codec, store, target), store, { ...session, onProgress: progress.update });
    } finally {
      progress.end();
    }
    report.skipped += skipped;
    const { results } = report;
    if (results.length === 0) return nothing();
    for (const line of summaryLines(report, upstream)) say(line);
    if (values.report) writeFileSync(values.report, JSON.stringify(reportJson(results), null, 2) + '\n');
    return results.every((r) => r.result === 'same') ? 0 : EXIT_NOT_CLEAN;
  } finally {
    await target?.close();
    recorder.stop();
    store.close();
  }
}

function parseOptions(argv: string[]) {
  return parseCommandArgs('replay', argv, {
    db: { type: 'string' },
    into: { type: 'string' },
    upstream: { type: 'string' },
    filter: { type: 'string' },
    proto: { type: 'string', multiple: true },
    token: { type: 'string' },
    trx: { type: 'string' },
    timing: { type: 'string' },
    ignore: { type: 'string', multiple: true },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }).values;
}

/** The recording the replay goes into, made or added to; a file that is no recording is refused unwritten. */
function openInto(file: string, codec: Codec, use: FileUse, say: (line: string) => void): Store {
  return Store.open(file, { codec, use, onNotice: (line) => say(`ca2-inspector replay: ${line}`) });
}

/** bug.capture → bug.replay-1.sqlite beside it, or the first of -2, -3 … that is free. */
function freeReplayName(db: string): string {
  const stem = join(dirname(db), basename(db, extname(db)));
  for (let n = 1; ; n++) {
    const name = `${stem}.replay-${n}.sqlite`;
    if (!existsSync(name)) return name;
  }
}

function samePath(a: string, b: string): boolean {
  const real = (file: string) => (existsSync(file) ? realpathSync(file) : resolve(file));
  return real(a) === real(b);
}

function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${flag} takes ${allowed.join(' or ')}; got "${value}".`);
}

function summaryLines(report: SessionReport, upstream: URL): string[] {
  const rows = new Map<string, { same: number; different: number; failed: number }>();
  for (const r of report.results) {
    const key = callName(r);
    const row = rows.get(key) ?? { same: 0, different: 0, failed: 0 };
    row[r.result]++;
    rows.set(key, row);
  }
  const total = { same: 0, different: 0, failed: 0 };
  for (const row of rows.values()) for (const k of ['same', 'different', 'failed'] as const) total[k] += row[k];
  const width = Math.max('service.operation'.length, ...[...rows.keys()].map((k) => k.length));
  const line = (name: string, c: { same: number; different: number; failed: number }) =>
    `${name.padEnd(width)}  ${String(c.same).padStart(4)}  ${String(c.different).padStart(9)}  ${String(c.failed).padStart(6)}`;
  const lines = [
    '',
    `Replayed ${report.results.length} exchange(s) against ${upstream.origin}${report.skipped ? ` (${report.skipped} plain HTTP exchange(s) left out)` : ''}:`,
    `${'service.operation'.padEnd(width)}  same  different  failed`,
    ...[...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => line(name, c)),
    line('total', total),
  ];
  for (const renewal of report.renewals) lines.push(`token renewed from ${renewal.from}, exchange ${renewal.exchangeId}`);
  const differences = report.results.flatMap((r) => r.diffs.map((d) => differenceLine(r, d)));
  if (differences.length > 0) lines.push('', 'Differences (exchange, call, field: recorded → replayed):', ...differences);
  const failures = report.results.filter((r) => r.result === 'failed');
  if (failures.length > 0) lines.push('', 'Failed:', ...failures.map((r) => `#${r.id}  ${callName(r)}  ${r.error ?? 'no answer'}`));
  return lines;
}

function differenceLine(r: ExchangeResult, d: Difference): string {
  const show = (value: JsonValue, present: boolean) => {
    if (!present) return '(none)';
    const text = JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + '…' : text;
  };
  return `#${r.id} → #${r.replayId}  ${callName(r)}  ${d.path || '(whole answer)'}: ${show(d.before, d.change !== 'added')} → ${show(d.after, d.change !== 'removed')}`;
}

/** The --report file: the shape the README documents. */
function reportJson(results: ExchangeResult[]) {
  const count = (verdict: ExchangeResult['result']) => results.filter((r) => r.result === verdict).length;
  return {
    summary: { total: results.length, same: count('same'), different: count('different'), failed: count('failed') },
    exchanges: results.map((r) => ({
      id: r.id,
      replayId: r.replayId,
      service: r.service,
      operation: r.operation,
      result: r.result,
      diffs: r.diffs,
      error: r.error,
    })),
  };
}
