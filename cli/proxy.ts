// `ca2-inspector proxy`: forward a ca2 server, record its traffic, serve the inspector.
// With no --upstream it runs the built-in demo server and demo client in front of it;
// with --mock FILE, a recording served by the mock (mock/server.ts) is the upstream.

import { Tap } from '../proxy/tap.ts';
import { startProxy, type ProxyServer } from '../proxy/server.ts';
import { startRecordingWorker, type RecordingWorker } from '../app/worker-bridge.ts';
import { hostForUrl, inspectorLink, inspectorOptionSpecs, inspectorOptionsHelp, parseHostPort, parseInspectorOptions, parseMaxBody, parseUpstream } from './options.ts';
import { DEFAULT_DB } from './defaults.ts';
import { describeFailure } from './failure.ts';
import { parseCommandArgs } from './args.ts';
import { describeLoaded } from './mock.ts';
import { mockOptionSpecs, mockOptionsHelp, parseMockBehaviour, refuseWithoutMock } from './mock-options.ts';
import { startMock } from '../mock/server.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_INTERRUPTED, EXIT_NOT_CLEAN } from './exit-status.ts';
import { loadRules, type LoadedRules } from './rules-option.ts';

const SHUTDOWN_GRACE_MS = 5_000;
/** Signals closer together than this are one request to stop, delivered twice. */
const SAME_SIGNAL_MS = 100;

