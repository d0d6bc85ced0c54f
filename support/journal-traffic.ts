// Traffic written into the tap ring as a proxy under load writes it, for the tests of the
// journal read in place: /exec calls of three services, two operations, three token
// subjects and one ServerError in five, a second apart from a fixed time; a long exchange
// whose start and end lie far apart; one still running at the end; a WebSocket begun among
// them, with frames between the calls until it closes; and frames of a WebSocket opened
// before, when given. With the
// bundled schema, operations are named by their field numbers (op:1, op:2).

import type { TappedFlow } from '../proxy/tap.ts';
import type { RingWriter } from '../recorder/tap-ring.ts';
import { frame, ws } from './journal-run.ts';
import { lengthDelimited, utf8 } from './sample-traffic.ts';

/** When the first call starts; call n starts n seconds later. */
export const trafficStart = Date.UTC(2027, 0, 15, 8, 0, 0);

/** Filters of every kind over that traffic, the structured ones first. */
export const trafficFilters = [
  'service:billing',
  'op:2',
  'error:any',
  'token:bob',
  'since:2027-01-15T08:00:30',
  '',
  'kind:ws',
  'dir:server',
  'service:instances error:any',
  '-service:auth status:200',
  'bob',
  'field:token',
];

const services: [name: string, field: number][] = [['billing', 16], ['instances', 17], ['auth', 11]];
const subjects = ['ada@example.com', 'bob@example.com', 'cy@example.com'];

function jwt(sub: string): string {
  const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: 1_900_000_000 })}.c2lnbmF0dXJl`;
}

/** /exec call n: its service, operation, token and errors follow from n. */
export function tappedExec(n: number): TappedFlow {
  const [, field] = services[n % 3]!;
  const trx = utf8(`trx-${n}`);
  const request = new Uint8Array([...lengthDelimited(1, trx), ...lengthDelimited(2, utf8(jwt(subjects[n % 3]!))), ...lengthDelimited(field, new Uint8Array([((1 + (n % 2)) << 3) | 2, 0]))]);
  // ServerResponse: trx, and SE_RATE_LIMIT_EXCEEDED_ERROR (8) as field 2.
  const response = new Uint8Array([...lengthDelimited(1, trx), ...(n % 5 === 0 ? [0x10, 8] : [])]);
  const startedAt = trafficStart + n * 1000 + 0.25;
  return {
    id: n, source: 'live', kind: 'exec', startedAt, endedAt: startedAt + 3 + (n % 4), clientAddress: '127.0.0.1:4000',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [['Content-Type', 'application/x-protobuf'], ['User-Agent', 'ca2-client/2.3']], body: request, size: request.length, truncated: false },
    response: { status: n % 5 === 0 ? 200 : 200 + (n % 2), statusMessage: 'OK', headers: [['Content-Type', 'application/x-protobuf']], body: response, size: response.length, truncated: false },
    error: null,
  };
}

/** Writes `exchanges` calls and what goes between them; `openWebSocket`: the flow of a WebSocket already open, which gets frames too. */
export function journalTraffic(writer: RingWriter, options: { exchanges: number; openWebSocket?: number }): void {
  const { exchanges, openWebSocket } = options;
  const long = tappedExec(10_000);
  const socket = ws(2000);
  let socketSeq = 0;
  let openSeq = 1;
  for (let n = 1; n <= exchanges; n++) {
    if (n === 5) writer.requestStarted(long);
    writer.exchangeEnded(tappedExec(n), 'with');
    if (n === 9) writer.exchangeEnded(socket, 'with');
    if (n > 9 && n % 4 === 0 && n < exchanges - 2) writer.wsFrame(frame(2000, socketSeq++));
    if (openWebSocket !== undefined && n % 6 === 0) writer.wsFrame(frame(openWebSocket, openSeq++));
    if (n === exchanges - 3) writer.exchangeEnded({ ...long, endedAt: tappedExec(n).endedAt }, 'with');
    if (n === exchanges - 2) {
      const at = trafficStart + n * 1000 + 500;
      writer.wsClosed({ ...socket, endedAt: at }, { flowId: 2000, code: 1000, reason: 'bye', by: 'client', at });
    }
  }
  writer.requestStarted(tappedExec(10_001));
}
