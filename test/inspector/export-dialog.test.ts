// The inspector's Export dialog in chromium: the preview says what will be redacted, then
// the download is the redacted HAR. Browser test: run it under the shared lock.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUi } from '../../inspector/build.ts';
import { startInspectorServer, type InspectorServer } from '../../inspector/server/app.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { demoProtos, tokens, writeSampleRecording } from '../capture/sample-recording.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-export-dialog-'));
const token = 'export-dialog-token';
let store: Store;
let server: InspectorServer;
let browser: LaunchedBrowser;

before(async () => {
  await buildUi();
  writeSampleRecording(join(dir, 'rec.sqlite'));
  store = Store.open(join(dir, 'rec.sqlite'));
  server = await startInspectorServer({
    store, host: '127.0.0.1', port: 0, token, log: () => {}, export: { codec: createCodec({ protoPaths: [demoProtos] }), toolVersion: 'test' },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Export previews how many tokens will be redacted and where, then downloads the redacted HAR', async () => {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${server.address.port}/?token=${token}&filter=kind:exec`);
  await page.getByRole('button', { name: 'Export' }).click();
  const preview = page.locator('.export-preview');
  await preview.filter({ hasText: 'will be redacted' }).waitFor();
  assert.match((await preview.textContent()) ?? '', /^3 exchanges; 5 tokens will be redacted, in .*ClientRequest\.token \(2\)/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'ca2-capture.har');
  const file = join(dir, 'downloaded.har');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  assert.equal(JSON.parse(text).log.entries.length, 3);
  assert.ok(!text.includes(tokens.jwt) && !text.includes(tokens.bearer));
  assert.equal(await page.locator('.export-dialog').count(), 0, 'the dialog closes');
});