const help = `usage: ca2-inspector proxy [--upstream URL | --mock FILE] [options]

  --upstream URL       the ca2 server to forward to (http:// or https://); without it,
                       the built-in demo server and a demo client make traffic
  --mock FILE          a recording or capture served as the upstream (see 'ca2-inspector
                       mock' and "with --mock" below), its traffic recorded and shown like any other
  --listen HOST:PORT   where clients connect (default 127.0.0.1:8080)
${inspectorOptionsHelp}  --db FILE            SQLite file to record into (default ./${DEFAULT_DB})
  --proto PATH         a .proto file, a folder of them, or a descriptor set (.desc/.pb);
                       repeat for more
  --insecure           accept any TLS certificate from the upstream
  --max-body SIZE      record at most this much of each body or frame (default 16MiB);
                       larger ones are still forwarded whole; with --mock, also the largest
                       /exec body or WebSocket message the mock takes (a larger body gets 413)
  --rules FILE         rules that change traffic in flight (YAML or JSON; see README,
                       "Rules"); read again whenever the file changes
  --rules-seed N       seed for the rules' probability, so a run can be repeated
  --break-timeout TIME how long a breakpoint (a rule with break: true) holds a message
                       before it goes on unchanged (default 60s; 0: until decided)
  --quiet              no line per exchange on the terminal

with --mock, as in 'ca2-inspector mock':
${mockOptionsHelp}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv);
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const listen = parseHostPort(values.listen ?? '127.0.0.1:8080', '--listen');
  const inspector = parseInspectorOptions(values);
  const maxBody = parseMaxBody(values['max-body']);
  const upstreamArg = values.upstream === undefined ? null : parseUpstream(values.upstream);
  if (upstreamArg && values.mock !== undefined) {
    throw new UserError('--mock and --upstream both say where to forward; pass one of them.');
  }
  if (values.mock === undefined) refuseWithoutMock(values);
  const mockBehaviour = parseMockBehaviour(values);
  const { uiToken } = inspector;
  const quiet = values.quiet ?? false;
  const say = (line: string) => process.stdout.write(line + '\n');
  // A bug in some corner must not take the traffic down with it: say it and keep forwarding.
  process.on('uncaughtException', (err) => say(`ca2-inspector: unexpected error, still running: ${describeFailure(err)}`));

  const mockOptions = {
    db: values.mock ?? '',
    dbFlag: '--mock',
    protoPaths: values.proto ?? [],
    ...mockBehaviour,
    maxBody,
    listen: { host: '127.0.0.1', port: 0 },
    say,
  };
  const mock = values.mock === undefined ? null : await startMock(mockOptions);
  const demo = upstreamArg || mock ? null : await import('../demo/server.ts').then((m) => m.startDemoServer({ host: '127.0.0.1', port: 0 }));
  const upstream = upstreamArg ?? mock?.url ?? demo!.url;
  /** A server this command started as the upstream, stopped with it. */
  const localUpstream = demo ?? mock;
  // The demo speaks its own illustrative schema: decode it by name unless told otherwise.
  const demoSchema = demo && values.proto === undefined ? (await import('../demo/paths.ts')).demoProtoDir : null;
  const protoPaths = values.proto ?? (demoSchema ? [demoSchema] : []);

  let rules: LoadedRules;
  try {
    rules = loadRules(values.rules, values['rules-seed'], values['break-timeout'], protoPaths, say);
  } catch (err) {
    await localUpstream?.close();
    throw err;
  }

  let recording: RecordingWorker;
  try {
    recording = await startRecordingWorker(
      {
        db: values.db ?? DEFAULT_DB,
        protoPaths,
        ...inspector,
        quiet,
        upstream: upstream.href,
        insecure: values.insecure ?? false,
        maxBody,
      },
      say,
    );
  } catch (err) {
    rules.close();
    await localUpstream?.close();
    throw err;
  }
  rules.attach(recording);

  const tap = new Tap((message) => say(`recording: ${message}`));
  tap.add(recording.listener);
  const thisRun = { exchanges: 0, frames: 0 };
  tap.add({ requestStarted: () => void thisRun.exchanges++, wsFrame: () => void thisRun.frames++ });
  let proxy: ProxyServer;
  try {
    proxy = await startProxy({ upstream, listen, tap, insecure: values.insecure ?? false, maxBody, intercept: rules.stage });
  } catch (err) {
    rules.close();
    await recording.close();
    await localUpstream?.close();
    throw err;
  }

  const demoTraffic = new AbortController();
  let demoClient: Promise<unknown> | null = null;
  // The handlers go in before the ready lines are printed: a script that signals as soon
  // as it reads them must find the proxy ready to finish and write every record.
  const exited = new Promise<number>((resolve) => {
    let stoppingSince = 0;
    const stop = async (signal: string) => {
      if (stoppingSince) {
        // One request can arrive twice within a few milliseconds: `npm start` forwards the
        // terminal's SIGINT to a process that got it already, and `timeout` signals the
        // child and then its group. A person's second Ctrl-C comes later than that.
        if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
        say(`ca2-inspector: ${signal} again, exiting without waiting.`);
        process.exit(EXIT_INTERRUPTED);
      }
      stoppingSince = Date.now();
      say(`ca2-inspector: ${signal}: finishing ${proxy.inFlight()} exchange(s) in flight, then writing every record…`);
      demoTraffic.abort();
      await demoClient?.catch(() => undefined);
      // Paused messages go on first, so that their exchanges can end within the grace.
      rules.close();
      await proxy.close(SHUTDOWN_GRACE_MS);
      const closed = await recording.close();
      await localUpstream?.close();
      if (closed) {
        const { exchanges, frames, writeFailures, dropped } = closed.stats;
        const losses = [
          writeFailures ? `${writeFailures} write failure(s)` : '',
          dropped.exchanges ? `${dropped.exchanges} exchange(s) dropped` : '',
          dropped.frames ? `${dropped.frames} frame(s) dropped` : '',
        ].filter(Boolean).map((l) => `; ${l}`).join('');
        say(
          `ca2-inspector: this run recorded ${count(thisRun.exchanges, 'exchange')} and ${count(thisRun.frames, 'frame')}; ` +
            `${values.db ?? DEFAULT_DB} now holds ${count(exchanges, 'exchange')} and ${count(frames, 'frame')}${losses}.`,
        );
      }
      const code = closed ? 0 : EXIT_NOT_CLEAN;
      resolve(code);
      // Whatever a library left running (keep-alive sockets, timers) must not keep us up.
      setTimeout(() => process.exit(code), 1_000).unref();
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    // Closing the terminal: finish and write every record, as for Ctrl-C.
    process.on('SIGHUP', () => void stop('SIGHUP'));
  });

  const proxyUrl = new URL(`http://${hostForUrl(proxy.address.host)}:${proxy.address.port}`);
  say(`ca2-inspector: inspector at ${inspectorLink(recording.ui, uiToken)}`);
  if (mock) for (const line of describeLoaded(mock, mockOptions)) say(`ca2-inspector: mock ${line}`);
  say(
    demo
      ? `ca2-inspector: proxy at ${proxyUrl.origin}, forwarding to the built-in demo upstream at ${upstream.origin} (pass --upstream URL for a real server)`
      : mock
        ? `ca2-inspector: proxy at ${proxyUrl.origin}, forwarding to the mock of ${values.mock} at ${upstream.origin}`
        : `ca2-inspector: proxy at ${proxyUrl.origin}, forwarding to ${upstream.origin}`,
  );
  if (demoSchema) say(`ca2-inspector: decoding with the demo's own illustrative schema (demo/protos); --proto replaces it`);
  say(`ca2-inspector: recording to ${values.db ?? DEFAULT_DB}; Ctrl-C to stop`);

  // A stop that came before this point has aborted the demo traffic already.
  demoClient =
    demo && !demoTraffic.signal.aborted
      ? import('../demo/client.ts').then((m) =>
          m.runDemoClient({ baseUrl: proxyUrl, signal: demoTraffic.signal, loop: true, log: quiet ? () => undefined : (line) => say(`demo client: ${line}`) }),
        )
      : null;
  return exited;
}

function parseOptions(argv: string[]) {
  return parseCommandArgs('proxy', argv, {
    upstream: { type: 'string' },
    mock: { type: 'string' },
    ...mockOptionSpecs,
    listen: { type: 'string' },
    ...inspectorOptionSpecs,
    db: { type: 'string' },
    proto: { type: 'string', multiple: true },
    insecure: { type: 'boolean' },
    'max-body': { type: 'string' },
    rules: { type: 'string' },
    'rules-seed': { type: 'string' },
    'break-timeout': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
