// A recording of traffic that rules changed in flight, made through the real recorder from
// the calls the tap makes (proxy/tap.ts): exchanges carrying the rules that changed them and
// the versions those replaced, frames changed, dropped and injected. Some tokens sit only in
// what the client sent or the upstream answered, so redaction has to reach the originals.

import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import type { FlowRequest, FlowResponse } from '../../model/flow.ts';
import type { HeaderList } from '../../model/types.ts';
import { demoProtos, protocEncode } from './sample-recording.ts';

function jwt(claims: object, signature: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${signature}`;
}

export const ruledTokens = {
  /** ClientRequest.token the client sent; a rule sent ruleToken upstream instead. */
  client: 'client-sent-token-4b1d9e77',
  rule: 'rule-swapped-token-0a0a0a0a',
  /** The Authorization header of the request as the client sent it only. */
  bearer: 'client-bearer-9e8d7c6b',
  /** The login token the upstream answered, which a rule's error replaced. */
  upstreamJwt: jwt({ sub: 'usr_carol', exp: 1_900_000_000 }, 'dXBzdHJlYW0tc2lnbmF0dXJlLW9mLWNhcm9s'),
  /** Set-Cookie of the response as the upstream answered it only. */
  cookie: 'upstream-cookie-3c3c3c3c',
  /** The WsAuth token the client sent; a rule relayed WsAuth with ruleToken. */
  wsJwt: jwt({ sub: 'usr_dave', exp: 1_900_000_000 }, 'd3MtY2xpZW50LXNpZ25hdHVyZS1vZi1kYXZl'),
};

export const t0 = 1_800_000_200_000;

export const ruled = {
  /** servers.list as the client sent it, and as the rule "eu only" sent it upstream. */
  listSent: protocEncode('ca2.ClientRequest', `trx: "trx-list" token: "${ruledTokens.client}" servers { list { } }`),
  listUpstream: protocEncode('ca2.ClientRequest', `trx: "trx-list" token: "${ruledTokens.rule}" servers { list { region: "eu-west" } }`),
  listAnswer: protocEncode('ca2.ServerResponse', 'trx: "trx-list" servers { list { servers { id: "s1" name: "Small" regions: "eu-west" } } }'),
  login: protocEncode('ca2.ClientRequest', 'trx: "trx-login" auth { login { email: "carol@example.com" password: "demo" } }'),
  /** What the upstream answered the login, and what the rule "login fails" gave the client. */
  loginUpstream: protocEncode('ca2.ServerResponse', `trx: "trx-login" auth { login { token: "${ruledTokens.upstreamJwt}" expires_at_ms: 1900000000000 } }`),
  loginGot: protocEncode('ca2.ServerResponse', 'trx: "trx-login" errors: SE_RATE_LIMIT_EXCEEDED_ERROR'),
  authSent: protocEncode('ca2.WsAuth', `token: "${ruledTokens.wsJwt}"`),
  authRelayed: protocEncode('ca2.WsAuth', `token: "${ruledTokens.rule}"`),
  ready: new Uint8Array(0),
  eventUpstream: protocEncode('ca2.WsEvent', 'instances { updated_instances { id: "i1" name: "upstream-name" } }'),
  eventChanged: protocEncode('ca2.WsEvent', 'instances { updated_instances { id: "i1" name: "rule-name" } }'),
  eventDropped: protocEncode('ca2.WsEvent', 'billing { balances { amount: 100 } }'),
  eventInjected: protocEncode('ca2.WsEvent', 'errors: SE_INTERNAL_SERVER_ERROR'),
  textDropped: Buffer.from('client text a rule dropped'),
  textInjected: Buffer.from('client text a rule injected'),
};

const protobuf: HeaderList = [['Host', '127.0.0.1:8080'], ['Content-Type', 'application/x-protobuf']];

function request(body: Uint8Array, headers: HeaderList = protobuf, path = '/exec', method = 'POST'): FlowRequest {
  return { method, path, httpVersion: '1.1', headers, body, size: body.length, truncated: false };
}

function response(body: Uint8Array, headers: HeaderList = [['Content-Type', 'application/x-protobuf']], status = 200): FlowResponse {
  return { status, statusMessage: status === 101 ? 'Switching Protocols' : 'OK', headers, body, size: body.length, truncated: false };
}

/** Records the ruled traffic into a new store at `file` and closes it: two /exec calls, then a WebSocket. */
export function writeRuledRecording(file: string): void {
  const codec = createCodec({ protoPaths: [demoProtos] });
  const store = Store.open(file, { codec });
  const recorder = new Recorder(codec, store);
  const sentHeaders: HeaderList = [...protobuf, ['Authorization', `Bearer ${ruledTokens.bearer}`]];
  const execs: TappedFlow[] = [
    {
      id: 1, source: 'live', kind: 'exec', startedAt: t0, endedAt: t0 + 3.5, clientAddress: '127.0.0.1',
      request: request(ruled.listUpstream), response: response(ruled.listAnswer), error: null,
      rules: ['eu only'],
      original: { request: request(ruled.listSent, sentHeaders), response: null },
      // Paused by the rule and edited there.
      editedAtBreakpoint: ['request'],
    },
    {
      id: 2, source: 'live', kind: 'exec', startedAt: t0 + 1000, endedAt: t0 + 1004, clientAddress: '127.0.0.1',
      request: request(ruled.login), response: response(ruled.loginGot), error: null,
      rules: ['login fails'],
      original: {
        request: null,
        response: response(ruled.loginUpstream, [['Content-Type', 'application/x-protobuf'], ['Set-Cookie', `sid=${ruledTokens.cookie}; Path=/`]]),
      },
    },
  ];
  for (const flow of execs) {
    recorder.requestStarted(flow);
    recorder.exchangeEnded(flow);
  }

  const ws: TappedFlow = {
    id: 3, source: 'live', kind: 'ws', startedAt: t0 + 2000, endedAt: null, clientAddress: '127.0.0.1',
    request: request(new Uint8Array(0), [['Host', '127.0.0.1:8080'], ['Upgrade', 'websocket']], '/ws', 'GET'),
    response: response(new Uint8Array(0), [['Upgrade', 'websocket']], 101),
    error: null,
  };
  recorder.requestStarted(ws);
  recorder.exchangeEnded(ws);
  const at = (seq: number) => t0 + 2010 + seq;
  const frame = (seq: number, direction: 'client' | 'server', opcode: number, body: Uint8Array) =>
    ({ flowId: 3, seq, direction, at: at(seq), opcode, body, size: body.length, truncated: false }) as const;
  recorder.wsFrame({ ...frame(0, 'client', 2, ruled.authRelayed), rule: 'swap ws token', original: ruled.authSent });
  recorder.wsFrame(frame(1, 'server', 2, ruled.ready));
  recorder.wsFrame({ ...frame(2, 'server', 2, ruled.eventChanged), rule: 'rename', mark: 'breakpoint', original: ruled.eventUpstream });
  recorder.wsFrame({ ...frame(3, 'server', 2, ruled.eventDropped), rule: 'drop billing', mark: 'dropped' });
  recorder.wsFrame({ ...frame(4, 'server', 2, ruled.eventInjected), rule: 'inject error', mark: 'injected' });
  recorder.wsFrame({ ...frame(5, 'client', 1, ruled.textDropped), rule: 'mute client', mark: 'dropped' });
  recorder.wsFrame({ ...frame(6, 'client', 1, ruled.textInjected), rule: 'inject client', mark: 'injected' });
  recorder.wsClosed({ ...ws, endedAt: t0 + 2100 }, { flowId: 3, code: 1000, reason: 'bye', by: 'client', at: t0 + 2100 });
  recorder.stop();
  store.close();
}
