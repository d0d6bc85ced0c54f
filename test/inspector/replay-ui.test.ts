// Resend and Edit and resend in chromium, against the real proxy command in front of a
// demo server. Screenshots go to test-artifacts/inspector/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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

  it('edits the request, checking it as it is typed, and names a field that does not fit', async () => {
    await page.goto(`${proxy.uiUrl}/?open=${createId}`);
    await page.click('.detail-actions button:has-text("Edit and resend")');
    const editor = await page.waitForSelector('textarea.replay-json');
    await editor.fill('{ "instances": ');
    await page.waitForSelector('.replay-invalid:has-text("Not JSON yet")');
    assert.equal(await page.isDisabled('.dialog-actions button.primary'), true);
    await editor.fill(JSON.stringify({ instances: { create: { name: 7 } } }));
    assert.equal(await page.isDisabled('.dialog-actions button.primary'), false);
    await page.click('.dialog-actions button.primary');
    await page.waitForSelector('.replay-editor .banner.error:has-text("instances.create.name")');
    await page.screenshot({ path: join(artifacts, 'replay-editor-refusal.png') });
    await editor.fill(JSON.stringify({ instances: { create: { name: 'web-2', region: 'eu-west' } } }));
    await page.click('.dialog-actions button.primary');
    await page.waitForSelector(`.replay-diff h3:has-text("from #${createId}")`, { timeout: 30_000 });
    await page.waitForSelector('.replay-diff li:has-text("instances.create.instance.name")');
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
