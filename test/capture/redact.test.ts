import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Flow } from '../../model/flow.ts';
import { wireFlow } from '../../support/flow-head.ts';
import { Redactor } from '../../capture/redact.ts';
import { encodeMessage } from '../../demo/schema.ts';
import { createCodec } from '../../proto/codec.ts';

function http(path: string, headers: [string, string][], body = ''): Flow {
  return wireFlow({
    kind: 'http', startedAt: 0, endedAt: 1,
    request: { method: 'GET', path, httpVersion: '1.1', headers, body: new Uint8Array(0), size: 0, truncated: false },
    response: {
      status: 200, statusMessage: 'OK', headers: [['Content-Length', String(Buffer.byteLength(body))], ['Set-Cookie', 'sid=set-cookie-secret-1; Path=/; Secure']],
      body: Buffer.from(body), size: Buffer.byteLength(body), truncated: false,
    },
  });
}

function redactAll(redactor: Redactor, exchanges: Flow[]): Flow[] {
  for (const e of exchanges) redactor.learn(e);
  return exchanges.map((e) => redactor.redact(e));
}

test('gives the same token the same placeholder across exchanges and places, and another export another one', () => {
  const exchanges = [
    http('/a?token=query-secret-1&x=1', [['Authorization', 'Bearer bearer-secret-1']]),
    http('/b', [['X-Echo', 'seen query-secret-1 here']], '{"t":"bearer-secret-1"}'),
  ];
  const first = redactAll(new Redactor(), exchanges);
  const placeholder = /token=(redacted-[0-9a-f]{16})&x=1$/.exec(first[0].request.path)![1];
  assert.equal(first[1].request.headers[0][1], `seen ${placeholder} here`);
  const bearer = first[0].request.headers[0][1].slice('Bearer '.length);
  assert.equal(Buffer.from(first[1].response!.body).toString(), `{"t":"${bearer}"}`);
  assert.equal(first[1].response!.headers[0][1], String(first[1].response!.body.length), 'Content-Length follows the body');
  assert.equal(first[1].response!.size, first[1].response!.body.length);
  const second = redactAll(new Redactor(), exchanges);
  assert.notEqual(second[0].request.path, first[0].request.path, 'placeholders are keyed per export, so they cannot be looked up');
});

test('keeps cookie names and Set-Cookie attributes, replacing values; short values are not searched elsewhere', () => {
  const [out] = redactAll(new Redactor(), [http('/', [['Cookie', 'session=cookie-secret-1; theme=dark']], 'dark mode')]);
  assert.match(out.request.headers[0][1], /^session=redacted-[0-9a-f]{16}; theme=redacted-[0-9a-f]{16}$/);
  assert.match(out.response!.headers[1][1], /^sid=redacted-[0-9a-f]{16}; Path=\/; Secure$/);
  assert.equal(Buffer.from(out.response!.body).toString(), 'dark mode', '"dark" is too short to hunt for in bodies');
});

test('reports how many tokens were replaced and where', () => {
  const redactor = new Redactor();
  redactAll(redactor, [http('/a?token=query-secret-1', [['Authorization', 'Bearer bearer-secret-1']])]);
  const report = redactor.report();
  assert.equal(report.tokens, 3);
  assert.deepEqual(Object.keys(report.fields).sort(), ['Authorization header', 'Set-Cookie header', 'token= query']);
  assert.deepEqual(redactor.originals().sort(), ['bearer-secret-1', 'query-secret-1', 'set-cookie-secret-1']);
});

function exec(request: Uint8Array, headers: [string, string][] = []): Flow {
  return wireFlow({
    kind: 'exec', startedAt: 0, endedAt: 1,
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers, body: request, size: request.length, truncated: false },
  });
}

