// `ca2-inspector mock`: serve a recording or a capture file as the ca2 server, /exec and /ws
// answered from what was recorded, so a client runs offline against recorded behaviour.

import { startMock, type MockOptions, type MockServer } from '../mock/server.ts';
import { parseCommandArgs } from './args.ts';
import { mockOptionSpecs, mockOptionsHelp, parseMockBehaviour } from './mock-options.ts';
import { checkFilter, parseHostPort, parseMaxBody } from './options.ts';
import { UserError } from '../model/user-error.ts';

const help = `usage: ca2-inspector mock --db FILE [options]

  --db FILE              the recording (the proxy's --db) or a capture file to serve
  --filter EXPR          serve only the exchanges this filter selects (the inspector's language)
  --listen HOST:PORT     where clients connect (default 127.0.0.1:8080)
  --proto PATH           a .proto file, a folder of them, or a descriptor set; repeat for more
${mockOptionsHelp}  --max-body SIZE        the largest /exec body or WebSocket message taken (default 16MiB);
                         a larger body is answered 413
`;

export async function run(argv: string[]): Promise<number> {
  const values = parseOptions(argv);
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (values.db === undefined) throw new UserError("--db FILE is required: the recording or capture to serve; see 'ca2-inspector mock --help'.");
  const say = (line: string) => process.stdout.write(line + '\n');
  const options: MockOptions = {
    db: values.db,
    filter: checkFilter(values.filter),
    protoPaths: values.proto ?? [],
    ...parseMockBehaviour(values),
    maxBody: parseMaxBody(values['max-body']),
    listen: parseHostPort(values.listen ?? '127.0.0.1:8080', '--listen'),
    say,
  };
  const mock = await startMock(options);
  // The handlers go in before the ready line: a script that stops the mock as soon as it reads it gets a clean stop.
  const stopped = new Promise<number>((resolve) => {
    const stop = async () => {
      await mock.close();
      resolve(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
  for (const line of describeLoaded(mock, options)) say(`ca2-inspector mock: ${line}`);
  say(`ca2-inspector mock: serving at ${mock.url.origin}; Ctrl-C to stop`);
  return stopped;
}

/** What was loaded, and the schema the requests were decoded with. */
export function describeLoaded(mock: MockServer, options: Pick<MockOptions, 'db' | 'protoPaths' | 'filter'>): string[] {
  const { execKeys, execExchanges, sessions, otherAnswers, skipped } = mock.loaded;
  const protos = options.protoPaths ?? [];
  return [
    `loaded ${options.db}${options.filter ? ` (filter ${options.filter})` : ''}: ${execKeys} /exec keys from ${execExchanges} exchanges, ` +
      `${sessions} WebSocket ${sessions === 1 ? 'session' : 'sessions'}, ${otherAnswers} answers for other paths` +
      (skipped ? `; ${skipped} exchanges skipped (no complete answer recorded)` : ''),
    protos.length > 0
      ? `schema: the bundled ca2 envelope with ${protos.join(', ')}`
      : mock.loaded.keptSchema
        ? `schema: the one ${options.db} was recorded with`
        : 'schema: the bundled ca2 envelope only (service fields by number; pass --proto to match and --ignore by name)',
  ];
}

function parseOptions(argv: string[]) {
  return parseCommandArgs('mock', argv, {
    db: { type: 'string' },
    filter: { type: 'string' },
    listen: { type: 'string' },
    proto: { type: 'string', multiple: true },
    ...mockOptionSpecs,
    'max-body': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }).values;
}
