import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WsEventData } from '../../demo/messages.ts';
import { DemoState, userIdForEmail, type Account } from '../../demo/state.ts';

let state: DemoState;
afterEach(() => state.close());

function start(billingIntervalMs = 60_000): Account {
  state = new DemoState({ eventDelayMs: 5, billingIntervalMs });
  const account = state.login('ada@example.org', 'demo', Date.now());
  assert.ok(account);
  return account;
}

function nextEvent(match: (event: WsEventData) => boolean): Promise<{ userId: string; event: WsEventData }> {
  return new Promise((resolve) => {
    const stop = state.onEvent((userId, event) => {
      if (!match(event)) return;
      stop();
      resolve({ userId, event });
    });
  });
}

const spec = { name: 'api-1', serverId: 'c-4vcpu-8gb', region: 'ams3', image: '', sshKeyIds: [], labels: { env: 'test' } };

test('any email logs in with the demo password, always to the same seeded account', () => {
  const account = start();
  assert.equal(state.login('ada@example.org', 'wrong', Date.now()), null);
  assert.equal(state.login('ADA@example.org', 'demo', Date.now()), account);
  assert.equal(account.user.id, userIdForEmail('ada@example.org'));
  assert.equal(account.balance.amount, 2500);
  assert.deepEqual([...account.instances.values()].map((i) => [i.name, i.status]), [['web-1', 'INSTANCE_STATUS_RUNNING']]);
});

test('a new instance is provisioning at once and announced running, with addresses, a moment later', async () => {
  const account = start();
  const running = nextEvent((e) => e.instances?.updated_instances?.[0]?.status === 'INSTANCE_STATUS_RUNNING');
  const created = state.createInstance(account, spec, Date.now());
  assert.equal(created.status, 'INSTANCE_STATUS_PROVISIONING');
  assert.equal(created.vcpus, 4);
  assert.equal(created.region, 'ams3');
  const { userId, event } = await running;
  assert.equal(userId, account.user.id);
  const [instance] = event.instances!.updated_instances!;
  assert.equal(instance.id, created.id);
  assert.equal(instance.ipv4.length, 1);
});

test('a deleted instance is deleting at once, then announced deleted and gone from the account', async () => {
  const account = start();
  const [web] = account.instances.values();
  const deleted = nextEvent((e) => e.instances?.updated_instances?.[0]?.status === 'INSTANCE_STATUS_DELETED');
  assert.equal(state.deleteInstance(account, web.id, Date.now())?.status, 'INSTANCE_STATUS_DELETING');
  assert.equal((await deleted).event.instances!.updated_instances![0].id, web.id);
  assert.equal(account.instances.size, 0);
  assert.equal(state.deleteInstance(account, web.id, Date.now()), undefined);
});

test('a top-up settles a moment later with the new balance and the payment in one billing event', async () => {
  const account = start();
  const settled = nextEvent((e) => e.billing?.payments !== undefined);
  const payment = state.topUp(account, 1000, 'CURRENCY_USD', Date.now());
  assert.equal(payment.status, 'PAYMENT_STATUS_PENDING');
  const { event } = await settled;
  assert.equal(event.billing!.balances![0].amount, 3500);
  assert.deepEqual(event.billing!.payments!.map((p) => [p.id, p.status]), [[payment.id, 'PAYMENT_STATUS_SUCCEEDED']]);
  assert.equal(state.topUp(account, -5, 'CURRENCY_USD', Date.now()).status, 'PAYMENT_STATUS_FAILED');
});

test('every billing tick charges an hour of the running instances and announces the balance', async () => {
  start(20);
  const { event } = await nextEvent((e) => e.billing?.balances !== undefined);
  assert.equal(event.billing!.balances![0].amount, 2500 - 4);
});

test('a domain check answers by event; a registered domain becomes active and is then taken', async () => {
  const account = start();
  const answered = nextEvent((e) => e.domain_check !== undefined);
  const checkId = state.checkDomain(account, 'Fresh-Name.com');
  assert.deepEqual((await answered).event.domain_check, {
    check_id: checkId,
    name: 'fresh-name.com',
    available: true,
    price_per_year: 1200,
    currency: 'CURRENCY_USD',
  });
  const active = nextEvent((e) => e.domains !== undefined);
  assert.equal(state.registerDomain(account, 'fresh-name.com', 1, true, [], Date.now()).status, 'DOMAIN_STATUS_PENDING');
  assert.equal((await active).event.domains!.updated_domains![0].status, 'DOMAIN_STATUS_ACTIVE');
  const again = nextEvent((e) => e.domain_check !== undefined);
  state.checkDomain(account, 'fresh-name.com');
  assert.equal((await again).event.domain_check!.available, false);
});

test('close cancels the changes still under way', async () => {
  const account = start();
  const created = state.createInstance(account, spec, Date.now());
  state.close();
  await sleep(50);
  assert.equal(account.instances.get(created.id)?.status, 'INSTANCE_STATUS_PROVISIONING');
});
