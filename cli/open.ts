// `ca2-inspector open`: the inspector over a capture or any recording, with no proxy.
// It only reads the file (capture/sources.ts). Its exchanges are decoded as they are
// read: with the schema the file keeps, or with --proto when given.

import { openForReading } from '../capture/sources.ts';
import { isSqliteFile } from '../storage/file-check.ts';
import { startInspectorServer, type InspectorServer } from '../inspector/server/app.ts';
import { inspectorLink, inspectorOptionSpecs, inspectorOptionsHelp, parseInspectorOptions } from './options.ts';
import { checkInputFile } from './paths.ts';
import { toolVersion } from '../capture/tool-version.ts';
import { parseCommandArgs } from './args.ts';
import { UserError } from '../model/user-error.ts';
import { describeFailure } from './failure.ts';
import { EXIT_INTERRUPTED } from './exit-status.ts';

const help = `usage: ca2-inspector open FILE [--ui HOST:PORT] [--ui-token TOKEN] [--ui-allow-host NAME]... [--proto PATH]...

  FILE                 a capture (from export) or any recording
${inspectorOptionsHelp}  --proto PATH         decode everything again with this schema instead of the file's own
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('open', argv, {
    ...inspectorOptionSpecs,
    proto: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  }, { positionals: Infinity });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError("name one capture or recording to open; see 'ca2-inspector open --help'.");
  const [file] = positionals;
  const { ui, uiToken: token, uiAllowHosts } = parseInspectorOptions(values);
  checkInputFile(file, 'the file to open');
  if (!isSqliteFile(file)) throw new UserError(`${file} is not a capture or a recording; to look at a HAR file, import it first: ca2-inspector import ${file} --db FILE.`);
  const protoPaths = values.proto ?? [];

  // Until it serves there is nothing to wait for: a signal ends it at once. Set before
  // the snapshot is made, so no signal can end it the default way, which skips 'exit'
  // (SIGHUP too: closing the terminal sends it).
  let stop: () => void = () => process.exit(EXIT_INTERRUPTED);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop());
  // A bug in some corner must not end serving with a stack trace: say it and go on, as the proxy does.
  const say = (line: string) => process.stdout.write(line + '\n');
  process.on('uncaughtException', (err) => say(`ca2-inspector: unexpected error, still running: ${describeFailure(err)}`));

  // Raw bytes are decoded on read: with --proto, or the schema the file keeps. The file
  // is only read (capture/sources.ts).
  const snapshot = openForReading(file, {
    use: { flag: null, command: 'open', writes: false },
    protoPaths,
    notice: (line) => process.stderr.write(`ca2-inspector: ${line}\n`),
  });
  const { store, codec } = snapshot;
  // A copy of an older file may be a plain recording, tokens and all: it goes with the
  // process, however that ends ('exit' comes after a normal end, process.exit and an uncaught error).
  let removed = false;
  const cleanUp = () => {
    if (removed) return;
    removed = true;
    snapshot.close();
  };
  process.on('exit', cleanUp);

  let server: InspectorServer;
  try {
    server = await startInspectorServer({ store, host: ui.host, port: ui.port, token, allowHosts: uiAllowHosts, log: say, export: { codec, toolVersion }, readOnly: { file } });
  } catch (err) {
    cleanUp();
    throw err;
  }
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    stop = () => {
      // A second signal ends at once.
      if (stopping) process.exit(EXIT_INTERRUPTED);
      stopping = true;
      void server.close().then(() => {
        cleanUp();
        resolve(0);
      });
    };
  });
  const { exchanges } = store.stats();
  const about = snapshot.capture
    ? `a capture made ${snapshot.capture.meta.madeAt} by ca2-inspector ${snapshot.capture.meta.toolVersion}, ${snapshot.capture.meta.redacted ? 'tokens redacted' : 'tokens NOT redacted'}`
    : 'a recording';
  say(`ca2-inspector: inspector at ${inspectorLink(server.address, token)}`);
  say(`ca2-inspector: showing ${file} (${about}), ${exchanges} exchange(s), read-only; Ctrl-C to stop`);
  return stopped;
}
