// What the recording proxy says it has stored (/api/stats), asked until a figure is reached:
// the benchmark waits for recording to catch up, so no figure hides work left undone.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Child } from './processes.ts';

export interface Stats {
  exchanges: number;
  frames: number;
  queued: number;
  unindexed: number;
  journaled: number;
  dropped: { exchanges: number; frames: number };
}

async function stats(proxy: Child): Promise<Stats> {
  const response = await fetch(`${proxy.ui}/api/stats`, { headers: proxy.token ? { authorization: `Bearer ${proxy.token}` } : {} });
  if (!response.ok) throw new Error(`/api/stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Stats;
}

/** Polls /api/stats until `done` holds; the ms it took. */
export async function waitFor(proxy: Child, done: (s: Stats) => boolean, timeoutMs = 300_000): Promise<{ ms: number; stats: Stats }> {
  const started = performance.now();
  for (;;) {
    const s = await stats(proxy);
    if (done(s) || performance.now() - started > timeoutMs) return { ms: performance.now() - started, stats: s };
    await sleep(50);
  }
}
