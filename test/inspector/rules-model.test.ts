// The inspector's rule logic without the DOM (inspector/ui/model/rule-changes.ts and
// rules-panel.ts): the versions a rule replaced and their differences, the frames' tags,
// and the Rules panel's list.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleView } from '../../model/rules.ts';
import type { DecodeResult, ExchangeDetail, JsonObject, WsFrame } from '../../model/types.ts';
import { breakpointText, changedByText, changeSummary, exchangeChanges, frameChange, frameRuleTag } from '../../inspector/ui/model/rule-changes.ts';
import { rulesCount, withRule } from '../../inspector/ui/model/rules-panel.ts';

const decoded = (json: JsonObject): DecodeResult => ({ json, summary: { errors: [] }, problems: [] });
const base64 = (text: string) => Buffer.from(text).toString('base64');

function detail(fields: Partial<ExchangeDetail> = {}): ExchangeDetail {
  return {
    id: 7, kind: 'exec', startedAt: '2026-12-06T10:00:00.000Z', durationMs: 4, method: 'POST', path: '/exec', status: 200,
    service: 'billing', operation: 'balance', trx: 't', errors: [], requestSize: 4, responseSize: 6, problems: [], state: 'complete',
    token: null, replayOf: null, rules: [], error: null, frames: [], close: null, original: null, editedAtBreakpoint: [],
    request: { headers: [], body: base64('req1'), decoded: decoded({ trx: 'dA==', billing: { balance: {} } }), truncated: false },
    response: { headers: [], body: base64('resp-2'), decoded: decoded({ trx: 'dA==', errors: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] }), truncated: false },
    ...fields,
  };
}

const frame = (fields: Partial<WsFrame> = {}): WsFrame => ({
  seq: 3, direction: 'server', at: '2026-12-06T10:00:01.000Z', opcode: 2, size: 2, body: base64('ev'), decoded: decoded({ billing: {} }), truncated: false, ...fields,
});

describe('what a rule changed on an exchange', () => {
  it('names the rules that changed it', () => {
    assert.equal(changedByText(['billing is rate limited']), 'changed by rule billing is rate limited');
    assert.equal(changedByText(['a', 'b']), 'changed by rules a, b');
  });

  it('has no versions to switch between when no rule replaced the request or the response', () => {
    assert.deepEqual(exchangeChanges(detail()), []);
    assert.deepEqual(exchangeChanges(detail({ rules: ['slow login'], original: { request: null, response: null } })), []);
  });

  it('pairs the response as the upstream answered it with what the client got, with the field differences and a changed status', () => {
    const upstream = { headers: [], body: base64('resp-1'), decoded: decoded({ trx: 'dA==', billing: { balance: { balances: [] } } }), truncated: false, status: 200 };
    const changes = exchangeChanges(detail({ rules: ['billing is rate limited'], status: 503, original: { request: null, response: upstream } }));
    assert.equal(changes.length, 1);
    const [response] = changes;
    assert.equal(response!.what, 'response');
    assert.deepEqual([response!.original.label, response!.current.label], ['as the upstream answered', 'as the client got it']);
    assert.equal(response!.original.body, upstream.body);
    assert.deepEqual(response!.diff, [
      { path: 'billing', change: 'removed', before: { balance: { balances: [] } }, after: null },
      { path: 'errors', change: 'added', before: null, after: ['SE_RATE_LIMIT_EXCEEDED_ERROR'] },
    ]);
    assert.deepEqual(response!.status, { before: 200, after: 503 });
    assert.equal(changeSummary(response!), '2 fields differ');
    assert.equal(response!.atBreakpoint, false);
    assert.equal(breakpointText(detail()), null);
  });

  it('marks what was edited at a breakpoint', () => {
    const upstream = { headers: [], body: base64('resp-1'), decoded: decoded({ trx: 'dA==' }), truncated: false, status: 200 };
    const paused = detail({ rules: ['break on balance'], original: { request: null, response: upstream }, editedAtBreakpoint: ['response'] });
    assert.deepEqual(exchangeChanges(paused).map((c) => [c.what, c.atBreakpoint]), [['response', true]]);
    assert.equal(breakpointText(paused), 'response edited at breakpoint');
    assert.equal(breakpointText(detail({ editedAtBreakpoint: ['request', 'response'] })), 'request and response edited at breakpoint');
  });

  it('pairs the request as the client sent it with what went upstream, the trx and a swapped token counted', () => {
    const sent = { headers: [], body: base64('req0'), decoded: decoded({ trx: 'AA==', token: 'a', billing: { balance: {} } }), truncated: false };
    const [request] = exchangeChanges(detail({ rules: ['r'], original: { request: sent, response: null } }));
    assert.equal(request!.what, 'request');
    assert.deepEqual([request!.original.label, request!.current.label], ['as sent by the client', 'as sent upstream']);
    assert.deepEqual(request!.diff.map((d) => `${d.path} ${d.change}`), ['trx changed', 'token removed']);
    assert.equal(request!.status, null);
    assert.equal(changeSummary({ ...request!, diff: request!.diff.slice(0, 1) }), '1 field differs');
  });

  it('says when the bytes differ but no field does, when a version does not decode, and when only the status changed', () => {
    const response = detail().response!;
    const sameFields = exchangeChanges(detail({ rules: ['r'], original: { request: null, response: { ...response, body: base64('other'), status: 200 } } }))[0]!;
    assert.equal(changeSummary(sameFields), 'other bytes, the same decoded fields');
    const undecodable = exchangeChanges(detail({ rules: ['r'], original: { request: null, response: { ...response, body: base64('x'), decoded: null, status: 200 } } }))[0]!;
    assert.equal(undecodable.undecoded, true);
    assert.equal(changeSummary(undecodable), 'other bytes; a version does not decode, so no fields to compare');
    const statusOnly = exchangeChanges(detail({ rules: ['r'], status: 503, original: { request: null, response: { ...response, status: 200 } } }))[0]!;
    assert.equal(changeSummary(statusOnly), 'the same body');
  });
});

