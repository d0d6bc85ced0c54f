// The Paused panel and breakpoints without the DOM (inspector/ui/model/pauses-panel.ts):
// the paused list read against the live events, the countdown, the Answer draft, the
// abort a form describes and the breakpoints' names and filters.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PausedView } from '../../model/pauses.ts';
import { parseFilter } from '../../model/filter.ts';
import { resumedText } from '../../model/pauses.ts';
import { abortKinds, abortOf, answerDraft, breakpointRule, callMatch, countdown, mergePaused, pausedMessage, withoutPaused, withPaused, withWaiting } from '../../inspector/ui/model/pauses-panel.ts';
import { parseEdited } from '../../inspector/ui/model/replay.ts';

const paused = (id: number): PausedView => ({
  id, exchangeId: id + 10, at: '2026-12-06T10:00:00.000Z', point: 'response', rule: 'r', deadline: '2026-12-06T10:01:00.000Z', call: 'billing.balance',
  message: { json: { trx: 'AAEC' }, base64: '' },
});

describe('the paused list', () => {
  it('reads GET /api/paused against what the live events said while it was asked for', () => {
    const since = { paused: new Map([[4, paused(4)]]), resumed: new Set([2]) };
    assert.deepEqual(mergePaused([paused(3), paused(1), paused(2)], since).map((p) => p.id), [1, 3, 4], 'oldest first, #2 gone on, #4 paused since');
  });

  it('adds a pause once and takes one away', () => {
    const list = withPaused(withPaused([paused(2)], paused(1)), paused(2));
    assert.deepEqual(list.map((p) => p.id), [1, 2]);
    assert.deepEqual(withoutPaused(list, 1).map((p) => p.id), [2]);
    assert.deepEqual(withWaiting(list, { id: 2, waiting: 5 }).map((p) => p.waiting ?? 0), [0, 5], 'a waiting count updates its pause only');
  });

  it('counts down to the deadline, or says a pause waits', () => {
    const at = Date.parse('2026-12-06T10:00:00.000Z');
    assert.equal(countdown('2026-12-06T10:01:00.000Z', at + 17_400), 'continues by itself in 43 s');
    assert.equal(countdown('2026-12-06T10:05:00.000Z', at), 'continues by itself in 5 min 0 s');
    assert.equal(countdown('2026-12-06T10:01:00.000Z', at + 60_000), 'continuing unchanged…');
    assert.equal(countdown(null, at), 'waits until decided');
  });

  it('says how a decision ended', () => {
    assert.equal(resumedText({ id: 12, how: 'continued', changed: 1 }), '#12 continued with 1 field changed');
    assert.equal(resumedText({ id: 12, how: 'continued', changed: 0 }), '#12 continued unchanged');
    assert.equal(resumedText({ id: 3, how: 'answered' }), '#3 answered without going upstream');
    assert.equal(resumedText({ id: 3, how: 'aborted', abort: { status: 503 } }), '#3 aborted: answered with status 503');
    assert.equal(resumedText({ id: 4, how: 'gone' }), '#4 ended: its client or connection went away while it was paused, so nothing went on');
  });
});

describe('deciding a paused message', () => {
  it('starts an Answer from an empty ServerResponse with the trx echoed', () => {
    assert.deepEqual(JSON.parse(answerDraft({ trx: 'AAEC', billing: { balance: {} } })), { trx: 'AAEC' });
    assert.deepEqual(JSON.parse(answerDraft(null)), {});
    assert.deepEqual(parseEdited('[]', 'answer', 'ServerResponse'), { ok: false, error: 'The answer must be a JSON object: the decoded ServerResponse.' });
  });

  it('names what the paused message decodes as, a frame by its sender', () => {
    assert.deepEqual(pausedMessage('request'), { noun: 'request', decoded: 'ClientRequest' });
    assert.deepEqual(pausedMessage('response'), { noun: 'response', decoded: 'ServerResponse' });
    assert.deepEqual(pausedMessage('ws:client'), { noun: 'frame', decoded: 'WsAuth' });
    assert.deepEqual(pausedMessage('ws:server'), { noun: 'frame', decoded: 'WsEvent' });
  });

  it('offers the aborts each point has, and sends what the form says', () => {
    assert.deepEqual(abortKinds('request').map((k) => k.kind), ['reset', 'timeout', 'status']);
    assert.deepEqual(abortKinds('ws:server').map((k) => k.kind), ['reset', 'close']);
    const form = { status: '503', code: '4001', reason: 'stop' };
    assert.deepEqual(abortOf('reset', form), { reset: true });
    assert.deepEqual(abortOf('timeout', form), { timeout: true });
    assert.deepEqual(abortOf('status', form), { status: 503 });
    assert.deepEqual(abortOf('close', form), { close: 4001, reason: 'stop' });
    assert.deepEqual(abortOf('close', { ...form, reason: '' }), { close: 4001 });
  });
});

describe('breakpoints armed from the inspector', () => {
  it('names the rule for what it does', () => {
    assert.deepEqual(breakpointRule(' service:auth  op:login ', 'request'), { name: 'break on service:auth op:login at request', at: 'request', match: 'service:auth op:login', break: true });
    assert.equal(breakpointRule('', 'ws:server').name, 'break on every message at ws:server');
  });

  it('breaks on the open call by its service and operation, in a filter that parses', () => {
    assert.equal(callMatch({ service: 'auth', operation: 'login' }), 'service:auth op:login');
    assert.equal(callMatch({ service: 'billing', operation: null }), 'service:billing');
    assert.equal(callMatch({ service: null, operation: null }), null);
    const odd = callMatch({ service: 'a b', operation: 'c"d' })!;
    assert.equal(odd, 'service:"a b" op:"c\\"d"');
    assert.doesNotThrow(() => parseFilter(odd));
  });
});
