// Resend and Edit and resend in chromium, against the real proxy command in front of a
// demo server. Screenshots go to test-artifacts/inspector/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Route } from 'playwright-core';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import type { ExchangePage } from '../../model/types.ts';
import { exec } from '../replay/support.ts';
import { eventually, projectRoot, type ProxyProcess } from '../../support/proxy-process.ts';
import { openProxyUi, type ProxyUi } from './proxy-ui.ts';

const artifacts = join(projectRoot, 'test-artifacts', 'inspector');

describe('resending from the inspector', () => {
  let ui: ProxyUi;
  let proxy: ProxyProcess;
  let page: Page;
  let createId: number;
  let pageErrors: string[];

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    await mkdir(artifacts, { recursive: true });
    ui = await openProxyUi();
    ({ proxy, page, pageErrors } = ui);
    await exec(ui.base, { instances: { create: { name: 'web-1', region: 'eu-west' } } }, ui.token);
    createId = await eventually(async () => {
      const page = (await (await proxy.api('/api/exchanges?filter=op:create')).json()) as ExchangePage;
      return page.items.find((s) => s.state === 'complete')?.id;
    }, 'the recorded instances.create');
  });

  after(() => ui?.close());

  it('resends with r, opens the replay with the differing fields marked, and links both ways', async () => {
    await page.goto(`${proxy.uiUrl}/?open=${createId}`);
    await page.waitForSelector('.detail-actions button:has-text("Resend")');
    await page.waitForSelector('.json-row');
    await page.keyboard.press('r');
    const heading = await page.waitForSelector(`.replay-diff h3:has-text("from #${createId}")`, { timeout: 30_000 });
    assert.match((await heading.textContent()) ?? '', /difference\(s\) from #\d+/);
    // A new instance has a new id: the tree marks it where it changed.
    await page.waitForSelector('.replay-diff li:has-text("instances.create.instance.id")');
    // Beside the original: both answers, the changed field marked in each.
    await page.waitForSelector(`[role="tab"]:has-text("Beside #${createId}")`);
    await page.waitForFunction(() => document.querySelectorAll('.compare-grid .json-row.diff-changed[data-path="instances.create.instance.id"]').length === 2);
    await page.screenshot({ path: join(artifacts, 'replay-diff.png') });
    await page.click('[role="tab"]:has-text("Response")');
    await page.waitForSelector('.json-row.diff-changed[data-path="instances.create.instance.id"]');
    await page.click(`.detail-actions button:has-text("replay of #${createId}")`);
    await page.waitForSelector('.detail-actions button:has-text("replayed as #")');
    assert.deepEqual(pageErrors, []);
  });

  it('edits the request, checking it against the schema as it is typed, and sends only what fits', async () => {
    await page.goto(`${proxy.uiUrl}/?open=${createId}`);
    await page.click('.detail-actions button:has-text("Edit and resend")');
    const editor = await page.waitForSelector('textarea.replay-json');
    const send = '.replay-editor .dialog-actions button.primary';
    await editor.fill('{ "instances": ');
    await page.waitForSelector('.replay-invalid[data-check="syntax"]:has-text("Not JSON yet")');
    assert.equal(await page.isDisabled(send), true);
    await editor.fill(JSON.stringify({ instances: { create: { name: 7 } } }));
    await page.waitForSelector('.replay-invalid[data-check="unfit"]:has-text("instances.create.name: expected a string, got 7")');
    assert.equal(await page.isDisabled(send), true, 'a string given as a number');
    await editor.fill(JSON.stringify({ instances: { create: { name: 'web-2', regoin: 'eu-west' } } }));
    await page.waitForSelector('.replay-invalid[data-check="unfit"]:has-text("instances.create.regoin: no field named")');
    assert.equal(await page.isDisabled(send), true, 'a field name the schema does not have');
    await page.screenshot({ path: join(artifacts, 'replay-editor-unfit.png') });
    await editor.fill(JSON.stringify({ instances: { create: { name: 'web-2', region: 'eu-west' } } }));
    await page.waitForSelector('.replay-check[data-check="fits"]:has-text("Fits ClientRequest")');
    assert.equal(await page.isDisabled(send), false, 'fixed');
    await page.click(send);
    await page.waitForSelector(`.replay-diff h3:has-text("from #${createId}")`, { timeout: 30_000 });
    await page.waitForSelector('.replay-diff li:has-text("instances.create.instance.name")');
    assert.deepEqual(pageErrors, []);
  });

  it('asks about the newest text only: an older check still out is cancelled, and typing goes on meanwhile', async () => {
    await page.goto(`${proxy.uiUrl}/?open=${createId}`);
    await page.click('.detail-actions button:has-text("Edit and resend")');
    const editor = await page.waitForSelector('textarea.replay-json');
    const send = '.replay-editor .dialog-actions button.primary';
    // The checks are held here, unanswered, until the test lets them through.
    const held: Route[] = [];
    await page.route('**/api/messages/check', (route) => void held.push(route));
    const failed: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.url().endsWith('/api/messages/check')) failed.push(request.postData() ?? '');
    });
    await editor.fill(JSON.stringify({ instances: { create: { name: 7 } } }));
    await eventually(() => (held.length === 1 ? true : undefined), 'the check of the first text');
    await page.waitForSelector('.replay-check[data-check="checking"]:has-text("Checking against the schema")');
    assert.equal(await page.isDisabled(send), true, 'not checked yet');
    await editor.fill(JSON.stringify({ instances: { create: { name: 'web-3', region: 'eu-west' } } }));
    assert.equal(await editor.inputValue(), JSON.stringify({ instances: { create: { name: 'web-3', region: 'eu-west' } } }), 'typing is never held up');
    await eventually(() => (failed.length === 1 ? true : undefined), 'the first check cancelled');
    assert.match(failed[0]!, /"name":7/);
    await eventually(() => (held.length === 2 ? true : undefined), 'the check of the newer text');
    assert.match(held[1]!.request().postData() ?? '', /"name":"web-3"/);
    await held[1]!.continue();
    await page.unroute('**/api/messages/check');
    await page.waitForSelector('.replay-check[data-check="fits"]:has-text("Fits ClientRequest")');
    assert.equal(await page.isDisabled(send), false);
    await page.keyboard.press('Escape');
    assert.deepEqual(pageErrors, []);
  });

  it('flags an expired token in the editor with its exp', async () => {
    await page.goto(`${proxy.uiUrl}/?open=${createId}`);
    await page.click('.detail-actions button:has-text("Edit and resend")');
    const expired = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'u', exp: 1700000000 })).toString('base64url')}.c2ln`;
    await page.fill('input.replay-token', expired);
    await page.waitForSelector('.replay-expiry.expired:has-text("exp 1700000000")');
  });
});
