import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxFilterDepth, maxFilterTerms, parseFilter, searchTokens, type FilterNode } from '../../model/filter.ts';
import { FilterError } from '../../model/filter-error.ts';
import { filterKeys } from '../../model/filter-keys.ts';
import { fullErrorName, serverErrorNames, shortErrorName } from '../../model/server-errors.ts';

function parseError(source: string): FilterError {
  try {
    parseFilter(source);
  } catch (err) {
    assert.ok(err instanceof FilterError, `expected a FilterError, got ${String(err)}`);
    return err;
  }
  assert.fail(`"${source}" parsed without an error`);
}

const service = (value: string): FilterNode => ({ type: 'field', field: 'service', value });
const kind = (value: 'exec' | 'ws' | 'http'): FilterNode => ({ type: 'kind', value });

describe('filter grammar', () => {
  it('gives null for an empty or blank filter', () => {
    assert.equal(parseFilter(''), null);
    assert.equal(parseFilter('   \t'), null);
  });

  it('joins terms separated by spaces with and', () => {
    assert.deepEqual(parseFilter('service:auth kind:exec'), { type: 'and', items: [service('auth'), kind('exec')] });
  });

  it('accepts an explicit and', () => {
    assert.deepEqual(parseFilter('service:auth and kind:exec'), parseFilter('service:auth kind:exec'));
  });

  it('binds and tighter than or', () => {
    assert.deepEqual(parseFilter('kind:ws or service:auth kind:exec'), {
      type: 'or',
      items: [kind('ws'), { type: 'and', items: [service('auth'), kind('exec')] }],
    });
  });

  it('groups with parentheses', () => {
    assert.deepEqual(parseFilter('(kind:ws or kind:http) service:auth'), {
      type: 'and',
      items: [{ type: 'or', items: [kind('ws'), kind('http')] }, service('auth')],
    });
  });

  it('negates with not and with a leading minus', () => {
    const expected = { type: 'not', item: kind('ws') };
    assert.deepEqual(parseFilter('not kind:ws'), expected);
    assert.deepEqual(parseFilter('-kind:ws'), expected);
    assert.deepEqual(parseFilter('NOT kind:ws'), expected);
    assert.deepEqual(parseFilter('-(kind:ws)'), expected);
    assert.deepEqual(parseFilter('not not kind:ws'), { type: 'not', item: expected });
  });

  it('keeps a minus inside a word as part of the word', () => {
    assert.deepEqual(parseFilter('web-01'), { type: 'text', tokens: ['web', '01'], prefix: false });
  });

  it('reads keys case-insensitively and keeps values as typed', () => {
    assert.deepEqual(parseFilter('Service:Instances'), service('Instances'));
  });

  it('takes quoted values with spaces and escaped quotes', () => {
    assert.deepEqual(parseFilter('path:"/a b"'), { type: 'field', field: 'path', value: '/a b' });
    assert.deepEqual(parseFilter('problem:"say \\"hi\\""'), { type: 'problem', text: 'say "hi"' });
  });

  it('reads service, op, trx, path and token values', () => {
    assert.deepEqual(parseFilter('op:create'), { type: 'field', field: 'op', value: 'create' });
    assert.deepEqual(parseFilter('trx:3f2a'), { type: 'field', field: 'trx', value: '3f2a' });
    assert.deepEqual(parseFilter('path:/exec'), { type: 'field', field: 'path', value: '/exec' });
    assert.deepEqual(parseFilter('token:alice@example.com'), { type: 'token', value: 'alice@example.com' });
  });

  it('reads kind and dir values and rejects others', () => {
    assert.deepEqual(parseFilter('kind:WS'), kind('ws'));
    assert.deepEqual(parseFilter('dir:server'), { type: 'dir', value: 'server' });
    assert.equal(parseError('kind:grpc').message, 'at 5: expected exec, ws or http after "kind:"');
    assert.equal(parseError('dir:up').message, 'at 4: expected client or server after "dir:"');
  });

  it('reads exchange states and rejects others', () => {
    assert.deepEqual(parseFilter('state:Interrupted'), { type: 'state', value: 'interrupted' });
    assert.deepEqual(parseFilter('state:pending'), { type: 'state', value: 'pending' });
    assert.equal(parseError('state:done').message, 'at 6: expected complete, pending, error, aborted, interrupted after "state:"');
  });

  it('reads error names in full, short form, any and numbers', () => {
    assert.deepEqual(parseFilter('error:any'), { type: 'error', name: null });
    assert.deepEqual(parseFilter('error:expired_token'), { type: 'error', name: 'SE_EXPIRED_TOKEN_ERROR' });
    assert.deepEqual(parseFilter('error:SE_EXPIRED_TOKEN_ERROR'), { type: 'error', name: 'SE_EXPIRED_TOKEN_ERROR' });
    assert.deepEqual(parseFilter('error:12'), { type: 'error', name: '12' });
    assert.deepEqual(parseFilter('error:Rate_Limit_Exceeded'), { type: 'error', name: 'SE_RATE_LIMIT_EXCEEDED_ERROR' });
  });

  it('refuses an error name the API does not define, listing the names it accepts', () => {
    for (const value of ['bogus', 'SE_BOGUS_ERROR', 'no-such!', '"expired token"']) {
      const err = parseError(`kind:exec error:${value}`);
      assert.equal(err.position, 16, value);
      assert.match(err.expected, /^expected any or a ServerError after "error:", one of SE_UNKNOWN_ERROR, SE_TRX_REQUIRED_ERROR, /, value);
      for (const name of serverErrorNames) assert.ok(err.expected.includes(name), `${value}: ${name} is not listed`);
    }
  });

  it('converts between full and short error names', () => {
    assert.equal(shortErrorName('SE_RATE_LIMIT_EXCEEDED_ERROR'), 'rate_limit_exceeded');
    assert.equal(fullErrorName('rate_limit_exceeded'), 'SE_RATE_LIMIT_EXCEEDED_ERROR');
    assert.equal(fullErrorName('Expired_Token_Error'), 'SE_EXPIRED_TOKEN_ERROR');
    assert.equal(fullErrorName('expired'), null);
  });

  it('reads status codes, classes and comparisons', () => {
    assert.deepEqual(parseFilter('status:200'), { type: 'number', field: 'status', tests: [{ op: '=', value: 200 }] });
    assert.deepEqual(parseFilter('status:5xx'), {
      type: 'number',
      field: 'status',
      tests: [
        { op: '>=', value: 500 },
        { op: '<=', value: 599 },
      ],
    });
    assert.deepEqual(parseFilter('status:>=400'), { type: 'number', field: 'status', tests: [{ op: '>=', value: 400 }] });
    assert.deepEqual(parseFilter('status:<300'), { type: 'number', field: 'status', tests: [{ op: '<', value: 300 }] });
    assert.equal(parseError('status:abc').message, 'at 7: expected a status like 200, 5xx or >=400 after "status:"');
  });

  it('reads sizes in b, kb and mb', () => {
    assert.deepEqual(parseFilter('size:>10kb'), { type: 'number', field: 'size', tests: [{ op: '>', value: 10240 }] });
    assert.deepEqual(parseFilter('size:<=1.5MB'), { type: 'number', field: 'size', tests: [{ op: '<=', value: 1.5 * 1024 * 1024 }] });
    assert.deepEqual(parseFilter('size:512'), { type: 'number', field: 'size', tests: [{ op: '=', value: 512 }] });
    assert.match(parseError('size:>10gb').message, /^at 5: expected a size like/);
  });

  it('reads durations in ms and s', () => {
    assert.deepEqual(parseFilter('dur:>200ms'), { type: 'number', field: 'dur', tests: [{ op: '>', value: 200 }] });
    assert.deepEqual(parseFilter('dur:<1.5s'), { type: 'number', field: 'dur', tests: [{ op: '<', value: 1500 }] });
    assert.match(parseError('dur:fast').message, /^at 4: expected a duration like/);
  });

  it('reads relative and absolute times', () => {
    assert.deepEqual(parseFilter('since:10m'), { type: 'time', bound: 'since', agoMs: 600_000 });
    assert.deepEqual(parseFilter('until:2h'), { type: 'time', bound: 'until', agoMs: 7_200_000 });
    assert.deepEqual(parseFilter('since:1d'), { type: 'time', bound: 'since', agoMs: 86_400_000 });
    assert.deepEqual(parseFilter('since:2026-01-15T12:00:00Z'), { type: 'time', bound: 'since', at: Date.UTC(2026, 0, 15, 12) });
    assert.match(parseError('since:yesterday').message, /^at 6: expected a time like 2024-05-01T10:00/);
  });

  it('reads replay:any and replay:<id>, and refuses other values', () => {
    assert.deepEqual(parseFilter('replay:any'), { type: 'replay', of: null });
    assert.deepEqual(parseFilter('replay:12'), { type: 'replay', of: 12 });
    assert.throws(() => parseFilter('replay:twelve'), /at 7: expected any or an exchange id after "replay:"/);
  });

  it('reads problem:any and problem words', () => {
    assert.deepEqual(parseFilter('problem:any'), { type: 'problem', text: null });
    assert.deepEqual(parseFilter('problem:varint'), { type: 'problem', text: 'varint' });
    assert.deepEqual(parseFilter('problem:"any"'), { type: 'problem', text: 'any' });
  });

  it('splits bare words into search tokens, with a trailing * as a prefix', () => {
    assert.deepEqual(parseFilter('Création'), { type: 'text', tokens: ['creation'], prefix: false });
    assert.deepEqual(parseFilter('"hello world"'), { type: 'text', tokens: ['hello', 'world'], prefix: false });
    assert.deepEqual(parseFilter('inst*'), { type: 'text', tokens: ['inst'], prefix: true });
    assert.deepEqual(parseFilter('"web ser"*'), { type: 'text', tokens: ['web', 'ser'], prefix: true });
    assert.deepEqual(parseFilter('"a*"'), { type: 'text', tokens: ['a'], prefix: false });
    assert.deepEqual(parseFilter('SE_EXPIRED_TOKEN'), { type: 'text', tokens: ['se', 'expired', 'token'], prefix: false });
    assert.deepEqual(parseFilter('"or"'), { type: 'text', tokens: ['or'], prefix: false });
  });

  it('tokenizes like the full-text index: letters and digits, folded', () => {
    assert.deepEqual(searchTokens('Névé, web_01 {"a":1}'), ['neve', 'web', '01', 'a', '1']);
  });

  describe('errors name the position and what was expected', () => {
    const cases: [string, number, string][] = [
      ['status:', 7, 'expected a value after "status:"'],
      ['kind:ws service:', 16, 'expected a value after "service:"'],
      ['foo:bar', 0, 'unknown key "foo:"'],
      ['(kind:ws', 8, 'expected ")" to close the "(" at 0'],
      ['kind:ws)', 7, 'unexpected ")" without a matching "("'],
      ['()', 1, 'expected a term after "("'],
      ['kind:ws or', 10, 'expected a term after "or"'],
      ['or kind:ws', 0, 'expected a term before "or"'],
      ['kind:ws or or kind:http', 11, 'expected a term after "or"'],
      ['not', 3, 'expected a term after "not"'],
      ['kind:ws -', 9, 'expected a term after "-"'],
      ['and kind:ws', 0, 'expected a term before "and"'],
      ['path:"/a b', 5, 'expected a closing " for the quote opened here'],
      ['!!', 0, 'expected letters or digits to search for, found "!!"'],
      ['*', 0, 'expected letters or digits before "*"'],
    ];
    for (const [source, position, expected] of cases) {
      it(`${JSON.stringify(source)} → at ${position}: ${expected}`, () => {
        const err = parseError(source);
        assert.equal(err.position, position);
        assert.ok(err.message.startsWith(`at ${position}: ${expected}`), err.message);
      });
    }
  });

  it('refuses a filter longer than the limit', () => {
    assert.match(parseError('a '.repeat(6000)).message, /expected at most 10000 characters/);
  });

  it(`accepts ${maxFilterDepth} levels of parentheses and not, and refuses one more at its position`, () => {
    const nested = (levels: number) => '('.repeat(levels) + 'kind:ws' + ')'.repeat(levels);
    assert.deepEqual(parseFilter(nested(maxFilterDepth)), kind('ws'));
    assert.equal(parseError(nested(maxFilterDepth + 1)).message, 'at 64: the filter nests deeper than 64 levels');
    assert.equal(parseError('not '.repeat(maxFilterDepth + 1) + 'kind:ws').message, 'at 256: the filter nests deeper than 64 levels');
    assert.equal(parseError('-('.repeat(40) + 'kind:ws' + ')'.repeat(40)).position, 64);
  });

  it('refuses thousands of nested parentheses or nots with an error, not a stack overflow', () => {
    assert.equal(parseError('('.repeat(4999) + 'a' + ')'.repeat(4999)).position, 64);
    assert.equal(parseError('not '.repeat(2400) + 'a').position, 256);
    assert.equal(parseError('-'.repeat(9000) + 'a').position, 64);
  });

  it(`accepts ${maxFilterTerms} terms and refuses one more at its position`, () => {
    const terms = (n: number) => Array.from({ length: n }, () => 'kind:ws').join(' or ');
    assert.equal((parseFilter(terms(maxFilterTerms)) as { items: FilterNode[] }).items.length, maxFilterTerms);
    const err = parseError(terms(maxFilterTerms + 1));
    assert.equal(err.message, `at ${maxFilterTerms * 11}: the filter has more than 256 terms`);
  });

  it('lists every key with a description for autocomplete', () => {
    const keys = filterKeys.map((k) => k.key);
    for (const key of ['service', 'op', 'kind', 'state', 'error', 'status', 'trx', 'token', 'path', 'dir', 'since', 'until', 'size', 'dur', 'problem', 'replay']) {
      assert.ok(keys.includes(key), key);
    }
    for (const { key, values } of filterKeys) {
      for (const value of values ?? []) assert.doesNotThrow(() => parseFilter(`${key}:${value}`), `${key}:${value}`);
    }
    assert.ok(filterKeys.every((k) => k.description.length > 0));
    assert.deepEqual(filterKeys.find((k) => k.key === 'kind')?.values, ['exec', 'ws', 'http']);
    assert.ok(filterKeys.find((k) => k.key === 'error')?.values?.includes('expired_token'));
  });
});

