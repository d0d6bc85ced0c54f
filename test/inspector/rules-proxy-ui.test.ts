// Rules end to end in chromium: the real `ca2-inspector proxy --rules FILE` in front of a
// demo server, a rule that makes billing rate limited, the changed exchange with its
// diff in the detail, and the rule switched off in the Rules panel, after which billing
// answers as the server does. Browser test: run it under the shared lock. Screenshots go
// to test-artifacts/inspector/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import type { RuleView } from '../../model/rules.ts';
import type { ExchangePage } from '../../model/types.ts';
import { exec, tempDb } from '../replay/support.ts';
import { eventually, projectRoot, type ProxyProcess } from '../../support/proxy-process.ts';
import { openProxyUi, type ProxyUi } from './proxy-ui.ts';

const artifacts = join(projectRoot, 'test-artifacts', 'inspector');
const rule = 'billing is rate limited';

describe('rules in the inspector, with the proxy running them', () => {
  let ui: ProxyUi;
  let proxy: ProxyProcess;
  let page: Page;
  let base: URL;
  let token: string;
  let pageErrors: string[];

  /** The id of the newest recorded billing call once it is complete. */
  const newestBilling = (after: number) =>
    eventually(async () => {
      const listed = (await (await proxy.api('/api/exchanges?filter=service:billing')).json()) as ExchangePage;
      return listed.items.find((s) => s.id > after && s.state === 'complete');
    }, 'the recorded billing call');

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    await mkdir(artifacts, { recursive: true });
    const db = tempDb();
    const rules = join(dirname(db), 'rules.yaml');
    writeFileSync(rules, `- name: ${rule}\n  at: response\n  match: service:billing\n  set: { errors: [SE_RATE_LIMIT_EXCEEDED_ERROR] }\n`);
    ui = await openProxyUi({ db, args: ['--rules', rules] });
    ({ proxy, page, base, token, pageErrors } = ui);
  });

  after(() => ui?.close());

  it('shows the exchange the rule changed, with its diff and both versions', async () => {
    const answer = await exec(base, { billing: { balance: {} } }, token);
    assert.deepEqual(answer.response.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR'], 'the client decodes the error the rule set');
    const changed = await newestBilling(0);
    assert.deepEqual(changed.rules, [rule]);
    await page.waitForSelector(`[data-row="${changed.id}"] .rule-mark[title="changed by rule ${rule}"]`);
    await page.click(`[data-row="${changed.id}"]`);
    await page.waitForSelector(`.rule-changes h3:has-text("changed by rule ${rule}")`);
    await page.waitForSelector('.rule-change[data-what="response"] .diff-list li.diff-added:has-text("errors")');
    await page.waitForSelector('.json-row.diff-added[data-path="errors"]');
    await page.click('.version-switch button:has-text("as the upstream answered")');
    await page.waitForSelector('.message-label:has-text("Response as the upstream answered")');
    assert.equal(await page.locator('.json-row[data-path="errors"]').count(), 0);
    await page.screenshot({ path: join(artifacts, 'rules-proxy-diff.png') });
    assert.deepEqual(pageErrors, []);
  });

  it('switches the rule off in the Rules panel, and billing answers as the server does', async () => {
    await page.click('.rules-button');
    const row = page.locator(`[role="dialog"][aria-label="Rules"] tr[data-rule="${rule}"]`);
    await row.locator('.rule-hits', { hasText: /^1$/ }).waitFor();
    await row.getByRole('switch').click();
    await row.locator('[role="switch"][aria-checked="false"]').waitFor();
    const listed = (await (await proxy.api('/api/rules')).json()) as RuleView[];
    assert.deepEqual(listed.map((r) => [r.name, r.enabled, r.hits]), [[rule, false, 1]]);
    await page.screenshot({ path: join(artifacts, 'rules-proxy-panel.png') });
    await page.keyboard.press('Escape');

    const before = (await newestBilling(0)).id;
    const answer = await exec(base, { billing: { balance: {} } }, token);
    assert.deepEqual(answer.response.errors ?? [], []);
    assert.ok(answer.response.billing.balance, 'the server\'s own answer');
    const plain = await newestBilling(before);
    assert.deepEqual(plain.rules, []);
    // The open row paused the live tail: g goes back to the live edge.
    await page.keyboard.press('g');
    await page.waitForSelector(`[data-row="${plain.id}"]`);
    assert.equal(await page.locator(`[data-row="${plain.id}"] .rule-mark`).count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
