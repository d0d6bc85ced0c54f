// The inspector's Export dialog in chromium: the preview says what will be redacted, then
// the download is the redacted HAR, its progress shown until it downloads. Browser test:
// run it under the shared lock.

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
import { execRecordingProtos, writeExecRecording } from '../../support/exec-recording.ts';

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
  await page.locator('.export-dialog').waitFor({ state: 'detached' });
});

test('the dialog shows how far the export has got, phase by phase, until the file is downloading', async () => {
  const file = join(dir, 'many.sqlite');
  writeExecRecording(file, 3_000);
  const many = Store.open(file);
  const manyServer = await startInspectorServer({
    store: many, host: '127.0.0.1', port: 0, token, log: () => {}, export: { codec: createCodec({ protoPaths: [execRecordingProtos] }), toolVersion: 'test' },
  });
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${manyServer.address.port}/?token=${token}`);
    await page.getByRole('button', { name: 'Export' }).click();
    await page.locator('.export-preview').filter({ hasText: 'will be redacted' }).waitFor();
    // Every text the progress line and the toast take, however quickly they follow each other.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      new MutationObserver(() => {
        for (const text of [...document.querySelectorAll('.export-progress p, .toast')].map((e) => e.textContent ?? '')) {
          if (seen.at(-1) !== text) seen.push(text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
    await download.saveAs(join(dir, 'many.har'));
    await page.locator('.export-dialog').waitFor({ state: 'detached' });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.some((t) => /^Reading [\d,]+ of 3,000 exchanges for the tokens they carry/.test(t)), seen.join('\n'));
    assert.ok(seen.some((t) => /^Redacting and writing [\d,]+ of 3,000 exchanges/.test(t)), seen.join('\n'));
    assert.ok(seen.includes('Exported 3,000 exchanges; the file is downloading.'), seen.join('\n'));
    assert.equal(JSON.parse(readFileSync(join(dir, 'many.har'), 'utf8')).log.entries.length, 3_000);
  } finally {
    await manyServer.close();
    many.close();
  }
});
