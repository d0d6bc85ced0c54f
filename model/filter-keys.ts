// The filter language's keys: each with the sentence the filter bar's autocomplete and
// help show, and the values it offers.

import { serverErrorNames, shortErrorName } from './server-errors.ts';
import type { ExchangeState } from './types.ts';

export interface FilterKey {
  key: string;
  description: string;
  values?: string[];
}

export const exchangeStates: readonly ExchangeState[] = ['complete', 'pending', 'error', 'aborted', 'interrupted'];

/** Every key, for the filter bar's autocomplete and help. */
export const filterKeys: FilterKey[] = [
  { key: 'service', description: 'service called, e.g. service:instances' },
  { key: 'op', description: 'operation within the service, e.g. op:create' },
  { key: 'kind', description: 'exec (/exec calls), ws (WebSocket connections) or http (anything else)', values: ['exec', 'ws', 'http'] },
  {
    key: 'error',
    description: 'a ServerError in the response: full name, short form (expired_token) or any',
    values: ['any', ...serverErrorNames.map(shortErrorName)],
  },
  {
    key: 'state',
    description: 'complete, pending (still running), error, aborted (by the client) or interrupted (the proxy stopped first)',
    values: [...exchangeStates],
  },
  { key: 'status', description: 'HTTP status: 200, 5xx, >=400, <300', values: ['2xx', '4xx', '5xx', '>=400'] },
  { key: 'trx', description: 'transaction id, or its first characters' },
  { key: 'token', description: 'JWT subject or its first characters, or the first characters of the token' },
  { key: 'path', description: 'text contained in the request path' },
  { key: 'dir', description: 'WebSocket connections with frames sent by the client or the server', values: ['client', 'server'] },
  { key: 'since', description: 'started at or after a time: 10m, 2h, 1d ago, or 2024-05-01T10:00' },
  { key: 'until', description: 'started at or before a time: 10m, 2h, 1d ago, or 2024-05-01T10:00' },
  { key: 'size', description: 'request plus response bytes: >10kb, <512b, >=1.5mb' },
  { key: 'dur', description: 'duration: >200ms, <1s' },
  { key: 'problem', description: 'protocol-check problems: any, or a word in the problem text', values: ['any'] },
  { key: 'replay', description: 'replayed exchanges: any, or the replays of one exchange id (replay:12)', values: ['any'] },
  { key: 'rule', description: 'changed in flight by a rule: any, or the rule\'s name (rule:"billing is rate limited")', values: ['any'] },
  {
    key: 'field',
    description:
      'a field of the decoded messages is set (field:billing.top_up), or has a value: =, !=, and <, >, <=, >= for numbers (field:billing.balance.balances[*].amount>1000)',
  },
];

const keyNames = new Set(filterKeys.map((k) => k.key));

export function isFilterKey(key: string): boolean {
  return keyNames.has(key);
}
