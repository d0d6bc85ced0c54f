// /ws on the demo server with the ws package as the client: the documented auth flow and the events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signJwt } from '../../demo/jwt.ts';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';
import { DEMO_JWT_SECRET } from '../../demo/sessions.ts';
import { userIdForEmail } from '../../demo/state.ts';
import { WS_CLOSE_BAD_TOKEN } from '../../demo/ws.ts';
import { exec, login, trx, WsProbe } from './support.ts';

describe('the demo /ws endpoint', { timeout: 30_000 }, () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemoServer({ eventDelayMs: 5, billingIntervalMs: 100, rateLimit: false });
  });
  after(() => server.close());

  test('a valid WsAuth gets an empty binary WsEvent at once', async () => {
    const probe = await WsProbe.open(server.url);
    probe.sendAuth(await login(server.url));
    const first = await probe.frame(0);
    assert.equal(first.binary, true);
    assert.equal(first.bytes.length, 0);
    probe.ws.close();
  });

  test('creating and deleting an instance sends instances events to every socket of that user only', async () => {
    const token = await login(server.url, 'events@example.org');
    const mine = await WsProbe.open(server.url);
    const theirs = await WsProbe.open(server.url);
    mine.sendAuth(token);
    theirs.sendAuth(await login(server.url, 'someone-else@example.org'));
    await mine.frame(0);
    await theirs.frame(0);

    const created = await exec(server.url, { trx: trx(), token, instances: { create: { name: 'ws-1' } } });
    const id = ((created.response.instances as { create: { instance: { id: string } } }).create.instance).id;
    const running = await mine.eventMatching((e) => e.instances?.updated_instances?.some((i) => i.id === id) ?? false);
    assert.equal(running.instances!.updated_instances![0].status, 'INSTANCE_STATUS_RUNNING');
    assert.equal(running.errors, undefined);

    await exec(server.url, { trx: trx(), token, instances: { delete: { id } } });
    const deleted = await mine.eventMatching((e) => e.instances?.updated_instances?.[0]?.status === 'INSTANCE_STATUS_DELETED');
    assert.equal(deleted.instances!.updated_instances![0].id, id);
    assert.ok(!theirs.events().some((e) => e.instances), 'another user hears nothing about these instances');
    mine.ws.close();
    theirs.ws.close();
  });

  test('a top-up and a domain check arrive as billing and domain_check events', async () => {
    const token = await login(server.url, 'billing@example.org');
    const probe = await WsProbe.open(server.url);
    probe.sendAuth(token);
    await probe.frame(0);
    await exec(server.url, { trx: trx(), token, billing: { top_up: { amount: 700 } } });
    const paid = await probe.eventMatching((e) => e.billing?.payments !== undefined);
    assert.deepEqual(
      paid.billing!.payments!.map((p) => [p.amount, p.status]),
      [[700, 'PAYMENT_STATUS_SUCCEEDED']],
    );
    assert.equal(paid.billing!.balances!.length, 1);
    await exec(server.url, { trx: trx(), token, domains: { check: { name: 'quiet-harbour.com' } } });
    const checked = await probe.eventMatching((e) => e.domain_check !== undefined);
    assert.equal(checked.domain_check!.name, 'quiet-harbour.com');
    assert.equal(checked.domain_check!.available, true);
    probe.ws.close();
  });

  test('a periodic billing event carries the balance', async () => {
    const probe = await WsProbe.open(server.url);
    probe.sendAuth(await login(server.url, 'ticks@example.org'));
    const tick = await probe.eventMatching((e) => e.billing?.balances !== undefined && e.billing.payments === undefined);
    assert.equal(tick.billing!.balances![0].currency, 'CURRENCY_USD');
    probe.ws.close();
  });

  test('frames from the client after WsAuth are ignored: the connection stays and events keep coming', async () => {
    const token = await login(server.url, 'chatty@example.org');
    const probe = await WsProbe.open(server.url);
    probe.sendAuth(token);
    await probe.frame(0);
    probe.sendAuth('not even a token');
    probe.ws.send('hello');
    await exec(server.url, { trx: trx(), token, instances: { create: { name: 'after-chatter' } } });
    await probe.eventMatching((e) => e.instances?.updated_instances?.[0]?.name === 'after-chatter');
    assert.ok(!probe.events().some((e) => e.errors), 'no error event');
    probe.ws.close();
  });

  const refusals: [string, () => string, string, RegExp][] = [
    ['an invalid token', () => 'garbage', 'SE_INVALID_TOKEN_ERROR', /not valid/],
    ['an empty token', () => '', 'SE_TOKEN_REQUIRED_ERROR', /no token/],
    [
      'an expired token',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return signJwt({ sub: userIdForEmail('demo@ca2.example'), iat: now - 20, exp: now - 10 }, DEMO_JWT_SECRET);
      },
      'SE_EXPIRED_TOKEN_ERROR',
      /expired/,
    ],
  ];
  for (const [what, token, error, reason] of refusals) {
    test(`${what} gets a WsEvent with ${error}, then the server closes with ${WS_CLOSE_BAD_TOKEN}`, async () => {
      const probe = await WsProbe.open(server.url);
      probe.sendAuth(token());
      const closed = await probe.closed;
      assert.deepEqual(probe.events(), [{ errors: [error] }]);
      assert.equal(closed.code, WS_CLOSE_BAD_TOKEN);
      assert.match(closed.reason, reason);
    });
  }

  test('a text frame instead of WsAuth gets an error event and close 1003', async () => {
    const probe = await WsProbe.open(server.url);
    probe.ws.send('token please');
    const closed = await probe.closed;
    assert.deepEqual(probe.events(), [{ errors: ['SE_UNKNOWN_ERROR'] }]);
    assert.equal(closed.code, 1003);
  });

  test('an upgrade on another path is refused with 404', async () => {
    const probe = WsProbe.open(server.url, '/not-ws');
    await assert.rejects(probe, /Unexpected server response: 404/);
  });

  test('closing the server ends open sockets with 1001', async () => {
    const own = await startDemoServer();
    const probe = await WsProbe.open(own.url);
    probe.sendAuth(await login(own.url));
    await probe.frame(0);
    await own.close();
    assert.equal((await probe.closed).code, 1001);
  });
});