describe('what a rule did to a frame', () => {
  it('tags dropped, injected and changed frames with the rule, and leaves others alone', () => {
    assert.equal(frameRuleTag(frame()), null);
    assert.equal(frameRuleTag(frame({ rule: 'pause', mark: 'breakpoint', original: { body: base64('ev0'), decoded: null } }))?.text, 'edited at breakpoint');
    assert.deepEqual(frameRuleTag(frame({ rule: 'no balances', mark: 'dropped' })), { text: 'dropped', title: 'dropped by rule no balances: recorded as sent, never relayed' });
    assert.deepEqual(frameRuleTag(frame({ rule: 'nudge', mark: 'injected' })), { text: 'injected', title: 'injected by rule nudge: sent by the proxy, not by the server' });
    assert.equal(frameRuleTag(frame({ rule: 'r', original: { body: base64('ev0'), decoded: null } }))!.text, 'changed');
  });

  it('pairs a changed frame as its sender sent it with what was relayed', () => {
    assert.equal(frameChange(frame()), null);
    const change = frameChange(frame({ direction: 'client', rule: 'r', original: { body: base64('ev0'), decoded: decoded({ token: 'old' }) }, decoded: decoded({ token: 'new' }) }))!;
    assert.deepEqual([change.original.label, change.current.label], ['as the client sent it', 'as relayed to the server']);
    assert.deepEqual(change.diff, [{ path: 'token', change: 'changed', before: 'old', after: 'new' }]);
  });
});

describe('the Rules panel list', () => {
  const list: RuleView[] = [
    { name: 'a', at: 'response', match: 'service:billing', enabled: true, hits: 4 },
    { name: 'b', at: 'ws:server', match: '', enabled: true, hits: 0 },
  ];

  it('takes a switched rule from the answer and keeps the others and the order', () => {
    const switched = withRule(list, { ...list[1]!, enabled: false });
    assert.deepEqual(switched.map((r) => [r.name, r.enabled]), [['a', true], ['b', false]]);
    assert.equal(switched[0], list[0]);
  });

  it('counts the rules switched on, and how many are loaded when some are off', () => {
    assert.equal(rulesCount(list), '2');
    assert.equal(rulesCount(withRule(list, { ...list[0]!, enabled: false })), '1/2');
  });
});
