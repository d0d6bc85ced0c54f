import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandArgs } from '../../cli/args.ts';

const specs = {
  db: { type: 'string' },
  proto: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

test('takes --name value, --name=value, short aliases, repeats and operands', () => {
  const { values, positionals } = parseCommandArgs('x', ['--db', 'a.sqlite', '--proto=p1', '--proto', 'p2', '-o', 'out.har', '--json', 'in.bin'], specs, { positionals: 1 });
  assert.deepEqual(values, { db: 'a.sqlite', proto: ['p1', 'p2'], output: 'out.har', json: true });
  assert.deepEqual(positionals, ['in.bin']);
});

test('treats - as an operand and everything after -- as operands', () => {
  assert.deepEqual(parseCommandArgs('x', ['-'], specs, { positionals: 1 }).positionals, ['-']);
  assert.deepEqual(parseCommandArgs('x', ['--', '--json'], specs, { positionals: 1 }).positionals, ['--json']);
});

test('words every mistake as a sentence naming the option and the help to read', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /^unknown option --bogus; see 'ca2-inspector x --help'\.$/],
    [['-z'], /^unknown option -z;/],
    [['--db'], /^--db needs a value; see 'ca2-inspector x --help'\.$/],
    [['--db', '--json'], /^--db needs a value;/],
    [['--db='], /^--db needs a value;/],
    [['--json=yes'], /^--json takes no value; got "yes"\.$/],
    [['stray'], /^x takes no operand, got "stray";/],
  ];
  for (const [argv, message] of cases) assert.throws(() => parseCommandArgs('x', argv, specs), { message }, argv.join(' '));
  assert.throws(() => parseCommandArgs('x', ['a', 'b'], specs, { positionals: 1 }), { message: /^too many operands: "b";/ });
});
