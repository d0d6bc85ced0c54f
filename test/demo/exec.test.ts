// POST /exec on the demo server, with fetch as the client and protoc as an independent decoder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { signJwt, verifyJwt } from '../../demo/jwt.ts';
import type { Fields, Instance, ServerResponse } from '../../demo/messages.ts';
import { demoProtoDir, startDemoServer, type DemoServer } from '../../demo/server.ts';
import { DEMO_JWT_SECRET } from '../../demo/sessions.ts';
import { userIdForEmail } from '../../demo/state.ts';
import { encodeMessage } from '../../demo/schema.ts';
import { DEMO_LOGIN, exec, login, postBytes, trx } from './support.ts';

function op(response: ServerResponse, service: string, operation: string): Fields {
  const value = (response[service] as Fields | undefined)?.[operation];
  assert.ok(value, `the response carries ${service}.${operation}`);
  return value as Fields;
}

/** protoc's own reading of a ServerResponse body, in text format. */
function protocDecode(bytes: Uint8Array): string {
  const result = spawnSync('protoc', ['--decode', 'ca2.ServerResponse', '-I', demoProtoDir, join(demoProtoDir, 'ca2.proto')], { input: bytes });
  assert.equal(result.error, undefined, `protoc could not run (install protobuf-compiler): ${result.error?.message}`);
  assert.equal(result.status, 0, result.stderr.toString());
  return result.stdout.toString();
}

