// The live half of `npm run bench:inspector`: the inspector open in chromium while about
// 1,500 exchanges a second (and a WebSocket's frames) go into its live stream, and how
// long the page's animation frames take meanwhile. Target: p95 under 50 ms.
//
// The summaries go straight into the inspector server's live stream, as the recorder
// would hand them over, so the figures are the browser's and the stream's, not the
// proxy's or the recorder's.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExchangeSummary, WsFrame } from '../model/types.ts';
import { startInspectorServer } from '../inspector/server/app.ts';
import { Store } from '../storage/store.ts';
import { random } from '../support/sample-traffic.ts';
import { launchBrowser } from '../support/browser.ts';

export interface LiveResult {
  exchangesPerSecond: number;
  framesPerSecond: number;
  /** Animation frames sampled in the page while the flood ran. */
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Share of the sampled frames that took longer than 50 ms. */
  over50: number;
  rowsShown: number;
}

const operations = [['instances', 'list'], ['instances', 'create'], ['billing', 'balance'], ['utils', 'ping'], ['domains', 'check']];
const errorNames = ['SE_RATE_LIMIT_EXCEEDED_ERROR', 'SE_EXPIRED_TOKEN_ERROR', 'SE_INTERNAL_SERVER_ERROR'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Seconds of flood before sampling starts, so the page's first compilation and layouts are not counted. */
const warmUpSeconds = 2;

export async function measureLiveFlood(options: { rate?: number; framesPerSecond?: number; seconds?: number } = {}): Promise<LiveResult> {
  const rate = options.rate ?? 1500;
  const frameRate = options.framesPerSecond ?? 200;
  const seconds = options.seconds ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'ca2-bench-live-'));
  const store = Store.open(join(dir, 'live.sqlite'));
  const token = 'bench-live-token';
  const server = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token, log: () => undefined });
  const browser = await launchBrowser();
  const rng = random(7);
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${server.address.port}/?token=${token}`);
    await page.waitForSelector('.live-status[data-status="live"]');

    let id = 0;
    const started = Date.now();
    const summary = (fields: Partial<ExchangeSummary>): ExchangeSummary => {
      const [service, operation] = operations[Math.floor(rng() * operations.length)]!;
      return {
        id: ++id, kind: 'exec', startedAt: new Date().toISOString(), durationMs: 1 + rng() * 20, method: 'POST', path: '/exec',
        status: 200, service, operation, trx: `${Math.floor(rng() * 2 ** 32).toString(16)}-bench`, errors: rng() < 0.1 ? [errorNames[Math.floor(rng() * errorNames.length)]!] : [],
        requestSize: 60 + Math.floor(rng() * 200), responseSize: 80 + Math.floor(rng() * 600), frames: 0, problems: [], state: 'complete',
        token: { sub: 'usr_bench', prefix: 'eyJhbGciOiJI', exp: Math.floor(started / 1000) + 3600 }, replayOf: null, rules: [], ...fields,
      };
    };
    const ws = summary({ kind: 'ws', method: 'GET', path: '/ws', status: 101, service: null, operation: null, trx: null, errors: [], durationMs: null, state: 'pending', requestSize: 300, responseSize: 130 });
    server.live.exchange(ws);
    let seq = 0;
    const frame = (): WsFrame => ({
      seq: ++seq, direction: 'server', at: new Date().toISOString(), opcode: 2, size: 48, body: Buffer.alloc(48, 7).toString('base64'),
      decoded: { json: { billing: { balance: { amount: String(Math.floor(rng() * 1e6)), currency: 'credits' } } }, summary: { service: 'billing', operation: 'balance', errors: [] }, problems: [] },
      truncated: false,
    });

    // A string, not a function: tsx's name helpers do not exist in the page.
    const startSampling = `(() => {
      window.frameTimes = [];
      window.sampling = true;
      let last = performance.now();
      const tick = (now) => {
        window.frameTimes.push(now - last);
        last = now;
        if (window.sampling) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`;

    let sentExchanges = 0;
    let sentFrames = 0;
    let sampling = false;
    const floodStart = Date.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = (Date.now() - floodStart) / 1000;
        if (!sampling && elapsed >= warmUpSeconds) {
          sampling = true;
          void page.evaluate(startSampling);
        }
        while (sentExchanges < rate * elapsed) {
          server.live.exchange(summary({}));
          sentExchanges++;
        }
        while (sentFrames < frameRate * elapsed) {
          server.live.frame(ws.id, frame());
          sentFrames++;
        }
        if (elapsed >= warmUpSeconds + seconds) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const elapsed = (Date.now() - floodStart) / 1000;
    const times = (await page.evaluate('window.sampling = false, window.frameTimes.slice(1)')) as number[];
    // The list must have kept up: its newest row is among the last exchanges sent.
    await page.waitForFunction((newest) => Number((document.querySelector('[data-row]') as HTMLElement | null)?.dataset.row) >= newest - 200, id, { timeout: 10_000 });
    const rowsShown = await page.evaluate(() => Number(/([\d,]+) rows? loaded/.exec(document.querySelector('.traffic-status')?.textContent ?? '')?.[1]?.replace(/,/g, '') ?? 0));
    const sorted = [...times].sort((a, b) => a - b);
    return {
      exchangesPerSecond: sentExchanges / elapsed,
      framesPerSecond: sentFrames / elapsed,
      samples: sorted.length,
      medianMs: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      maxMs: sorted[sorted.length - 1] ?? 0,
      over50: sorted.filter((ms) => ms > 50).length / Math.max(1, sorted.length),
      rowsShown,
    };
  } finally {
    await browser.close();
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
