import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher, decodedSearchText, matches, needsMessages, summarySearchText, type MatchContext } from '../../model/filter-match.ts';
import { parseFilter } from '../../model/filter.ts';
import type { ExchangeSummary, JsonObject } from '../../model/types.ts';

const now = Date.parse('2026-01-15T12:00:00.000Z');

const exec: ExchangeSummary = {
  id: 1,
  kind: 'exec',
  startedAt: '2026-01-15T11:55:00.000Z',
  durationMs: 250,
  method: 'POST',
  path: '/exec',
  status: 200,
  service: 'instances',
  operation: 'create',
  trx: '3f2a9c1e-1111-4000-8000-000000000001',
  errors: ['SE_EXPIRED_TOKEN_ERROR'],
  requestSize: 6000,
  responseSize: 5000,
  frames: 0,
  problems: ['trx is not a UUID'],
  state: 'complete',
  token: { sub: 'alice@example.com', prefix: 'eyJhbGciOi', exp: 1, expired: true },
  replayOf: 12,
  rules: [],
};

const ws: ExchangeSummary = {
  ...exec,
  id: 2,
  kind: 'ws',
  startedAt: '2026-01-14T12:00:00.000Z',
  durationMs: null,
  method: 'GET',
  path: '/ws',
  status: 101,
  service: null,
  operation: null,
  trx: null,
  errors: [],
  requestSize: 100,
  responseSize: 0,
  frames: 3,
  problems: [],
  state: 'pending',
  token: null,
  replayOf: null,
};

function test(filter: string, summary: ExchangeSummary, context: MatchContext = {}): boolean {
  return matches(parseFilter(filter), summary, { now, ...context });
}

