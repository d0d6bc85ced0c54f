// A small recording made through the real recorder, with a token in every place redaction
// must find: ClientRequest.token, WsAuth.token, a JWT inside a response field, the
// Authorization and Cookie headers, Set-Cookie, `token=` queries and a JSON body.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

export const demoProtos = `${projectRoot}/demo/protos`;

export function protocEncode(type: string, text: string): Buffer {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], { cwd: projectRoot, input: text });
  if (out.error) throw new Error(`protoc is needed for this test: ${out.error.message}`);
  assert.equal(out.status, 0, String(out.stderr));
  return out.stdout;
}

function jwt(claims: object, signature: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${signature}`;
}

export const tokens = {
  jwt: jwt({ sub: 'usr_alice', iat: 1_800_000_000, exp: 1_800_003_600 }, 'c2lnbmF0dXJlLW9mLWFsaWNlLXRva2VuLWRvLW5vdC1sZWFr'),
  opaque: 'opaque-session-token-7f3a9c',
  bearer: 'bearer-credential-5521aa90',
  cookie: 'cookie-session-9911be77',
  setCookie: 'set-cookie-value-a1b2c3d4',
  query: 'query-token-0c0ffee0',
};

const t0 = 1_800_000_100_000;
const protobufHeaders: [string, string][] = [['Host', '127.0.0.1:8080'], ['Content-Type', 'application/x-protobuf']];

function exec(id: number, at: number, request: Buffer, response: Buffer, headers: [string, string][] = []): TappedFlow {
  return {
    id, source: 'live', kind: 'exec', startedAt: at, endedAt: at + 4.25, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [...protobufHeaders, ...headers], body: request, size: request.length, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: [['Content-Type', 'application/x-protobuf']], body: response, size: response.length, truncated: false },
    error: null,
  };
}

/** Records the sample into a new store at `file` and closes it. */
export function writeSampleRecording(file: string): void {
  const store = Store.open(file);
  const recorder = new Recorder(createCodec({ protoPaths: [demoProtos] }), store);
  const flows: TappedFlow[] = [
    exec(1, t0, protocEncode('ca2.ClientRequest', 'trx: "trx-login" auth { login { email: "alice@example.com" password: "demo" } }'),
      protocEncode('ca2.ServerResponse', `trx: "trx-login" auth { login { token: "${tokens.jwt}" expires_at_ms: 1800003600000 } }`)),
    exec(2, t0 + 1000, protocEncode('ca2.ClientRequest', `trx: "trx-me" token: "${tokens.jwt}" users { me { } }`),
      protocEncode('ca2.ServerResponse', 'trx: "trx-me"'),
      [['Authorization', `Bearer ${tokens.bearer}`], ['Cookie', `session=${tokens.cookie}; theme=dark`]]),
    exec(3, t0 + 2000, protocEncode('ca2.ClientRequest', `trx: "trx-opaque" token: "${tokens.opaque}" billing { balance { } }`),
      protocEncode('ca2.ServerResponse', 'trx: "trx-opaque" errors: SE_INVALID_TOKEN_ERROR')),
  ];
  for (const flow of flows) {
    recorder.requestStarted(flow);
    recorder.exchangeEnded(flow);
  }

  const health = `{"status":"ok","echo":"${tokens.jwt}"}`;
  const http: TappedFlow = {
    id: 4, source: 'live', kind: 'http', startedAt: t0 + 3000, endedAt: t0 + 3002, clientAddress: '127.0.0.1',
    request: { method: 'GET', path: `/health?token=${tokens.query}&x=1`, httpVersion: '1.1', headers: [['Host', '127.0.0.1:8080']], body: new Uint8Array(0), size: 0, truncated: false },
    response: {
      status: 200, statusMessage: 'OK',
      headers: [['Content-Type', 'application/json'], ['Set-Cookie', `sid=${tokens.setCookie}; Path=/; HttpOnly`]],
      body: Buffer.from(health), size: health.length, truncated: false,
    },
    error: null,
  };
  recorder.requestStarted(http);
  recorder.exchangeEnded(http);

  const auth = protocEncode('ca2.WsAuth', `token: "${tokens.jwt}"`);
  const ws: TappedFlow = {
    id: 5, source: 'live', kind: 'ws', startedAt: t0 + 4000, endedAt: null, clientAddress: '127.0.0.1',
    request: { method: 'GET', path: `/ws?token=${tokens.query}`, httpVersion: '1.1', headers: [['Host', '127.0.0.1:8080'], ['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
    response: { status: 101, statusMessage: 'Switching Protocols', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
    error: null,
  };
  recorder.requestStarted(ws);
  recorder.exchangeEnded(ws);
  const event = protocEncode('ca2.WsEvent', 'instances { }');
  const frames: [number, 'client' | 'server', number, Uint8Array][] = [
    [0, 'client', 2, auth],
    [1, 'server', 2, new Uint8Array(0)],
    [2, 'server', 2, event],
    [3, 'server', 1, Buffer.from(`hello ${tokens.opaque}`)],
  ];
  for (const [seq, direction, opcode, body] of frames) {
    recorder.wsFrame({ flowId: 5, seq, direction, at: t0 + 4010 + seq, opcode, body, size: body.length, truncated: false });
  }
  recorder.wsClosed({ ...ws, endedAt: t0 + 4100 }, { flowId: 5, code: 1000, reason: 'bye', by: 'client', at: t0 + 4100 });
  recorder.stop();
  store.close();
}
