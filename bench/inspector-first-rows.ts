// The browser half of `npm run bench:inspector`: how long the inspector takes, from
// navigation start, until its traffic list shows rows. The app marks that moment with
// performance.mark('ca2:first-rows'); this reads the mark in a fresh chromium.
//
// Run on its own against a running inspector:
//   npx tsx bench/inspector-first-rows.ts http://127.0.0.1:8081/ [runs]

import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../support/browser.ts';

/** Milliseconds from navigation start until the list first shows rows, in a cold browser profile. */
export async function measureFirstRows(uiUrl: string): Promise<number> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(uiUrl, { waitUntil: 'commit' });
    await page.waitForSelector('[data-row]', { timeout: 60_000 });
    const mark = await page.waitForFunction(() => {
      const entry = performance.getEntriesByName('ca2:first-rows')[0];
      return entry ? entry.startTime : null;
    });
    return (await mark.jsonValue()) as number;
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [uiUrl, runsText = '5'] = process.argv.slice(2);
  if (!uiUrl) {
    process.stderr.write('usage: npx tsx bench/inspector-first-rows.ts UI_URL [RUNS]\n');
    process.exit(2);
  }
  const runs = Math.max(1, Number(runsText) || 5);
  const cpu = cpus();
  process.stdout.write(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, node ${process.version}\n`);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const ms = await measureFirstRows(uiUrl);
    times.push(ms);
    process.stdout.write(`run ${run + 1}: first rows after ${ms.toFixed(0)} ms\n`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(`first rows: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, best ${sorted[0]!.toFixed(0)} ms over ${runs} runs\n`);
}
