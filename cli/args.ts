// How every command reads its arguments, so that all of them take `--name value` and
// `--name=value` alike and word their mistakes the same way. node:util's parseArgs
// would do the splitting, but its messages ("Option '--filter <value>' argument
// missing") are not ours to word, and it takes `--filter --json` as a filter.

import { UserError } from '../model/user-error.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Collect every occurrence into an array (for --proto and the like). */
  multiple?: boolean;
  /** A one-letter alias, without the dash: 'h' for -h, 'o' for -o. */
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string;

export type ParsedOptions<S extends OptionSpecs> = { [K in keyof S]?: ValueOf<S[K]> };

export interface ParsedArgs<S extends OptionSpecs> {
  values: ParsedOptions<S>;
  positionals: string[];
}

/**
 * Parses `argv` for `ca2-inspector <command>`. Throws a UserError naming the option and
 * pointing at the command's --help. With `positionals: 0` (the default) any operand is a
 * mistake; `-` alone is an operand (standard input), and `--` ends the options.
 */
export function parseCommandArgs<S extends OptionSpecs>(
  command: string,
  argv: string[],
  specs: S,
  options: { positionals?: number } = {},
): ParsedArgs<S> {
  const seeHelp = `see 'ca2-inspector ${command} --help'`;
  const byShort = new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    const long = arg.startsWith('--');
    const eq = long ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = long ? flag.slice(2) : byShort.get(flag.slice(1));
    const spec = name === undefined ? undefined : specs[name];
    if (name === undefined || spec === undefined) throw new UserError(`unknown option ${flag}; ${seeHelp}.`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UserError(`${flag} takes no value; got "${arg.slice(eq + 1)}".`);
      values[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      // A value may start with a dash (a negative number, '-' for stdin), but not with
      // two: `--filter --json` is a forgotten filter, not a filter of "--json".
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') throw new UserError(`${flag} needs a value; ${seeHelp}.`);
    if (spec.multiple) ((values[name] ??= []) as string[]).push(value);
    else values[name] = value;
  }

  const allowed = options.positionals ?? 0;
  if (positionals.length > allowed) {
    const extra = positionals.slice(allowed);
    throw new UserError(
      allowed === 0
        ? `${command} takes no operand, got "${extra[0]}"; ${seeHelp}.`
        : `too many operands: ${extra.map((p) => `"${p}"`).join(', ')}; ${seeHelp}.`,
    );
  }
  return { values: values as ParsedOptions<S>, positionals };
}
