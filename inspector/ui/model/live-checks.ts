// For a filter the summaries cannot answer (field: terms test the decoded messages): the
// exchanges the live stream reports as new or changed are asked about, a batch of ids at a
// time, and the server's answer (GET /api/exchanges?filter=…&ids=…) decides which rows show.
// One question is out at a time; ids reported meanwhile wait for the next, so a busy stream
// costs the server one decode per changed exchange per answer, not one query per event.

import type { ExchangeSummary, LiveBatch } from '../../../model/types.ts';

/** As many as a REST page holds. */
export const maxIdsPerCheck = 1000;

export interface CheckAnswer {
  ids: readonly number[];
  /** Those of `ids` the filter selects, as stored now. */
  matching: ExchangeSummary[];
}

export class LiveChecks {
  private readonly waiting = new Set<number>();
  private asking = false;
  private generation = 0;

  constructor(
    /** Which of `ids` the filter applied now selects. */
    private readonly ask: (ids: number[]) => Promise<ExchangeSummary[]>,
    private readonly answered: (answer: CheckAnswer) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** The exchanges a live batch changed: its summaries, and those its frames belong to. */
  add(batch: LiveBatch): void {
    for (const summary of batch.exchanges) this.waiting.add(summary.id);
    for (const event of batch.frames) this.waiting.add(event.exchangeId);
    this.next();
  }

  /** The filter changed: what waits and what is out are for the old one. */
  reset(): void {
    this.waiting.clear();
    this.generation++;
  }

  private next(): void {
    if (this.asking || this.waiting.size === 0) return;
    const ids = [...this.waiting].slice(0, maxIdsPerCheck);
    for (const id of ids) this.waiting.delete(id);
    const generation = this.generation;
    this.asking = true;
    this.ask(ids).then(
      (matching) => {
        this.asking = false;
        if (generation === this.generation) this.answered({ ids, matching });
        this.next();
      },
      (err: unknown) => {
        this.asking = false;
        if (generation !== this.generation) return;
        // Asked again with the next batch, not at once: the server may be gone.
        for (const id of ids) this.waiting.add(id);
        this.failed(err);
      },
    );
  }
}