describe('in-memory filter evaluation', () => {
  it('passes everything with an empty filter', () => {
    assert.equal(test('', exec), true);
  });

  it('matches service and op exactly, ignoring ASCII case', () => {
    assert.equal(test('service:INSTANCES op:Create', exec), true);
    assert.equal(test('service:inst', exec), false);
    assert.equal(test('service:instances', ws), false);
  });

  it('matches kind', () => {
    assert.equal(test('kind:exec', exec), true);
    assert.equal(test('kind:ws', exec), false);
  });

  it('matches the exchange state', () => {
    assert.equal(test('state:complete', exec), true);
    assert.equal(test('state:pending', ws), true);
    assert.equal(test('state:interrupted', ws), false);
    assert.equal(test('state:interrupted', { ...ws, state: 'interrupted' }), true);
  });

  it('matches error names, short forms and any', () => {
    assert.equal(test('error:any', exec), true);
    assert.equal(test('error:any', ws), false);
    assert.equal(test('error:expired_token', exec), true);
    assert.equal(test('error:SE_EXPIRED_TOKEN_ERROR', exec), true);
    assert.equal(test('error:internal_server', exec), false);
  });

  it('compares status, and a missing status matches no comparison', () => {
    assert.equal(test('status:200', exec), true);
    assert.equal(test('status:2xx', exec), true);
    assert.equal(test('status:>=400', exec), false);
    assert.equal(test('status:<300', exec), true);
    assert.equal(test('status:200', { ...exec, status: null }), false);
    assert.equal(test('-status:200', { ...exec, status: null }), true);
  });

  it('matches trx by its start and path by what it contains', () => {
    assert.equal(test('trx:3F2A9C1E', exec), true);
    assert.equal(test('trx:1111', exec), false);
    assert.equal(test('trx:3f', ws), false);
    assert.equal(test('path:XEC', exec), true);
  });

  it('matches a token by subject, by the start of its prefix, and a whole pasted token', () => {
    assert.equal(test('token:alice@example.com', exec), true);
    // A subject matches by its first characters, as trx: does.
    assert.equal(test('token:alice', exec), true);
    assert.equal(test('token:ALI', exec), true);
    assert.equal(test('token:bob', exec), false);
    assert.equal(test('token:eyJhbG', exec), true);
    assert.equal(test('token:eyJhbGciOiJIUzI1NiJ9.payload.signature', exec), true);
    assert.equal(test('token:eyJ', ws), false);
  });

  it('compares request plus response size', () => {
    assert.equal(test('size:>10kb', exec), true);
    assert.equal(test('size:>11kb', exec), false);
    assert.equal(test('size:11000', exec), true);
  });

  it('compares duration, and a pending exchange has none', () => {
    assert.equal(test('dur:>200ms', exec), true);
    assert.equal(test('dur:<0.25s', exec), false);
    assert.equal(test('dur:<=0.25s', exec), true);
    assert.equal(test('dur:>0ms', ws), false);
  });

  it('compares start time against relative and absolute bounds', () => {
    assert.equal(test('since:10m', exec), true);
    assert.equal(test('since:1m', exec), false);
    assert.equal(test('until:1m', exec), true);
    assert.equal(test('since:2026-01-15T11:55:00Z', exec), true);
    assert.equal(test('since:2026-01-15T11:55:00.001Z', exec), false);
    assert.equal(test('until:2026-01-15T11:55:00Z', exec), true);
    assert.equal(test('since:1d', ws), true);
  });

  it('matches replay:any and the replays of one exchange', () => {
    assert.equal(test('replay:any', exec), true);
    assert.equal(test('replay:any', ws), false);
    assert.equal(test('replay:12', exec), true);
    assert.equal(test('replay:13', exec), false);
    assert.equal(test('-replay:any', ws), true);
  });

  it('matches problem:any and words in problem text', () => {
    assert.equal(test('problem:any', exec), true);
    assert.equal(test('problem:any', ws), false);
    assert.equal(test('problem:UUID', exec), true);
    assert.equal(test('problem:varint', exec), false);
  });

  it('matches dir by the frame directions given, or by having frames at all', () => {
    assert.equal(test('dir:client', ws, { frameDirections: new Set(['client']) }), true);
    assert.equal(test('dir:server', ws, { frameDirections: new Set(['client']) }), false);
    assert.equal(test('dir:server', ws), true);
    assert.equal(test('dir:client', exec), false);
  });

  it('searches bare words in the summary text fields as whole words', () => {
    assert.equal(test('alice', exec), true);
    assert.equal(test('expired', exec), true);
    assert.equal(test('expire', exec), false);
    assert.equal(test('expire*', exec), true);
    assert.equal(test('"expired token"', exec), true);
    assert.equal(test('"token expired"', exec), false);
    assert.equal(test('"expired tok"*', exec), true);
    assert.equal(test('"expired tok"', exec), false);
  });

  it('searches bare words in the decoded JSON text the caller passes', () => {
    const text = decodedSearchText({ json: { instances: { create: { name: 'Web server «Névé»', ok: true, n: null } } }, summary: { errors: [] }, problems: [] });
    assert.equal(test('neve', exec, { text: text! }), true);
    assert.equal(test('"web server"', exec, { text: [text!] }), true);
    assert.equal(test('"server neve"', exec, { text: text! }), true);
    assert.equal(test('true', exec, { text: text! }), true);
    assert.equal(test('neve', exec), false);
  });

  it('does not find a phrase spread over two separate texts', () => {
    assert.equal(test('"hello world"', ws, { text: ['hello', 'world'] }), false);
    assert.equal(test('"hello world"', ws, { text: ['hello world'] }), true);
  });

  it('combines terms with and, or, not and parentheses', () => {
    assert.equal(test('kind:exec kind:ws', exec), false);
    assert.equal(test('kind:exec or kind:ws', ws), true);
    assert.equal(test('-kind:ws (status:5xx or error:any)', exec), true);
    assert.equal(test('not (kind:exec or kind:http)', ws), true);
  });

  it('compiles once and tests many summaries', () => {
    const errorsOnly = compileMatcher('error:any');
    assert.deepEqual([exec, ws].filter((s) => errorsOnly(s)).map((s) => s.id), [1]);
  });

  it('builds the summary search text from the text fields', () => {
    const text = summarySearchText(exec);
    for (const part of ['POST', '/exec', 'instances', 'create', exec.trx!, 'SE_EXPIRED_TOKEN_ERROR', 'trx is not a UUID', 'alice@example.com', 'eyJhbGciOi']) {
      assert.ok(text.includes(part), part);
    }
  });
});

