// The inspector app in chromium against the real proxy running its built-in demo
// (demo server + demo client making traffic). Screenshots go to test-artifacts/inspector/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { ExchangePage, ExchangeSummary } from '../../model/types.ts';
import { buildUi, uiDistDir } from '../../inspector/build.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = join(root, 'test-artifacts', 'inspector');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface RunningProxy {
  uiUrl: string;
  /** The link with the UI token, as the proxy prints it: opening it once lets the browser in. */
  link: string;
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** `ca2-inspector proxy` with the demo, on free loopback ports and a temporary database. */
async function startProxy(extraArgs: string[] = [], token = 'test-ui-token-main'): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'ca2-inspector-ui-'));
  const [listen, ui] = [await freePort(), await freePort()];
  const args = ['bin/ca2-inspector.js', 'proxy', '--listen', `127.0.0.1:${listen}`, '--ui', `127.0.0.1:${ui}`, '--db', join(dir, 't.sqlite'), '--quiet', ...(extraArgs.includes('--ui-token') ? [] : ['--ui-token', token]), ...extraArgs];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uiUrl = `http://127.0.0.1:${ui}`;
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the proxy exited with ${child.exitCode} before serving the inspector:\n${output}`);
    }
    const ready = await fetch(`${uiUrl}/api/exchanges?limit=1`, { headers }).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the inspector did not answer within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    uiUrl,
    link: `${uiUrl}/?token=${token}`,
    stop,
    api: async <T>(path: string) => {
      const response = await fetch(`${uiUrl}${path}`, { headers });
      assert.equal(response.status, 200, `GET ${path}`);
      return (await response.json()) as T;
    },
  };
}

/** Polls the REST API until `pick` finds something in the newest exchanges. */
async function waitForExchange(proxy: RunningProxy, query: string, pick: (s: ExchangeSummary) => boolean): Promise<ExchangeSummary> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const page = await proxy.api<ExchangePage>(`/api/exchanges?limit=500${query}`);
    const found = page.items.find(pick);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no exchange matched within 60 s (query ${query || 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** Where the list, the detail pane, a list row's error chip and the hex view's ASCII end up; a string, since tsx's helpers do not exist in the page. */
const measureLayout = `(() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const list = box('.traffic');
  const pane = box('.detail-pane');
  const headings = [...document.querySelectorAll('.traffic-head > span')].filter((el) => getComputedStyle(el).display !== 'none');
  const chip = document.querySelector('[data-row] .chip.error');
  const ascii = [...document.querySelectorAll('.hex-ascii')].map((el) => el.getBoundingClientRect().right);
  return {
    paneOverList: overlap(list, pane),
    headingsPastList: headings.filter((el) => el.getBoundingClientRect().right > list.right + 0.5).map((el) => el.textContent),
    chipClipped: chip.scrollWidth > chip.clientWidth,
    chipText: chip.textContent,
    asciiPastPane: Math.max(...ascii) - box('.hex-dump').right,
  };
})()`;

async function rowIds(page: Page): Promise<number[]> {
  return page.$$eval('[data-row]', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.row)));
}

describe('the inspector in a browser, against the proxy running the demo', () => {
  let proxy: RunningProxy;
  let browser: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    // npm test builds the UI first; a lone run of this file builds it when missing.
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    await mkdir(artifacts, { recursive: true });
    proxy = await startProxy(['--proto', 'demo/protos']);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // As a user does once: the printed link stores the token in a cookie for later visits.
    await page.goto(proxy.link);
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
  });

  it('shows rows as they happen, newest first, without a reload', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.waitForSelector('.live-status[data-status="live"]');
    const first = await rowIds(page);
    assert.deepEqual(first, [...first].sort((a, b) => b - a), 'rows are newest first');
    await page.waitForFunction((newest) => {
      const top = document.querySelector('[data-row]') as HTMLElement | null;
      return top !== null && Number(top.dataset.row) > newest;
    }, first[0]!, { timeout: 30_000 });
    await shot(page, 'live-rows');
    assert.deepEqual(pageErrors, []);
  });

  it('narrows the rows with a filter and keeps the filter in the URL', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.fill('input[aria-label="Filter"]', 'service:auth');
    await page.press('input[aria-label="Filter"]', 'Enter');
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('[data-row] .cell-op')];
      return cells.length > 0 && cells.every((cell) => cell.textContent!.startsWith('auth.'));
    });
    assert.match(page.url(), /[?&]filter=service%3Aauth(&|$)/);
    await shot(page, 'filter-service-auth');

    await page.click('button.toggle:has-text("ws")');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('[data-row]')];
      return rows.length === 0 || rows.every((row) => row.dataset.kind === 'ws');
    });
    assert.equal(await page.inputValue('input[aria-label="Filter"]'), 'service:auth kind:ws');
    assert.match(page.url(), /filter=service%3Aauth\+kind%3Aws/);

    // A shared link opens the same view.
    await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent('kind:exec error:any')}`);
    await page.waitForSelector('[data-row]');
    assert.equal(await page.inputValue('input[aria-label="Filter"]'), 'kind:exec error:any');
    const kinds = await page.$$eval('[data-row]', (rows) => rows.map((r) => [(r as HTMLElement).dataset.kind, r.querySelector('.chip.error') !== null]));
    assert.ok(kinds.every(([kind, hasError]) => kind === 'exec' && hasError), JSON.stringify(kinds));
    assert.equal(await page.getAttribute('button.toggle:has-text("Errors only")', 'aria-pressed'), 'true');
  });

  it('shows the live rows a field: filter selects, as the server answers for them', async () => {
    const filter = 'field:auth.login.device_name="demo client"';
    await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent(filter)}`);
    await page.waitForSelector('[data-row]');
    const newest = (await rowIds(page))[0]!;
    // The demo client signs in again on each pass: that login arrives live, with no reload.
    await page.waitForFunction((id) => Number((document.querySelector('[data-row]') as HTMLElement).dataset.row) > id, newest, { timeout: 60_000 });
    const shown = await rowIds(page);
    const stored = await proxy.api<ExchangePage>(`/api/exchanges?limit=1000&filter=${encodeURIComponent(filter)}`);
    const selected = new Set(stored.items.map((s) => s.id));
    assert.deepEqual(shown.filter((id) => !selected.has(id)), [], 'every row shown is one the filter selects');
    const ops = await page.$$eval('[data-row] .cell-op', (cells) => cells.map((cell) => cell.textContent));
    assert.ok(ops.every((op) => op?.startsWith('auth.login')), JSON.stringify(ops));
    await shot(page, 'filter-field');
  });

  it('shows a malformed filter\'s error under the box with its position marked', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.fill('input[aria-label="Filter"]', 'service:auth status:');
    const error = await page.waitForSelector('#filter-error');
    const text = await error.textContent();
    assert.match(text ?? '', /expected/);
    const marked = await page.$eval('#filter-error mark', (mark) => mark.previousSibling?.textContent ?? '');
    assert.equal(marked, 'service:auth status:', 'the mark sits right after "status:"');
    await shot(page, 'filter-error');
  });

  it('opens a crafted link nesting thousands of parentheses with its error under the box, and keeps listing traffic', async () => {
    const crafted = '('.repeat(4990) + 'kind:ws' + ')'.repeat(4990);
    await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent(crafted)}`);
    const error = await page.waitForSelector('#filter-error');
    assert.match((await error.textContent()) ?? '', /the filter nests deeper than 64 levels/);
    const marked = await page.$eval('#filter-error mark', (mark) => mark.previousSibling?.textContent ?? '');
    assert.equal(marked, '('.repeat(64), 'the mark sits on the 65th parenthesis');
    await page.waitForSelector('[data-row]');
    assert.deepEqual(pageErrors, []);
    await shot(page, 'filter-error-nesting');
  });

  it('opens an exchange and shows its decoded JSON, and selecting a field highlights its bytes', async () => {
    // Every other pass the demo logs in with a mistyped password first, answered with status 200 and no token: only
    // logins that gave a token are listed, or the newest row could be that one while its retry is on the way.
    const gaveToken = 'service:auth op:login status:200 field:auth.login.token';
    await waitForExchange(proxy, `&filter=${encodeURIComponent(gaveToken)}`, (s) => s.state === 'complete');
    await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent(gaveToken)}`);
    await page.click('[data-row]');
    await page.waitForSelector('.detail-pane .json-row[data-path="auth.login.token"]');
    assert.match(page.url(), /[?&]open=\d+/);
    const trx = await page.textContent('.detail-pane .json-row[data-path="trx"] .json-value');
    assert.ok(trx && trx.length > 2, 'trx decoded');

    await page.click('.json-row[data-path="auth.login.token"]');
    const selection = await page.textContent('.message-selection');
    const match = /bytes (\d+)–(\d+)/.exec(selection ?? '');
    assert.ok(match, `the selection names its bytes: ${selection}`);
    const highlighted = await page.$$eval('.hex-byte.hl', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.offset)));
    assert.ok(highlighted.length > 0, 'some bytes are highlighted');
    assert.equal(highlighted[0], Number(match[1]));
    assert.ok(highlighted.every((offset) => offset >= Number(match[1]) && offset <= Number(match[2])));
    await shot(page, 'detail-hex-highlight');

    // And back: clicking a byte selects the field it belongs to.
    await page.click(`.hex-byte[data-offset="${Number(match[1]) + 3}"]`);
    const selectedPath = await page.getAttribute('.json-row.selected', 'data-path');
    assert.ok(selectedPath?.startsWith('auth.login'), `selected ${selectedPath}`);

  });

  it('expands a WebSocket row into its frames and shows its frame timeline with the close', async () => {
    const ws = await waitForExchange(proxy, '&filter=kind:ws', (s) => s.state !== 'pending' && s.frames >= 2);
    await page.goto(`${proxy.uiUrl}/?filter=kind:ws`);
    const row = await page.waitForSelector(`[data-row="${ws.id}"]`);
    await (await row.$('.expander'))!.click();
    await page.waitForFunction((count) => document.querySelectorAll('.frame-row[data-frame]').length >= count, ws.frames);
    const directions = await page.$$eval('.frame-row[data-frame]', (rows) => rows.map((r) => (r.classList.contains('client') ? 'client' : 'server')));
    assert.ok(directions.includes('client') && directions.includes('server'), directions.join());
    await shot(page, 'ws-expanded');

    await row.click();
    await page.waitForSelector('.frame-timeline .frame-item[data-seq]');
    const close = await page.textContent('.frame-close');
    assert.match(close ?? '', /closed by/);
    await page.click('.frame-timeline .frame-item.server[data-seq]');
    await page.waitForSelector('.frame-view .message-view');
    await shot(page, 'ws-detail');
  });

  it('moves with j and k, opens with Enter, closes with Esc and focuses the filter with /', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.keyboard.press('j');
    const first = await page.getAttribute('[data-row][aria-selected="true"]', 'data-row');
    await page.keyboard.press('j');
    const second = await page.getAttribute('[data-row][aria-selected="true"]', 'data-row');
    assert.ok(Number(second) < Number(first), 'j moves to an older row');
    await page.keyboard.press('k');
    assert.equal(await page.getAttribute('[data-row][aria-selected="true"]', 'data-row'), first);
    assert.equal(await page.$('.detail-pane'), null);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.detail-pane');
    await page.keyboard.press('j');
    await page.waitForFunction((id) => location.search.includes(`open=${id}`), second);
    await shot(page, 'keyboard-detail');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.detail-pane', { state: 'detached' });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Filter');
  });

  it('pauses the live tail while a row is selected and counts the new rows', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.keyboard.press('j');
    await page.waitForSelector('.badge.paused');
    const pill = await page.waitForSelector('.new-rows', { timeout: 30_000 });
    assert.match((await pill.textContent()) ?? '', /\d+ new/);
    const before = (await rowIds(page))[0]!;
    await pill.click();
    await page.waitForFunction((top) => Number((document.querySelector('[data-row]') as HTMLElement).dataset.row) > top, before);
  });

  it('counts the frames of a connected WebSocket row as they arrive, in the row and in its expansion', async () => {
    await page.goto(`${proxy.uiUrl}/?filter=kind:ws`);
    await page.waitForSelector('.live-status[data-status="live"]');
    const rowFrames = (id: number) =>
      page.evaluate((rowId) => {
        const row = document.querySelector(`[data-row="${rowId}"]`);
        const count = /· (\d+) frames?/.exec(row?.querySelector('.cell-op')?.textContent ?? '');
        return row && count ? { frames: Number(count[1]), connected: row.querySelector('.badge.live') !== null } : null;
      }, id);
    // A connection opened after the page: its first summary comes before most of its frames.
    const pageOpened = (await proxy.api<ExchangePage>('/api/exchanges?limit=1')).items[0]?.id ?? 0;
    const deadline = Date.now() + 60_000;
    let checked: { id: number; frames: number } | null = null;
    while (!checked && Date.now() < deadline) {
      const stored = (await proxy.api<ExchangePage>('/api/exchanges?limit=20&filter=kind:ws')).items.find((s) => s.id > pageOpened && s.state === 'pending' && s.frames >= 3);
      const shown = stored ? await rowFrames(stored.id) : null;
      if (stored && shown?.connected && shown.frames >= stored.frames) checked = { id: stored.id, frames: shown.frames };
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(checked, 'a connected row showed as many frames as were stored, without a reload');
    await (await page.$(`[data-row="${checked.id}"] .expander`))!.click();
    await page.waitForFunction((id) => {
      const header = /· (\d+) frames?/.exec(document.querySelector(`[data-row="${id}"] .cell-op`)?.textContent ?? '');
      return header !== null && document.querySelectorAll(`.frame-row[data-exchange="${id}"]`).length === Number(header[1]);
    }, checked.id);
    assert.doesNotMatch((await page.textContent(`[data-row="${checked.id}"]`)) ?? '', /\b1 frames\b/);
    await shot(page, 'ws-live-count');
  });

  it('shows both kinds with both the exec and ws toggles on, and suggests no partial token subject', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    assert.doesNotMatch((await page.getAttribute('input[aria-label="Filter"]', 'placeholder')) ?? '', /token:alice/);
    await page.click('button.toggle:has-text("exec")');
    await page.click('button.toggle:has-text("ws")');
    assert.equal(await page.inputValue('input[aria-label="Filter"]'), '(kind:exec or kind:ws)');
    assert.equal(await page.getAttribute('button.toggle:has-text("exec")', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('button.toggle:has-text("ws")', 'aria-pressed'), 'true');
    await page.waitForFunction(() => {
      const kinds = new Set([...document.querySelectorAll<HTMLElement>('[data-row]')].map((row) => row.dataset.kind));
      return kinds.has('exec') && kinds.has('ws') && !kinds.has('http');
    });
    await page.click('button.toggle:has-text("exec")');
    assert.equal(await page.inputValue('input[aria-label="Filter"]'), 'kind:ws');
  });

  it('moves onto the frames of an expanded WebSocket row with j and opens the picked frame with Enter', async () => {
    const ws = await waitForExchange(proxy, '&filter=kind:ws', (s) => s.state !== 'pending' && s.frames >= 2);
    await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent(`kind:ws`)}`);
    await (await page.waitForSelector(`[data-row="${ws.id}"] .expander`)).click();
    await page.waitForSelector(`.frame-row[data-exchange="${ws.id}"]`);
    const seqs = await page.$$eval(`.frame-row[data-exchange="${ws.id}"]`, (rows) => rows.map((row) => (row as HTMLElement).dataset.frame));
    await page.click(`[data-row="${ws.id}"]`);
    await page.keyboard.press('Escape'); // the detail closes, the selection stays
    await page.waitForSelector('.detail-pane', { state: 'detached' });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const picked = await page.waitForSelector(`.frame-row.selected[data-exchange="${ws.id}"]`);
    const seq = await picked.getAttribute('data-frame');
    assert.equal(seq, seqs[1], 'the second frame, one j past the first');
    assert.equal(await page.$('[data-row][aria-selected="true"]'), null, 'the exchange row is not selected any more');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.detail-pane .frame-item.selected[data-seq="${seq}"]`);
    assert.match((await page.textContent('.frame-view .message-meta')) ?? '', new RegExp(`Frame ${seq}`));
    await page.keyboard.press('k');
    await page.waitForSelector(`.detail-pane .frame-item.selected[data-seq="${seqs[0]}"]`);
    await shot(page, 'keyboard-frame');
  });

  it('lays out the list and the detail pane without overlap at 700, 1030, 1100 and 1440 px', async () => {
    await waitForExchange(proxy, '&filter=error:internal_server', () => true);
    try {
      for (const width of [700, 1030, 1100, 1440]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${proxy.uiUrl}/?filter=${encodeURIComponent('error:internal_server')}`);
        await page.click('[data-row]');
        await page.waitForSelector('.detail-pane .hex-byte');
        const layout = (await page.evaluate(measureLayout)) as { paneOverList: number; headingsPastList: string[]; chipClipped: boolean; chipText: string; asciiPastPane: number };
        await shot(page, `layout-${width}`);
        assert.equal(layout.paneOverList, 0, `${width} px: the pane covers the list`);
        assert.deepEqual(layout.headingsPastList, [], `${width} px: headings run past the list`);
        assert.equal(layout.chipClipped, false, `${width} px: the chip "${layout.chipText}" is clipped`);
        assert.ok(layout.asciiPastPane <= 0, `${width} px: the hex view's ASCII is cut off by ${layout.asciiPastPane} px`);

        // Paused with new rows waiting: the "N new" button covers no heading.
        await page.keyboard.press('Escape');
        await page.click('button[aria-label="Clear the filter"]');
        await page.waitForSelector('.new-rows', { timeout: 30_000 });
        const covered = await page.evaluate(() => {
          const a = document.querySelector('.new-rows')!.getBoundingClientRect();
          const b = document.querySelector('.traffic-head')!.getBoundingClientRect();
          return a.bottom > b.top && a.top < b.bottom && a.right > b.left && a.left < b.right;
        });
        assert.equal(covered, false, `${width} px: the "N new" button covers the headings`);
        await shot(page, `paused-${width}`);
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('shows a token\'s facts and its timeline with the stretches when no WebSocket was connected', async () => {
    const ws = await waitForExchange(proxy, '&filter=kind:ws', (s) => s.state !== 'pending' && s.token?.sub !== undefined);
    await page.goto(`${proxy.uiUrl}/?open=${ws.id}`);
    await page.click('.tabs button:has-text("Timing & token")');
    const facts = (await (await page.waitForSelector('.token-card')).textContent()) ?? '';
    assert.ok(facts.includes(ws.token!.sub!), `token facts name the subject: ${facts}`);
    assert.match(facts, /Expires/);
    await page.click('button:has-text("Timeline of this token")');
    await page.waitForSelector('.timeline-pane .scope-switch button[aria-pressed="true"]:has-text("This token")');
    assert.match(page.url(), new RegExp(`timeline=${ws.token!.sub}&timelineToken=${ws.token!.exp}`));
    // The demo resumes with yesterday's token, then logs in: the subject has two tokens at least.
    await page.click('.timeline-pane .scope-switch button:has-text("Every token")');
    await page.waitForSelector('.timeline-pane .entry.token-boundary');
    await page.waitForSelector('.timeline-pane .entry.lost');
    assert.doesNotMatch(page.url(), /timelineToken=/);
    assert.match(page.url(), new RegExp(`timeline=${ws.token!.sub}`));
    const lost = await page.textContent('.timeline-pane .entry.lost');
    assert.match(lost ?? '', /events lost: no WebSocket connected for/);
    assert.ok((await page.$$('.lane-lost')).length > 0);
    assert.ok((await page.$$('.timeline-pane .entry.exec')).length > 0);
    await shot(page, 'token-timeline');
  });

  it('shows as "This token" the token of the exchange the subject\'s timeline was opened from', async () => {
    // Yesterday's token, which the demo uses just before it signs in: never the subject's newest for long.
    const stale = await waitForExchange(proxy, '&filter=kind:exec', (s) => s.token?.expired === true && s.token.sub !== undefined);
    await page.goto(`${proxy.uiUrl}/?open=${stale.id}`);
    await page.click('.tabs button:has-text("Timing & token")');
    await page.click('button:has-text("Timeline of this subject")');
    await page.waitForSelector('.timeline-pane .scope-switch button[aria-pressed="true"]:has-text("Every token")');
    await page.click('.timeline-pane .scope-switch button:has-text("This token")');
    await page.waitForSelector('.timeline-pane .scope-switch button[aria-pressed="true"]:has-text("This token")');
    assert.equal(new URL(page.url()).searchParams.get('timelineToken'), `${stale.token!.exp}:${stale.token!.prefix}`);
  });

  it('switches to the dark theme and remembers it', async () => {
    await page.goto(proxy.uiUrl);
    await page.waitForSelector('[data-row]');
    await page.click('button[aria-label="Toggle theme"]');
    // The theme is applied in an effect, after the click's render: wait for it, then check.
    await page.waitForSelector('html[data-theme="dark"]', { timeout: 5_000 });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(13, 17, 23)');
    await page.click('[data-row]');
    await page.waitForSelector('.detail-pane .json-tree, .detail-pane .frame-timeline, .detail-pane .empty-note');
    await shot(page, 'dark-theme');
    await page.reload();
    await page.waitForSelector('[data-row]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.click('button[aria-label="Toggle theme"]');
    assert.deepEqual(pageErrors, []);
  });
});

