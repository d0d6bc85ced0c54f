import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExchangeSummary } from '../../model/types.ts';
import { TerminalPrinter, formatLine } from '../../recorder/printer.ts';

const base: ExchangeSummary = {
  id: 1, kind: 'exec', startedAt: '2026-11-27T20:48:15.123Z', durationMs: 12.4, method: 'POST', path: '/exec',
  status: 401, service: 'instances', operation: 'create', trx: 'abc', errors: ['SE_EXPIRED_TOKEN_ERROR'],
  requestSize: 310, responseSize: 2048, frames: 0, problems: [], state: 'complete', token: null, replayOf: null, rules: [],
};

test('prints time, call, status, duration, sizes and errors on one line', () => {
  assert.equal(formatLine(base), '20:48:15.123  exec  instances.create              401  12ms  310 B → 2.0 KB  SE_EXPIRED_TOKEN_ERROR');
});

test('marks a replay with the exchange it replays', () => {
  assert.equal(formatLine({ ...base, errors: [], status: 200, replayOf: 7 }), '20:48:15.123  exec  instances.create              200  12ms  310 B → 2.0 KB  replay of #7');
});

test('prints a WebSocket once when it opens and once when it closes, not for each update', () => {
  const lines: string[] = [];
  const printer = new TerminalPrinter((l) => lines.push(l));
  const ws: ExchangeSummary = { ...base, kind: 'ws', path: '/ws', method: 'GET', status: 101, errors: [], state: 'pending', durationMs: null };
  printer.exchange({ ...ws, status: null });
  printer.exchange(ws);
  printer.exchange({ ...ws, frames: 3 });
  printer.exchange({ ...ws, state: 'complete', frames: 4, durationMs: 900 });
  assert.equal(lines.length, 2);
  assert.match(lines[0], /\/ws open/);
  assert.match(lines[1], /\/ws closed, 4 frames/);
});

test('prints a closed WebSocket at the time it closed, with its duration, and counts one frame in the singular', () => {
  const ws: ExchangeSummary = { ...base, kind: 'ws', path: '/ws', method: 'GET', status: 101, errors: [], state: 'complete', durationMs: 2500, frames: 1 };
  assert.match(formatLine(ws), /^20:48:17\.623  ws    \/ws closed, 1 frame\s+101  2500ms/);
});

test('prints an exchange an earlier run left unfinished as interrupted, not closed', () => {
  const ws: ExchangeSummary = { ...base, kind: 'ws', path: '/ws', method: 'GET', status: 101, errors: [], state: 'interrupted', durationMs: null, frames: 2 };
  assert.match(formatLine(ws), /^20:48:15\.123  ws    \/ws interrupted, 2 frames\s+101  /);
  assert.match(formatLine({ ...base, status: null, errors: [], state: 'interrupted', durationMs: null }), /instances\.create\s+interrupted  310 B/);
});

test('prints the time of day of a far-future start, and dashes for a time no date can hold', () => {
  assert.match(formatLine({ ...base, startedAt: '+275760-09-13T00:00:00.000Z' }), /^00:00:00\.000  exec  /);
  assert.match(formatLine({ ...base, startedAt: 'not a time' }), /^--:--:--\.---  exec  /);
  const ws: ExchangeSummary = { ...base, kind: 'ws', path: '/ws', method: 'GET', status: 101, errors: [], state: 'complete', durationMs: 1e300, frames: 1 };
  assert.match(formatLine(ws), /^--:--:--\.---  ws    \/ws closed/);
});

test('prints a negative duration with its sign, and none for an infinite one', () => {
  assert.match(formatLine({ ...base, durationMs: -4.6 }), /  401  -5ms  310 B/);
  assert.match(formatLine({ ...base, durationMs: -Infinity }), /  401  310 B/);
  const ws: ExchangeSummary = { ...base, kind: 'ws', path: '/ws', method: 'GET', status: 101, errors: [], state: 'complete', durationMs: Infinity, frames: 1 };
  assert.match(formatLine(ws), /^20:48:15\.123  ws    \/ws closed, 1 frame\s+101  310 B/);
});