function ws(reason: string, frames: Flow['frames'] = []): Flow {
  return wireFlow({
    kind: 'ws', startedAt: 0, endedAt: 1,
    request: { method: 'GET', path: '/ws', httpVersion: '1.1', headers: [], body: new Uint8Array(0), size: 0, truncated: false },
    response: { status: 101, statusMessage: '', headers: [], body: new Uint8Array(0), size: 0, truncated: false },
    frames,
    close: { code: 4000, reason, by: 'server', at: 1 },
  });
}

test('learns the token of a ClientRequest that breaks off after it, and replaces it there', () => {
  const token = 'broken-request-token-77';
  // trx "t", token, then a stray 0xFF: a truncated tag. protoc --decode_raw refuses it whole.
  const body = Buffer.concat([Buffer.from([0x0a, 0x01, 0x74, 0x12, token.length]), Buffer.from(token), Buffer.from([0xff])]);
  const redactor = new Redactor();
  const [out] = redactAll(redactor, [exec(body)]);
  assert.deepEqual(redactor.originals(), [token], 'the fail-closed check looks for it');
  const bytes = Buffer.from(out.request.body);
  assert.ok(!bytes.includes(token), bytes.toString('latin1'));
  assert.match(bytes.toString('latin1'), /^\n\x01t\x12\x19redacted-[0-9a-f]{16}\xff$/);
});

test('learns an Authorization credential however many spaces follow the scheme', () => {
  const token = 'two-spaces-token-42';
  const [first, second] = redactAll(new Redactor(), [
    http('/a', [['Authorization', `Bearer  ${token}`]]),
    http('/b', [['X-Echo', `was ${token}`]]),
  ]);
  const placeholder = first.request.headers[0][1].slice('Bearer  '.length);
  assert.match(placeholder, /^redacted-[0-9a-f]{16}$/);
  assert.equal(second.request.headers[0][1], `was ${placeholder}`);
});

test('keeps a close reason of 123 bytes within 123 bytes when it redacts a token in it', () => {
  const token = 'short-tok1';
  const reason = `${'r'.repeat(123 - token.length - 1)} ${token}`;
  assert.equal(Buffer.byteLength(reason), 123);
  const jwtReason = `expired ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.x`;
  const auth = new Uint8Array([0x12, token.length, ...Buffer.from(token)]);
  const [out, jwtOut] = redactAll(new Redactor(), [
    ws(reason, [{ seq: 0, direction: 'client', at: 0, opcode: 2, body: auth, size: auth.length, truncated: false }]),
    ws(jwtReason),
  ]);
  assert.equal(Buffer.byteLength(out.close!.reason), 123);
  assert.ok(!out.close!.reason.includes(token), out.close!.reason);
  assert.equal(jwtOut.close!.reason.length, jwtReason.length);
  assert.ok(!jwtOut.close!.reason.includes('.x'), jwtOut.close!.reason);
});