describe('the inspector behind a UI token', () => {
  const token = 'test-ui-token-123';
  let proxy: RunningProxy;
  let browser: LaunchedBrowser;

  before(async () => {
    if (!existsSync(join(uiDistDir, 'index.html'))) await buildUi();
    proxy = await startProxy(['--ui-token', token], token);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
  });

  it('explains that the token is needed when the link lacks it', async () => {
    const page = await browser.context.newPage();
    await page.goto(proxy.uiUrl);
    const banner = await page.waitForSelector('.banner.fatal');
    assert.match((await banner.textContent()) ?? '', /needs its token: open the link printed when the proxy started/);
    await shot(page, 'token-missing');
    await page.close();
  });

  it('says so when the link carries a token from another run', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${proxy.uiUrl}/?token=from-yesterday`);
    const banner = await page.waitForSelector('.banner.fatal');
    assert.match((await banner.textContent()) ?? '', /needs its token/, 'a wrong link sets no cookie, so the token is missing');
    const wrong = await page.evaluate(async () => (await fetch('/api/stats', { headers: { authorization: 'Bearer from-yesterday' } })).json());
    assert.match((wrong as { error: string }).error, /is not this inspector's/);
    await page.close();
  });

  it('uses the token from the link for REST and the live stream, and takes it out of the address bar', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${proxy.uiUrl}/?token=${token}`);
    await page.waitForSelector('[data-row]');
    await page.waitForSelector('.live-status[data-status="live"]');
    assert.doesNotMatch(page.url(), /token=/);
    const top = (await rowIds(page))[0]!;
    await page.waitForFunction((id) => Number((document.querySelector('[data-row]') as HTMLElement).dataset.row) > id, top, { timeout: 30_000 });
    await page.reload();
    await page.waitForSelector('[data-row]');
    assert.equal(await page.$('.banner.fatal'), null, 'the token survives a reload of the tab');
    await page.close();
  });
});