describe('field: terms in memory', () => {
  const request: JsonObject = { trx: 'AQID', token: 'eyJ', billing: { top_up: { amount: '9223372036854775807', currency: 'CURRENCY_EUR', card_token: 'tok 1' } } };
  const response: JsonObject = {
    errors: ['SE_UNKNOWN_ERROR', 'SE_RATE_LIMIT_EXCEEDED_ERROR'],
    instances: { list: { instances: [{ vcpus: 2, name: 'web', ready: true }, { vcpus: 8, name: 'db', ratio: 0.25 }] } },
  };
  const messages = [request, response];
  const field = (filter: string, context: MatchContext = { messages }) => test(filter, exec, context);

  it('is true when any message has the field set', () => {
    assert.equal(field('field:billing.top_up.currency'), true);
    assert.equal(field('field:instances.list.instances[1].name'), true);
    assert.equal(field('field:instances.list.instances[2].name'), false);
    assert.equal(field('field:billing.balance'), false);
  });

  it('compares = and != with the value as the decoded JSON writes it', () => {
    assert.equal(field('field:billing.top_up.currency=CURRENCY_EUR'), true);
    assert.equal(field('field:billing.top_up.currency=currency_eur'), false);
    assert.equal(field('field:billing.top_up.card_token="tok 1"'), true);
    assert.equal(field('field:trx=AQID'), true);
    assert.equal(field('field:instances.list.instances[0].vcpus=2.0'), true);
    assert.equal(field('field:instances.list.instances[0].ready=true'), true);
    assert.equal(field('field:billing.top_up.currency!=CURRENCY_EUR'), false);
    assert.equal(field('field:billing.top_up.currency!=CURRENCY_USD'), true);
  });

  it('passes [*] when any element passes, and != when any element differs', () => {
    assert.equal(field('field:errors[*]=SE_RATE_LIMIT_EXCEEDED_ERROR'), true);
    assert.equal(field('field:errors[0]=SE_RATE_LIMIT_EXCEEDED_ERROR'), false);
    assert.equal(field('field:errors[*]!=SE_UNKNOWN_ERROR'), true);
    assert.equal(field('field:instances.list.instances[*].vcpus>4'), true);
    assert.equal(field('field:instances.list.instances[*].vcpus>8'), false);
  });

  it('compares numbers, 64-bit integers written as strings exactly', () => {
    assert.equal(field('field:billing.top_up.amount>9223372036854775806'), true);
    assert.equal(field('field:billing.top_up.amount>=9223372036854775807'), true);
    assert.equal(field('field:billing.top_up.amount>9223372036854775807'), false);
    assert.equal(field('field:billing.top_up.amount<1e19'), true);
    assert.equal(field('field:instances.list.instances[*].ratio<=0.25'), true);
    assert.equal(field('field:instances.list.instances[*].ratio<0.25'), false);
    assert.equal(field('field:billing.top_up.currency>0'), false, 'an enum name is no number');
  });

  it('an unset field passes no test, so not field: differs from !=', () => {
    assert.equal(field('field:billing.balance!=x'), false);
    assert.equal(field('-field:billing.balance=x'), true);
    assert.equal(field('-field:billing.top_up'), false);
  });

  it('tests the message at hand alone, as an interception rule passes it', () => {
    assert.equal(field('field:errors', { messages: [request] }), false);
    assert.equal(field('field:errors', { messages: [response] }), true);
    assert.equal(field('field:errors service:instances', { messages: [response] }), true);
  });

  it('finds no field without messages, and says which filters need them', () => {
    assert.equal(field('field:errors', {}), false);
    assert.equal(field('-field:errors', {}), true);
    assert.equal(needsMessages(parseFilter('kind:exec (status:200 or not field:a)')), true);
    assert.equal(needsMessages(parseFilter('kind:exec (status:200 or not path:a)')), false);
    assert.equal(needsMessages(null), false);
  });
});