test("keeps a login answer's user id that is also its JWT's sub, since the claims stay readable; an opaque token beside it is learned", async () => {
  const { LeakCheck } = await import('../../capture/leak-check.ts');
  const userId = 'usr_48d15b16c3eb';
  const claims = Buffer.from(JSON.stringify({ sub: userId, exp: 2_000_000_000 })).toString('base64url');
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${claims}.c2lnbmF0dXJlLW9mLXRoZS1kZW1v`;
  const opaque = 'refresh7f3a9c2e41b8d0aa';
  const varint = (n: number) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
  const field = (n: number, value: Buffer | string) => Buffer.concat([Buffer.from([(n << 3) | 2, ...varint(Buffer.byteLength(value))]), Buffer.from(value)]);
  // ServerResponse { auth (11) { login (1) { user_id (1), token (2), refresh (3) } } }, no schema.
  const response = field(11, field(1, Buffer.concat([field(1, userId), field(2, jwt), field(3, opaque)])));
  const exchange = exec(Buffer.from([0x0a, 0x01, 0x74]));
  exchange.response = { status: 200, statusMessage: 'OK', headers: [], body: response, size: response.length, truncated: false };
  const redactor = new Redactor();
  const [out] = redactAll(redactor, [exchange]);
  assert.deepEqual(redactor.originals().sort(), [jwt, opaque].sort());
  const bytes = Buffer.from(out.response!.body).toString('latin1');
  assert.ok(bytes.includes(userId), 'the user id stays, as the sub it is');
  assert.ok(!bytes.includes(opaque) && !bytes.includes(jwt.split('.')[2]));
  assert.equal(new LeakCheck(redactor.originals()).find(out), null, 'the fail-closed check passes the export');
});

test('replaces a header that comes again in every exchange, and counts each replacement', () => {
  const redactor = new Redactor();
  const out = redactAll(redactor, [1, 2, 3].map((n) => http(`/${n}`, [['Authorization', 'Bearer bearer-secret-1'], ['X-Echo', 'seen bearer-secret-1']])));
  const placeholder = out[0].request.headers[0][1].slice('Bearer '.length);
  for (const exchange of out) assert.deepEqual(exchange.request.headers, [['Authorization', `Bearer ${placeholder}`], ['X-Echo', `seen ${placeholder}`]]);
  assert.equal(redactor.report().fields['Authorization header'], 3);
  assert.equal(redactor.report().fields['X-Echo header'], 3);
});

test('replaces a token learned as the export goes on in a header redacted before it was', () => {
  const jwt = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"late"}').toString('base64url')}.c2lnbmF0dXJl`;
  const header: [string, string] = ['X-Trace', Buffer.from(jwt).toString('base64')];
  const redactor = new Redactor();
  const [before] = redactAll(redactor, [http('/a', [header])]);
  assert.equal(before.request.headers[0][1], header[1], 'no exchange has shown the JWT yet');
  // The filter an export names is redacted with its exchanges: a JWT in it is learned there.
  redactor.redactString(`trx:${jwt}`, 'filter');
  const after = redactor.redact(http('/b', [header]));
  assert.notEqual(after.request.headers[0][1], header[1]);
  assert.ok(!Buffer.from(after.request.headers[0][1], 'base64').toString().includes('c2lnbmF0dXJl'));
});

test('learns every value a header takes across exchanges, not only its first', () => {
  const redactor = new Redactor();
  redactAll(redactor, ['bearer-secret-1', 'bearer-secret-1', 'bearer-secret-2'].map((token) => http('/', [['Authorization', `Bearer ${token}`]])));
  assert.deepEqual(redactor.originals().filter((t) => t.startsWith('bearer')).sort(), ['bearer-secret-1', 'bearer-secret-2']);
});

test('learns the values of fields and map keys the schema names for a credential, at any depth, and nothing else', () => {
  const codec = createCodec({ protoPaths: ['demo/protos'] });
  const token = 'envelope-token-0042aa';
  const trx = Buffer.alloc(16, 7);
  const topUp = exec(encodeMessage('ca2.ClientRequest', { trx, token, billing: { top_up: { amount: 5, card_token: 'card-token-in-request-77' } } }));
  const create = exec(encodeMessage('ca2.ClientRequest', { trx, token, instances: { create: { name: 'web-1', labels: { api_key: 'label-api-key-778899', env: 'staging-env-value' } } } }));
  const answer = encodeMessage('ca2.ServerResponse', { trx, instances: { create: { instance: { id: 'i-1', labels: { session: 'label-session-55aa66', team: 'platform-team-x' } } } } });
  create.response = { status: 200, statusMessage: 'OK', headers: [], body: answer, size: answer.length, truncated: false };
  const plain = encodeMessage('ca2.ServerResponse', { trx, instances: { create: { instance: { id: 'i-2', labels: { team: 'platform-team-y' } } } } });
  topUp.response = { status: 200, statusMessage: 'OK', headers: [], body: plain, size: plain.length, truncated: false };
  const redactor = new Redactor({ codec });
  redactAll(redactor, [topUp, create]);
  assert.deepEqual(redactor.originals().sort(), [token, 'card-token-in-request-77', 'label-api-key-778899', 'label-session-55aa66'].sort());
});
