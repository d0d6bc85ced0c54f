// Collecting live events into one LiveBatch: the inspector server does it per send
// interval, the browser per animation frame, with the same rule, so a WebSocket row's
// frame count and sizes stay right although the recorder re-announces a summary only
// when something other than the count changes.

import type { ExchangeSummary, LiveBatch, LiveFrame } from './types.ts';

/** The summary with one more frame: client frames count toward the request, server frames toward the response. */
export function countFrame(summary: ExchangeSummary, { frame }: LiveFrame): ExchangeSummary {
  return {
    ...summary,
    frames: summary.frames + 1,
    requestSize: summary.requestSize + (frame.direction === 'client' ? frame.size : 0),
    responseSize: summary.responseSize + (frame.direction === 'server' ? frame.size : 0),
  };
}

export class LiveBatchBuilder {
  private exchanges = new Map<number, ExchangeSummary>();
  private frames: LiveFrame[] = [];

  get isEmpty(): boolean {
    return this.exchanges.size === 0 && this.frames.length === 0;
  }

  /** Adds a later batch: its summaries replace earlier ones, and its uncounted frames are counted into a summary held here. */
  add(batch: LiveBatch): void {
    for (const summary of batch.exchanges) this.exchanges.set(summary.id, summary);
    const summarized = batch.exchanges.length > 0 ? new Set(batch.exchanges.map((s) => s.id)) : null;
    for (const event of batch.frames) {
      this.frames.push(event);
      if (summarized?.has(event.exchangeId)) continue;
      const held = this.exchanges.get(event.exchangeId);
      if (held) this.exchanges.set(held.id, countFrame(held, event));
    }
  }

  exchange(summary: ExchangeSummary): void {
    this.exchanges.set(summary.id, summary);
  }

  frame(event: LiveFrame): void {
    this.add({ exchanges: [], frames: [event] });
  }

  /** The batch so far; the builder starts empty again. */
  take(): LiveBatch {
    const batch = { exchanges: [...this.exchanges.values()], frames: this.frames };
    this.exchanges = new Map();
    this.frames = [];
    return batch;
  }
}
