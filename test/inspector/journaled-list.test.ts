// The inspector in chromium opened while traffic journaled under load is still being
// stored: the real recorder, journal and inspector server over a real SQLite file. The
// first page is read from the journal itself, so it already lists the newest exchanges,
// and no banner says that some are still to come.
//
// The first page's read starts storing in the background, and this journal is stored in
// a fraction of a second, often before the live stream's connect asks for the page again.
// So the browser's later questions (that page, and /api/stats) are held until the first
// page has been looked at, as a slow network would hold them, and then let through.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import { startInspectorServer, type InspectorServer } from '../../inspector/server/app.ts';
import { createCodec } from '../../proto/codec.ts';
import { exec, journalRun } from '../../support/journal-run.ts';
import type { Route } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

const EXCHANGES = 300;
const artifacts = fileURLToPath(new URL('../../test-artifacts/inspector/', import.meta.url));

describe('the inspector opened while journaled traffic is being stored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-storing-banner-'));
  const codec = createCodec();
  const r = journalRun(join(dir, 't.sqlite'), codec);
  let server: InspectorServer;
  let browser: LaunchedBrowser;

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    server = await startInspectorServer({ store: r.store, host: '127.0.0.1', port: 0, token: null, log: () => undefined });
    // As the backend wires it: the live stream hears the recorder, so a browser makes it stop journaling.
    r.recorder.addListener(server.live);
    for (let id = 1; id <= EXCHANGES; id++) r.writer.exchangeEnded(exec(id), 'with');
    r.pump();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the journaled exchanges from its first page on, newest first, with no banner', { timeout: 60_000 }, async () => {
    assert.equal(r.store.stats().journaled, EXCHANGES, 'nothing is stored yet');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const asks = (url: URL) => url.pathname === '/api/exchanges' || url.pathname === '/api/stats';
    const held: Route[] = [];
    let holding: 'not yet' | 'yes' | 'no more' = 'not yet';
    await page.route(asks, (route) => {
      if (holding === 'yes') return void held.push(route);
      if (holding === 'not yet') holding = 'yes';
      return route.continue();
    });
    await page.goto(`http://127.0.0.1:${server.address.port}/`);
    await page.waitForFunction((newest) => (document.querySelector('[data-row]') as HTMLElement | null)?.dataset.row === String(newest), EXCHANGES, { timeout: 20_000 });
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'journaled-first-page.png') });
    assert.equal(await page.$('.banner.storing'), null);
    holding = 'no more';
    await Promise.all(held.map((route) => route.continue()));
    await r.store.whenStored();
    assert.equal(r.store.stats().journaled, 0);
    assert.equal(await page.$('.banner.storing'), null);
    assert.deepEqual(errors, []);
  });
});