describe('field: terms', () => {
  const decoded = (source: string, test: { op: string; value: string } | null = null) => parseFilter(`field:${source}${test ? test.op + test.value : ''}`);

  it('reads a path in the detail pane notation, with indexes and [*]', () => {
    assert.deepEqual(parseFilter('field:billing.balances[0].amount_minor'), {
      type: 'decoded',
      path: [{ key: 'billing' }, { key: 'balances' }, { index: 0 }, { key: 'amount_minor' }],
      source: 'billing.balances[0].amount_minor',
      test: null,
    });
    assert.deepEqual((parseFilter('field:instances.list.instances[*].ipv4[*]') as { path: unknown }).path, [
      { key: 'instances' },
      { key: 'list' },
      { key: 'instances' },
      { every: true },
      { key: 'ipv4' },
      { every: true },
    ]);
  });

  it('reads each operator with its value', () => {
    for (const op of ['=', '!=', '<', '>', '<=', '>=']) {
      assert.deepEqual((decoded('a.b', { op, value: '-12.5e3' }) as { test: unknown }).test, { op, value: '-12.5e3' }, op);
    }
    assert.deepEqual((parseFilter('field:errors[*]=SE_EXPIRED_TOKEN_ERROR') as { test: unknown }).test, { op: '=', value: 'SE_EXPIRED_TOKEN_ERROR' });
    assert.deepEqual((parseFilter('field:amount>9223372036854775806') as { test: unknown }).test, { op: '>', value: '9223372036854775806' });
  });

  it('takes a quoted value with spaces, quotes, operators and parentheses, and the empty text', () => {
    const test = (filter: string) => (parseFilter(filter) as { test: unknown }).test;
    assert.deepEqual(test('field:payment.description="top up (card)"'), { op: '=', value: 'top up (card)' });
    assert.deepEqual(test('field:a!="say \\"hi\\" a=b"'), { op: '!=', value: 'say "hi" a=b' });
    assert.deepEqual(test('field:trx=""'), { op: '=', value: '' });
    assert.deepEqual(parseFilter('kind:exec field:name="a b" or -field:x'), {
      type: 'or',
      items: [
        { type: 'and', items: [kind('exec'), { type: 'decoded', path: [{ key: 'name' }], source: 'name', test: { op: '=', value: 'a b' } }] },
        { type: 'not', item: { type: 'decoded', path: [{ key: 'x' }], source: 'x', test: null } },
      ],
    });
  });

  it('refuses a bad path at the position of the problem, naming it', () => {
    //                      0123456789012345
    assert.equal(parseError('kind:ws field:a..b').message, 'at 16: field path "a..b": expected a field name at 3');
    assert.equal(parseError('field:a[x].b').message, 'at 7: field path "a[x].b": "[x]" at 2 is not an index: use [0], [1], … or [*]');
    assert.equal(parseError('field:a[0').message, 'at 7: field path "a[0": "[" at 2 has no "]"');
    assert.equal(parseError('field:a-b=1').message, 'at 7: field path "a-b": expected "." or "[" at 2, found "-"');
    assert.equal(parseError('field:=1').position, 6);
    assert.match(parseError('field:=1').message, /is empty; name a field/);
  });

  it('refuses a missing value, a lone !, a quoted path and a comparison with no number, at their positions', () => {
    assert.equal(parseError('field:a=').message, 'at 8: expected a value after "=" (quote it to compare with the empty text: "")');
    assert.equal(parseError('field:a.b!x').message, 'at 9: expected "!=" after the field path; "!" alone is not an operator');
    assert.equal(parseError('field:"a b"=1').message, 'at 6: expected the field path unquoted, then =, !=, <, >, <= or >= and the value (quote only the value)');
    assert.equal(parseError('field:vcpus>=four').message, 'at 13: expected a number after ">=", as <, >, <= and >= compare numbers; got "four"');
    assert.equal(parseError('field:vcpus<"1 0"').position, 12);
    assert.equal(parseError('field:').message, 'at 6: expected a value after "field:"');
  });

  it('is listed for autocomplete and help with an example', () => {
    const help = filterKeys.find((k) => k.key === 'field');
    assert.ok(help);
    assert.match(help.description, /field:billing\.balance\.balances\[\*\]\.amount>1000/);
    const example = /\((field:[^)\s]+)\)$/.exec(help.description)![1];
    assert.equal(parseFilter(example)!.type, 'decoded');
  });
});
