// Rows written straight into a recording with the Store, for recordings the proxy would never
// make (a hand-edited or foreign capture) and for small ones made to measure.

import { encodeMessage } from '../../demo/schema.ts';
import type { HeaderList } from '../../model/types.ts';
import { flowHead, type HeadFields } from '../../support/flow-head.ts';
import type { Store } from '../../storage/store.ts';

const t0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/** The instances.create request every recorded /exec here is keyed by, told apart by `name`. */
export function createRequest(name: string): Uint8Array {
  return encodeMessage('ca2.ClientRequest', { trx: Buffer.from('t'), instances: { create: { name } } });
}

/** A complete /exec exchange answering createRequest(name) with an empty ServerResponse. */
export function execRecord(id: number, name: string, status: number, headers: HeaderList): HeadFields {
  const body = createRequest(name);
  const answer = encodeMessage('ca2.ServerResponse', { trx: Buffer.from('t') });
  return {
    id, kind: 'exec', startedAt: t0 + id * 10, endedAt: t0 + id * 10 + 1, method: 'POST', path: '/exec',
    status, service: null, operation: null, trx: null, errors: [], token: null,
    clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null, close: null,
    request: { headers: [], body, truncated: false, size: body.length },
    response: { headers, body: answer, truncated: false, size: answer.length },
  };
}

/** A WebSocket session for `token`: its WsAuth answered with an empty WsEvent, then `close` by the server (null: the client ended it). */
export function putSession(store: Store, id: number, token: string, close: { code: number; reason: string } | null): void {
  store.putExchange(flowHead({
    id, kind: 'ws', startedAt: t0 + id * 10, endedAt: t0 + id * 10 + 5, method: 'GET', path: '/ws',
    status: 101, service: null, operation: null, trx: null, errors: [], token: null,
    clientAddress: '127.0.0.1', state: 'complete', problems: [], error: null,
    close: close && { ...close, by: 'server', at: t0 + id * 10 + 5 },
    request: { headers: [], body: new Uint8Array(), truncated: false, size: 0 },
    response: { headers: [], body: new Uint8Array(), truncated: false, size: 0 },
  }));
  const auth = encodeMessage('ca2.WsAuth', { token });
  const event = encodeMessage('ca2.WsEvent', {});
  store.putFrame({ exchangeId: id, seq: 0, direction: 'client', at: t0 + id * 10 + 1, opcode: 2, size: auth.length, body: auth, truncated: false });
  store.putFrame({ exchangeId: id, seq: 1, direction: 'server', at: t0 + id * 10 + 2, opcode: 2, size: event.length, body: event, truncated: false });
}
