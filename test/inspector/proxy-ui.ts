// The inspector in chromium against the real `ca2-inspector proxy` command in front of a
// demo server: for the browser tests that drive traffic through the proxy and watch it
// in the app. The page is open on the printed link (which stores the UI token as a
// cookie) and the live stream is connected.

import type { Page } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../../demo/server.ts';
import { login, tempDb } from '../replay/support.ts';
import { startProxyProcess, type ProxyProcess } from '../../support/proxy-process.ts';
import { launchBrowser, type LaunchedBrowser } from '../../support/browser.ts';

export interface ProxyUi {
  demo: DemoServer;
  proxy: ProxyProcess;
  browser: LaunchedBrowser;
  page: Page;
  /** The proxy, where a ca2 client sends its calls. */
  base: URL;
  /** A demo user's token, logged in through the proxy. */
  token: string;
  /** Errors the page threw, for a test to assert there were none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** `args` go to the proxy after its upstream, database (`db`, else a fresh one), the demo's schema and --quiet. */
export async function openProxyUi(options: { db?: string; args?: string[] } = {}): Promise<ProxyUi> {
  // Stopped in reverse on close, or as soon as a later step fails, so a failed start leaves nothing running.
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const demo = await startDemoServer({ rateLimit: false, billingIntervalMs: 3_600_000 });
    stops.push(() => demo.close());
    const proxy = await startProxyProcess(['--upstream', demo.url.href, '--db', options.db ?? tempDb(), '--proto', 'demo/protos', '--quiet', ...(options.args ?? [])]);
    stops.push(() => proxy.stop());
    const base = new URL(proxy.proxyUrl);
    const token = await login(base);
    const browser = await launchBrowser();
    stops.push(() => browser.close());
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(proxy.uiLink);
    await page.waitForSelector('.live-status[data-status="live"]');
    return { demo, proxy, browser, page, base, token, pageErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
