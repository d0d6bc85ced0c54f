// GET /api/rules, PATCH /api/rules/:name and the live `rules` event on a real inspector
// listener, over an in-memory running set (the contract's other side; intercept/ keeps
// the real one in the proxy).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { RuleView } from '../../../model/rules.ts';
import type { LiveEvents } from '../../../model/types.ts';
import { Store } from '../../../storage/store.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import { RunningRules } from '../running-rules.ts';

const loaded = (): RuleView[] => [
  { name: 'billing is rate limited', at: 'response', match: 'service:billing', enabled: true, hits: 0 },
  { name: 'slow/login', at: 'request', match: 'op:login', enabled: false, hits: 2 },
  { name: 'drop balances', at: 'ws:server', match: '', enabled: true, hits: 0, error: 'billing.balances[0].amount_minor: expected a number, got "x"' },
];

/** A request with exactly these headers, as a page elsewhere would send it (fetch will not send some of them). */
function send(port: number, path: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the rules on the inspector server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-inspector-rules-'));
  const bearer = { authorization: 'Bearer sesame' };
  let store: Store;
  let rules: RunningRules;
  let withRules: InspectorServer;
  let without: InspectorServer;
  const base = (s: InspectorServer) => `http://127.0.0.1:${s.address.port}`;
  const patch = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base(withRules)}/api/rules/${encodeURIComponent(name)}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...bearer, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  before(async () => {
    store = Store.open(join(dir, 't.sqlite'));
    rules = new RunningRules(loaded());
    const log = () => undefined;
    withRules = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: 'sesame', log, rules });
    without = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: null, log });
  });
  after(async () => {
    await withRules.close();
    await without.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /api/rules lists the running rules with their point, match, switch, hits and error', async () => {
    const res = await fetch(`${base(withRules)}/api/rules`, { headers: bearer });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), loaded());
  });

  test('GET /api/rules is an empty list when the proxy runs no rules', async () => {
    const res = await fetch(`${base(without)}/api/rules`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  });

  test('PATCH /api/rules/:name switches a rule in the running set and answers its view', async () => {
    const off = await patch('billing is rate limited', { enabled: false });
    assert.equal(off.status, 200);
    assert.deepEqual(await off.json(), { ...loaded()[0], enabled: false });
    const on = await patch('slow/login', { enabled: true });
    assert.deepEqual(await on.json(), { ...loaded()[1], enabled: true });
    const listed = (await (await fetch(`${base(withRules)}/api/rules`, { headers: bearer })).json()) as RuleView[];
    assert.deepEqual(listed.map((r) => [r.name, r.enabled]), [['billing is rate limited', false], ['slow/login', true], ['drop balances', true]]);
    await patch('billing is rate limited', { enabled: true });
  });

  test('PATCH refuses a body that is not { enabled: boolean } with a 400 sentence, and changes nothing', async () => {
    const cases: [body: unknown, error: string][] = [
      [{}, 'The body has no "enabled"; PATCH /api/rules/:name takes a JSON body { "enabled": true } or { "enabled": false }.'],
      [{ enabled: 'false' }, 'enabled must be true or false; got "false".'],
      [{ enabled: 0 }, 'enabled must be true or false; got 0.'],
      [{ enabled: true, times: 3 }, '"times" is not a rule setting the inspector changes; PATCH /api/rules/:name takes a JSON body { "enabled": true } or { "enabled": false }.'],
      [[true], 'PATCH /api/rules/:name takes a JSON body { "enabled": true } or { "enabled": false }.'],
    ];
    for (const [body, error] of cases) {
      const res = await patch('drop balances', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(await res.json(), { error });
    }
    const notJson = await patch('drop balances', '{"enabled": fal');
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /^The request body is not JSON that PATCH \/api\/rules\/drop%20balances can take/);
    const noType = await fetch(`${base(withRules)}/api/rules/drop%20balances`, { method: 'PATCH', headers: bearer, body: 'enabled=false' });
    assert.equal(noType.status, 400);
    assert.deepEqual(rules.list()[2], loaded()[2]);
  });

  test('PATCH answers 404 with a sentence for a name no rule has, with rules and without', async () => {
    const unknown = await patch('billing is slow', { enabled: false });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'No rule is named "billing is slow"; GET /api/rules lists the loaded ones.' });
    const none = await fetch(`${base(without)}/api/rules/x`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"enabled":true}' });
    assert.equal(none.status, 404);
    assert.deepEqual(await none.json(), { error: 'No rule is named "x"; the proxy runs no rules (start it with --rules FILE).' });
  });

  test('PATCH needs the token, and is refused to a page elsewhere by its Origin or Sec-Fetch-Site', async () => {
    const port = withRules.address.port;
    const json = { 'content-type': 'application/json' };
    const body = '{"enabled":false}';
    const path = '/api/rules/drop%20balances';
    assert.equal((await send(port, path, 'PATCH', json, body)).status, 401);
    const foreign = await send(port, path, 'PATCH', { ...json, ...bearer, origin: 'http://evil.example' }, body);
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /refused the Origin evil\.example/);
    const crossSite = await send(port, path, 'PATCH', { ...json, ...bearer, 'sec-fetch-site': 'same-site' }, body);
    assert.equal(crossSite.status, 403);
    assert.equal(rules.list()[2]!.enabled, true);
    const own = await send(port, path, 'PATCH', { ...json, ...bearer, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, body);
    assert.equal(own.status, 200);
    assert.equal(rules.list()[2]!.enabled, false);
    await patch('drop balances', { enabled: true });
  });

  test('pushes the list to connected browsers as a `rules` event, a burst of hits gathered into one', async () => {
    const client: Socket<LiveEvents> = connect(base(withRules), { auth: { token: 'sesame' }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('connect_error', reject));
    try {
      const pushed = new Promise<RuleView[]>((resolve) => client.once('rules', resolve));
      for (let i = 0; i < 500; i++) rules.hit('billing is rate limited');
      assert.equal((await pushed)[0]!.hits, 500, 'the first event after the burst already counts all of it');
      const switched = new Promise<RuleView[]>((resolve) => client.once('rules', resolve));
      await patch('slow/login', { enabled: false });
      assert.equal((await switched)[1]!.enabled, false);
    } finally {
      client.close();
    }
  });
});