describe('the demo /exec endpoint', { timeout: 30_000 }, () => {
  let server: DemoServer;
  let token: string;
  before(async () => {
    server = await startDemoServer({ rateLimit: false, eventDelayMs: 5 });
    token = await login(server.url);
  });
  after(() => server.close());

  test('login answers 200 with the trx echoed and a JWT whose sub is the user id', async () => {
    const id = trx();
    const answer = await exec(server.url, { ...DEMO_LOGIN, trx: id });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('content-type'), 'application/x-protobuf');
    assert.deepEqual(answer.response.trx, id);
    assert.equal(answer.response.errors, undefined);
    const result = op(answer.response, 'auth', 'login');
    const claims = verifyJwt(result.token as string, DEMO_JWT_SECRET);
    assert.equal(claims?.sub, userIdForEmail('demo@ca2.example'));
    assert.ok(claims!.exp > claims!.iat);
    assert.equal(result.expires_at_ms, claims!.exp * 1000);
    assert.equal((result.user as Fields).email, 'demo@ca2.example');
  });

  test('protoc decodes a real response body to the same instances and errors', async () => {
    const listed = await exec(server.url, { trx: Buffer.from('trx-oracle-0001'), token, instances: { list: {} } });
    const text = protocDecode(listed.bytes);
    assert.match(text, /^trx: "trx-oracle-0001"$/m);
    assert.match(text, /name: "web-1"/);
    assert.match(text, /status: INSTANCE_STATUS_RUNNING/);
    assert.match(text, /labels \{\s+key: "env"\s+value: "production"\s+\}/);
    assert.match(text, /created_at_ms: \d{13}/);

    const refused = await exec(server.url, { trx: Buffer.from('trx-oracle-0002'), instances: { list: {} } });
    assert.equal(protocDecode(refused.bytes), 'trx: "trx-oracle-0002"\nerrors: SE_TOKEN_REQUIRED_ERROR\n');
  });

  test('a request without a trx, or with an empty one, gets SE_TRX_REQUIRED_ERROR with HTTP 200', async () => {
    for (const request of [{ token, utils: { ping: {} } }, { trx: new Uint8Array(0), token, utils: { ping: {} } }]) {
      const { status, response } = await exec(server.url, request);
      assert.equal(status, 200);
      assert.deepEqual(response.errors, ['SE_TRX_REQUIRED_ERROR']);
      assert.equal(response.trx, undefined);
    }
  });

  test('a trx longer than 64 bytes gets SE_INVALID_TRX_ERROR with HTTP 200, and is still echoed', async () => {
    const long = new Uint8Array(65).fill(7);
    const { status, response } = await exec(server.url, { trx: long, token, utils: { ping: {} } });
    assert.equal(status, 200);
    assert.deepEqual(response.errors, ['SE_INVALID_TRX_ERROR']);
    assert.deepEqual(response.trx, long);
  });

  test('every operation except login wants a token: SE_TOKEN_REQUIRED_ERROR with HTTP 200 without one', async () => {
    const operations = [
      { auth: { refresh: {} } }, { auth: { logout: {} } }, { billing: { balance: {} } }, { instances: { list: {} } },
      { referrals: { info: {} } }, { servers: { list: {} } }, { ssh: { list: {} } }, { users: { me: {} } },
      { utils: { ping: {} } }, { domains: { list: {} } },
    ];
    for (const operation of operations) {
      const id = trx();
      const { status, response } = await exec(server.url, { trx: id, ...operation });
      assert.equal(status, 200, JSON.stringify(operation));
      assert.deepEqual(response.errors, ['SE_TOKEN_REQUIRED_ERROR']);
      assert.deepEqual(response.trx, id);
    }
  });

  test('a token that is not the demo\'s gets SE_INVALID_TOKEN_ERROR with HTTP 200', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const foreign = signJwt({ sub: userIdForEmail('demo@ca2.example'), iat: future - 7200, exp: future }, 'someone else');
    for (const bad of ['garbage', foreign, `${token}x`]) {
      const { status, response } = await exec(server.url, { trx: trx(), token: bad, billing: { balance: {} } });
      assert.equal(status, 200);
      assert.deepEqual(response.errors, ['SE_INVALID_TOKEN_ERROR']);
    }
  });

  test('an expired JWT gets SE_EXPIRED_TOKEN_ERROR with HTTP 200', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = signJwt({ sub: userIdForEmail('demo@ca2.example'), iat: now - 7200, exp: now - 3600 }, DEMO_JWT_SECRET);
    const { status, response } = await exec(server.url, { trx: trx(), token: stale, instances: { list: {} } });
    assert.equal(status, 200);
    assert.deepEqual(response.errors, ['SE_EXPIRED_TOKEN_ERROR']);
  });

  test('creating an instance named "boom" fails with SE_INTERNAL_SERVER_ERROR with HTTP 200', async () => {
    const id = trx();
    const { status, response } = await exec(server.url, { trx: id, token, instances: { create: { name: 'boom' } } });
    assert.equal(status, 200);
    assert.deepEqual(response.errors, ['SE_INTERNAL_SERVER_ERROR']);
    assert.deepEqual(response.trx, id);
  });

  test('wrong credentials are a login answer without a token, not a ServerError', async () => {
    const { status, response } = await exec(server.url, { trx: trx(), auth: { login: { email: 'demo@ca2.example', password: 'nope' } } });
    assert.equal(status, 200);
    assert.equal(response.errors, undefined);
    assert.deepEqual(op(response, 'auth', 'login'), { error: 'LOGIN_ERROR_INVALID_CREDENTIALS' });
  });

  test('instances are created, listed, filtered, read and deleted in memory', async () => {
    const own = await login(server.url, 'instances@example.org');
    const call = (body: object) => exec(server.url, { trx: trx(), token: own, ...body }).then((a) => a.response);
    const created = op(await call({ instances: { create: { name: 'api-1', server_id: 's-1vcpu-1gb', labels: { env: 'test' } } } }), 'instances', 'create')
      .instance as Instance;
    assert.equal(created.name, 'api-1');
    assert.equal(created.status, 'INSTANCE_STATUS_PROVISIONING');
    assert.equal(created.price_per_hour, 1);

    const all = op(await call({ instances: { list: {} } }), 'instances', 'list');
    assert.deepEqual((all.instances as Instance[]).map((i) => i.name), ['web-1', 'api-1']);
    assert.equal(all.total, 2);
    const filtered = op(await call({ instances: { list: { label_selector: { env: 'test' } } } }), 'instances', 'list');
    assert.deepEqual((filtered.instances as Instance[]).map((i) => i.id), [created.id]);
    const paged = op(await call({ instances: { list: { page: { limit: 1 } } } }), 'instances', 'list');
    assert.equal(paged.next_cursor, '1');

    assert.equal((op(await call({ instances: { get: { id: created.id } } }), 'instances', 'get').instance as Instance).id, created.id);
    const deleting = op(await call({ instances: { delete: { id: created.id } } }), 'instances', 'delete').instance as Instance;
    assert.equal(deleting.status, 'INSTANCE_STATUS_DELETING');
    assert.deepEqual(op(await call({ instances: { delete: { id: 'ins_missing' } } }), 'instances', 'delete'), {});
  });

  test('billing gives the balance, pages of payments and pending top-ups', async () => {
    const call = (body: object) => exec(server.url, { trx: trx(), token, ...body }).then((a) => a.response);
    const balances = op(await call({ billing: { balance: {} } }), 'billing', 'balance').balances as Fields[];
    assert.equal(balances[0].currency, 'CURRENCY_USD');
    assert.equal(typeof balances[0].amount, 'number');
    const page = op(await call({ billing: { payments: { page: { limit: 1 } } } }), 'billing', 'payments');
    assert.equal((page.payments as Fields[]).length, 1);
    assert.equal(page.next_cursor, '1');
    const payment = op(await call({ billing: { top_up: { amount: 1500, currency: 'CURRENCY_USD' } } }), 'billing', 'top_up').payment as Fields;
    assert.equal(payment.status, 'PAYMENT_STATUS_PENDING');
    assert.equal(payment.amount, 1500);
  });

  test('the other services each answer their operations', async () => {
    const call = (body: object) => exec(server.url, { trx: trx(), token, ...body });
    const answers = {
      me: await call({ users: { me: {} } }),
      profile: await call({ users: { update_profile: { display_name: 'Ada', preferences: { theme: 'light' } } } }),
      servers: await call({ servers: { list: { region: 'nyc1' } } }),
      sshAdd: await call({ ssh: { add: { name: 'ci', public_key: 'ssh-ed25519 AAAA ci' } } }),
      sshList: await call({ ssh: { list: {} } }),
      referrals: await call({ referrals: { info: {} } }),
      ping: await call({ utils: { ping: { client_time_ms: 42 } } }),
      version: await call({ utils: { version: {} } }),
      check: await call({ domains: { check: { name: 'fresh.com' } } }),
      register: await call({ domains: { register: { name: 'mine.dev', years: 2 } } }),
      domains: await call({ domains: { list: {} } }),
    };
    for (const [name, answer] of Object.entries(answers)) assert.equal(answer.status, 200, name);
    assert.equal((op(answers.me.response, 'users', 'me').user as Fields).email, 'demo@ca2.example');
    assert.equal((op(answers.profile.response, 'users', 'update_profile').user as Fields).display_name, 'Ada');
    assert.ok((op(answers.servers.response, 'servers', 'list').servers as Fields[]).length >= 3);
    assert.ok((op(answers.sshList.response, 'ssh', 'list').keys as Fields[]).some((k) => k.name === 'ci'));
    assert.match(op(answers.referrals.response, 'referrals', 'info').link as string, /^https:\/\//);
    assert.equal(op(answers.ping.response, 'utils', 'ping').client_time_ms, 42);
    assert.equal(op(answers.version.response, 'utils', 'version').version, '0.1.0-demo');
    assert.match(op(answers.check.response, 'domains', 'check').check_id as string, /^[0-9a-f-]{36}$/);
    assert.deepEqual((op(answers.domains.response, 'domains', 'list').domains as Fields[]).map((d) => d.name), ['mine.dev']);
  });

  test('refresh issues a new working token and logout makes the old one invalid', async () => {
    const own = await login(server.url);
    const refreshed = op((await exec(server.url, { trx: trx(), token: own, auth: { refresh: {} } })).response, 'auth', 'refresh').token as string;
    assert.notEqual(refreshed, own);
    const out = await exec(server.url, { trx: trx(), token: own, auth: { logout: {} } });
    assert.equal(out.status, 200);
    const after = await exec(server.url, { trx: trx(), token: own, users: { me: {} } });
    assert.equal(after.status, 200);
    assert.deepEqual(after.response.errors, ['SE_INVALID_TOKEN_ERROR']);
    assert.equal((await exec(server.url, { trx: trx(), token: refreshed, users: { me: {} } })).status, 200);
  });

  test('requests with no operation get SE_UNKNOWN_ERROR; bodies that are no ClientRequest also get 400, 413 or 415', async () => {
    const cases: [Uint8Array, string, number][] = [
      [new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf', 400],
      [encodeMessage('ca2.ClientRequest', { trx: trx(), token }), 'application/x-protobuf', 200],
      [encodeMessage('ca2.ClientRequest', { trx: trx(), token, billing: {} }), 'application/x-protobuf', 200],
      [encodeMessage('ca2.ClientRequest', { trx: trx(), token, utils: { ping: {} } }), 'application/json', 415],
      [new Uint8Array(1024 * 1024 + 1), 'application/x-protobuf', 413],
    ];
    for (const [body, contentType, expected] of cases) {
      const res = await postBytes(server.url, body, contentType);
      assert.equal(res.status, expected);
      const text = protocDecode(new Uint8Array(await res.arrayBuffer()));
      assert.match(text, /errors: SE_UNKNOWN_ERROR/);
    }
  });

  test('other methods on /exec get 405 with Allow: POST', async () => {
    const res = await fetch(new URL('/exec', server.url));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.match(await res.text(), /POST a ca2.ClientRequest/);
  });
});

describe('the demo rate limit', { timeout: 30_000 }, () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemoServer({ rateLimit: { requests: 3, windowMs: 60_000 } });
  });
  after(() => server.close());

  test('the call over the per-token limit gets SE_RATE_LIMIT_EXCEEDED_ERROR with HTTP 200 and Retry-After', async () => {
    const token = await login(server.url);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await exec(server.url, { trx: trx(), token, utils: { ping: {} } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    const limited = await exec(server.url, { trx: trx(), token, utils: { ping: {} } });
    assert.deepEqual(limited.response.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  });

  test('another token, and logging in, are not held back by one token\'s limit', async () => {
    const busy = await login(server.url);
    for (let i = 0; i < 5; i++) await exec(server.url, { trx: trx(), token: busy, utils: { ping: {} } });
    const fresh = await login(server.url);
    assert.equal((await exec(server.url, { trx: trx(), token: fresh, utils: { ping: {} } })).status, 200);
  });
});
