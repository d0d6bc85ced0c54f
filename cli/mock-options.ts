// The options that say how the mock answers, taken alike by `mock` and `proxy --mock`: one
// spelling, one parser and one help text for both commands.

import type { MockOptions } from '../mock/server.ts';
import { parseIgnorePath } from '../model/ignore-path.ts';
import { UserError } from '../model/user-error.ts';
import type { ParsedOptions } from './args.ts';
import { parseUpstream } from './options.ts';

export const mockOptionSpecs = {
  ignore: { type: 'string', multiple: true },
  match: { type: 'string' },
  timing: { type: 'string' },
  unmatched: { type: 'string' },
} as const;

export type MockBehaviour = Required<Pick<MockOptions, 'ignore' | 'match' | 'timing'>> & Pick<MockOptions, 'forwardUnmatched'>;

/** What each option says, for the sentence refusing it without --mock. */
const PURPOSES: Record<keyof typeof mockOptionSpecs, string> = {
  ignore: 'which request fields the mock leaves out of matching',
  match: 'what the mock answers a request with when its recording has no exact match',
  timing: 'when the mock plays recorded WebSocket frames',
  unmatched: 'what the mock does with a request its recording lacks',
};

export const mockOptionsHelp = `  --ignore PATH          a request field left out of matching, e.g. utils.ping.client_time_ms
                         (* for any key or index); repeat for more
  --match exact|closest  closest: a request with no exact match gets the recorded answer of the
                         same service.operation with the fewest differing fields (default exact)
  --timing recorded|none WebSocket frames at their recorded gaps, or at once (default recorded)
  --unmatched error|forward:URL
                         answer an unmatched /exec with SE_INTERNAL_SERVER_ERROR (default), or
                         send it to the server at URL
`;

export function parseMockBehaviour(values: ParsedOptions<typeof mockOptionSpecs>): MockBehaviour {
  for (const path of values.ignore ?? []) {
    if (parseIgnorePath(path).length === 0) throw new UserError(`--ignore takes a field path like utils.ping.client_time_ms; got "${path}".`);
  }
  return {
    ignore: values.ignore ?? [],
    match: oneOf(values.match ?? 'exact', ['exact', 'closest'], '--match'),
    timing: oneOf(values.timing ?? 'recorded', ['recorded', 'none'], '--timing'),
    forwardUnmatched: parseUnmatched(values.unmatched ?? 'error'),
  };
}

/** For a command where these options need --mock: refuses one given without it. */
export function refuseWithoutMock(values: ParsedOptions<typeof mockOptionSpecs>): void {
  for (const name of Object.keys(PURPOSES) as (keyof typeof PURPOSES)[]) {
    if (values[name] !== undefined) throw new UserError(`--${name} goes with --mock FILE: it says ${PURPOSES[name]}.`);
  }
}

function oneOf<const T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UserError(`${flag} takes ${allowed.join(' or ')}; got "${value}".`);
  return value as T;
}

/** --unmatched: undefined for error, the server to forward to for forward:URL. */
function parseUnmatched(value: string): URL | undefined {
  if (value === 'error') return undefined;
  if (!value.startsWith('forward:')) throw new UserError(`--unmatched takes error or forward:URL (like forward:https://api.example.com); got "${value}".`);
  try {
    return parseUpstream(value.slice('forward:'.length));
  } catch {
    throw new UserError(`--unmatched forward:URL needs an http:// or https:// URL; got "${value}".`);
  }
}
