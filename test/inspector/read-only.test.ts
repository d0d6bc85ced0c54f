// `ca2-inspector open` in chromium: a recording served with no proxy offers nothing that
// needs one (Resend, Edit and resend, the r shortcut) and names its file where the live
// state would be. The real command as a child process. Browser test: run it under the shared lock.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import { writeSampleRecording } from '../capture/sample-recording.ts';
import { startOpen, type OpenProcess } from '../cli/open-process.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-read-only-'));
const db = join(dir, 'rec.sqlite');
let open: OpenProcess;
let link: URL;
let browser: LaunchedBrowser;

before(async () => {
  if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
  writeSampleRecording(db);
  open = await startOpen([db]);
  link = open.link;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await open?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('GET /api/about says read-only and names the file open serves', async () => {
  const response = await fetch(new URL('/api/about', link.origin), { headers: { Authorization: `Bearer ${link.searchParams.get('token')}` } });
  assert.equal(response.status, 200);
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  assert.deepEqual(await response.json(), { mode: 'read-only', file: db, version });
});

test('a recording opened with no proxy says "read-only: FILE" where the live state shows, and offers no Resend', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // Every request the app starts, as it starts it: a resend that r would send is seen at once.
  await page.addInitScript(() => {
    const sent: string[] = ((window as unknown as { sent: string[] }).sent = []);
    const fetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      sent.push(String(input));
      return fetch(input, init);
    };
  });
  await page.goto(link.href);
  const status = await page.waitForSelector('.top-bar .live-status[data-status="read-only"]');
  assert.equal(await status.textContent(), `read-only: ${db}`);
  assert.equal(await page.locator('.top-bar .dot').count(), 0);
  await page.waitForSelector('[data-row]');
  assert.equal(await page.locator('.traffic-status .badge').count(), 0, 'no "following live" or "not connected" badge');

  await page.click('[data-row][data-kind="exec"]');
  await page.waitForSelector('.detail-pane .json-tree');
  assert.equal(await page.locator('.detail-pane button', { hasText: /resend/i }).count(), 0);
  await page.keyboard.press('r');
  assert.deepEqual((await page.evaluate(() => (window as unknown as { sent: string[] }).sent)).filter((url) => url.includes('/replay')), []);
  await page.keyboard.press('?');
  const help = (await (await page.waitForSelector('[role="dialog"][aria-label="Keyboard shortcuts"]')).textContent()) ?? '';
  assert.doesNotMatch(help, /resend/);
  assert.deepEqual(errors, []);
});
