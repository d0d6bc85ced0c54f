// The Rules panel in chromium, on the real inspector server over an in-memory running set
// (test/inspector/running-rules.ts): hit counts that move as rules act, a switch that goes
// through PATCH /api/rules/:name, and the hint where no rules run. Browser test: run it
// under the shared lock. Screenshots go to test-artifacts/inspector/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUi } from '../../inspector/build.ts';
import { startInspectorServer, type InspectorServer } from '../../inspector/server/app.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';
import { RunningRules } from './running-rules.ts';

const artifacts = join(projectRoot, 'test-artifacts', 'inspector');

describe('the Rules panel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-rules-panel-'));
  const token = 'rules-panel-token';
  let store: Store;
  let rules: RunningRules;
  let withRules: InspectorServer;
  let without: InspectorServer;
  let browser: LaunchedBrowser;
  const pageErrors: string[] = [];
  const link = (server: InspectorServer) => `http://127.0.0.1:${server.address.port}/?token=${token}`;

  before(async () => {
    await buildUi();
    await mkdir(artifacts, { recursive: true });
    store = Store.open(join(dir, 'rec.sqlite'));
    rules = new RunningRules([
      { name: 'billing is rate limited', at: 'response', match: 'service:billing', enabled: true, hits: 0 },
      { name: 'slow logins', at: 'request', match: 'op:login', enabled: false, hits: 12 },
      { name: 'drop balances', at: 'ws:server', match: '', enabled: true, hits: 0, error: 'billing.balances[0].amount: expected a whole number, got "x"' },
    ]);
    withRules = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token, log: () => undefined, rules });
    without = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token, log: () => undefined });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await withRules?.close();
    await without?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the running rules with point, match, hits and error; hits move live and a switch turns a rule off in the running set', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(link(withRules));
    await page.waitForSelector('.live-status[data-status="live"]');
    assert.equal(await page.textContent('.rules-button .rules-count'), '2/3');
    await page.click('.rules-button');
    const panel = page.locator('[role="dialog"][aria-label="Rules"]');
    await panel.waitFor();
    const row = (name: string) => panel.locator(`tr[data-rule="${name}"]`);
    assert.deepEqual(await row('billing is rate limited').locator('td').allTextContents(), ['on', 'billing is rate limited', 'response', 'service:billing', '0', ''], 'a rule from the file has no × to remove it');
    assert.deepEqual(await row('slow logins').locator('td').allTextContents(), ['off', 'slow logins', 'request', 'op:login', '12', '']);
    assert.equal(await row('drop balances').locator('.rule-error').textContent(), 'billing.balances[0].amount: expected a whole number, got "x"');
    assert.equal(await row('drop balances').locator('td').nth(3).textContent(), 'every message');

    for (let i = 0; i < 3; i++) rules.hit('billing is rate limited');
    await row('billing is rate limited').locator('.rule-hits', { hasText: /^3$/ }).waitFor();

    await row('billing is rate limited').getByRole('switch').click();
    await row('billing is rate limited').locator('[role="switch"][aria-checked="false"]').waitFor();
    assert.equal(rules.list()[0]!.enabled, false, 'switched in the running set, through PATCH');
    assert.equal(await page.textContent('.rules-button .rules-count'), '1/3');
    await page.screenshot({ path: join(artifacts, 'rules-panel.png') });
    await row('billing is rate limited').getByRole('switch').click();
    await row('billing is rate limited').locator('[role="switch"][aria-checked="true"]').waitFor();
    assert.equal(rules.list()[0]!.enabled, true);

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('says how to load rules where the proxy runs none', async () => {
    const page = await browser.context.newPage();
    await page.goto(link(without));
    await page.waitForSelector('.live-status[data-status="live"]');
    assert.equal(await page.locator('.rules-button .rules-count').count(), 0);
    await page.click('.rules-button');
    const hint = (await page.locator('[role="dialog"][aria-label="Rules"] .empty-note', { hasText: 'No rules' }).textContent()) ?? '';
    assert.match(hint, /^No rules are loaded\. Start the proxy with --rules FILE/);
    await page.close();
  });
});
