// Traffic written into the tap ring as a proxy under load writes it, for the tests of the
// journal read in place: /exec calls of three services, two operations, three token
// subjects and one ServerError in five, a second apart from a fixed time; a long exchange
// whose start and end lie far apart; one still running at the end; a WebSocket begun among
// them, with frames between the calls until it closes; and frames of a WebSocket opened
// before, when given. With the
// bundled schema, operations are named by their field numbers (op:1, op:2).
//
// Some calls are near misses for a filter that tests the envelopes before replaying
// (storage/envelope-verdict.ts): a token only in a header, a token field sent twice, a
// token that is no JWT, none at all, errors under a content type that is not protobuf or
// one spelled otherwise, and an exchange the upstream never answered.

import type { HeaderList } from '../model/types.ts';
import type { TappedFlow } from '../proxy/tap.ts';
import type { RingWriter } from '../recorder/tap-ring.ts';
import { frame, ws } from './journal-run.ts';
import { lengthDelimited, utf8 } from './sample-traffic.ts';

/** When the first call starts; call n starts n seconds later. */
export const trafficStart = Date.UTC(2027, 0, 15, 8, 0, 0);

const services: [name: string, field: number][] = [['billing', 16], ['instances', 17], ['auth', 11]];
const subjects = ['ada@example.com', 'bob@example.com', 'cy@example.com'];

/** One filter of each structured kind, each selecting many of that traffic's calls. */
export const structuredFilters = ['service:billing', 'op:2', 'error:any', 'token:bob', 'since:2027-01-15T08:00:30'];

/** Filters of every kind over that traffic, the structured ones first, then their near misses. */
export const trafficFilters = [
  ...structuredFilters,
  'until:2027-01-15T08:00:30',
  'token:BOB@example',
  'token:eyJ',
  `token:${jwt(subjects[0]!)}`,
  'token:a',
  'error:SE_RATE_LIMIT_EXCEEDED_ERROR',
  'error:any -error:SE_RATE_LIMIT_EXCEEDED_ERROR',
  'error:66',
  'service:BILLING op:2',
  'kind:exec -error:any',
  'error:any or bob',
  '-(token:bob or -service:billing)',
  'service:billing -problem:any',
  'state:error',
  '',
  'kind:ws',
  'dir:server',
  'service:instances error:any',
  '-service:auth status:200',
  'bob',
  'field:token',
];


function jwt(sub: string): string {
  const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: 1_900_000_000 })}.c2lnbmF0dXJl`;
}

/** The token field(s) of call n: mostly a JWT of one of the subjects; near misses for some. */
function tokenFields(n: number): number[] {
  const token = (text: string) => lengthDelimited(2, utf8(text));
  switch (n) {
    case 25:
      // Sent twice: the last one is the message's.
      return [...token(jwt('ada@example.com')), ...token(jwt('bob@example.com'))];
    case 31:
      return token('bob-opaque-token');
    case 32:
      return [];
    default:
      return token(jwt(subjects[n % 3]!));
  }
}

/** /exec call n: its service, operation, token and errors follow from n. */
export function tappedExec(n: number): TappedFlow {
  const [, field] = services[n % 3]!;
  const trx = utf8(`trx-${n}`);
  const request = new Uint8Array([...lengthDelimited(1, trx), ...tokenFields(n), ...lengthDelimited(field, new Uint8Array([((1 + (n % 2)) << 3) | 2, 0]))]);
  // ServerResponse: trx, and SE_RATE_LIMIT_EXCEEDED_ERROR (8) as field 2.
  const response = new Uint8Array([...lengthDelimited(1, trx), ...(n % 5 === 0 ? [0x10, 8] : [])]);
  const startedAt = trafficStart + n * 1000 + 0.25;
  const requestHeaders: HeaderList = [['Content-Type', 'application/x-protobuf'], ['User-Agent', 'ca2-client/2.3']];
  // A token in a header only: token: tests the envelope's.
  if (n === 20) requestHeaders.push(['Authorization', `Bearer ${jwt('bob@example.com')}`]);
  // Errors under a content type that is not protobuf are no ServerResponse's; one spelled in capitals, or none with a body, is.
  const contentType: HeaderList = n === 15 ? [['Content-Type', 'text/plain']] : n === 30 ? [['CONTENT-TYPE', 'application/x-protobuf']] : n === 35 ? [] : [['Content-Type', 'application/x-protobuf']];
  return {
    id: n, source: 'live', kind: 'exec', startedAt, endedAt: startedAt + 3 + (n % 4), clientAddress: '127.0.0.1:4000',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: requestHeaders, body: request, size: request.length, truncated: false },
    // The upstream never answered one.
    response: n === 40 ? null : { status: n % 5 === 0 ? 200 : 200 + (n % 2), statusMessage: 'OK', headers: contentType, body: response, size: response.length, truncated: false },
    error: n === 40 ? { kind: 'upstream-unreachable', message: 'upstream 127.0.0.1:9 refused the connection' } : null,
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
