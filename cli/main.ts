// Dispatches `ca2-inspector <command>`; each command lives in its own module. The exit
// status follows one rule for every command (README, "Exit status"): 0 done; 1 done, but
// the result is not clean (differences, problems), or a bug; 2 not done because of
// something the user can fix, which is every UserError; 130 a second Ctrl-C.
import { describeFailure } from './failure.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_NOT_CLEAN, EXIT_USER_ERROR } from './exit-status.ts';
import { toolVersion } from '../capture/tool-version.ts';

const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  decode: () => import('./decode.ts'),
  proxy: () => import('./proxy.ts'),
  list: () => import('./list.ts'),
  replay: () => import('./replay.ts'),
  export: () => import('./export.ts'),
  import: () => import('./import.ts'),
  open: () => import('./open.ts'),
  mock: () => import('./mock.ts'),
};

const usage = `usage: ca2-inspector <command> [options]

commands:
  proxy    forward a ca2 server, decode and record its traffic, serve the inspector
  decode   decode one ca2 message from a file or standard input
  list     print recorded exchanges, selected with the filter language
  replay   send recorded exchanges again and compare the answers field by field
  export   write selected exchanges as a HAR file or a capture, tokens redacted
  import   merge HAR files and captures into a recording
  open     serve the inspector over a capture or a recording, with no proxy
  mock     serve a recording as the ca2 server: /exec and /ws answered from what was recorded

Run 'ca2-inspector help <command>' (or '<command> --help') for a command's options,
'ca2-inspector --version' for the version.`;


async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`ca2-inspector ${toolVersion}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) [name, rest] = [rest[0], ['--help']];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage + '\n');
    return name ? 0 : EXIT_USER_ERROR;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`ca2-inspector: unknown command '${name}'; the commands are ${Object.keys(commands).join(', ')}.\n`);
    return EXIT_USER_ERROR;
  }
  try {
    return await (await load()).run(rest);
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`ca2-inspector ${name}: ${err.message}\n`);
      return EXIT_USER_ERROR;
    }
    process.stderr.write(`ca2-inspector ${name}: ${describeFailure(err)}\n`);
    return EXIT_NOT_CLEAN;
  }
}

process.exitCode = await main(process.argv.slice(2));
