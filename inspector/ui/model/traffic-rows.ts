// The rows of the traffic list and the live tail over them.
//
// Rows are kept newest first (highest id first), as REST pages them, so new live rows
// go on top. While the tail is paused (the user scrolled away from the top or has a
// row selected) new rows wait in `pending` so nothing moves under the user's eyes;
// updates to rows already shown are applied in place because they move nothing.

import { countFrame } from '../../../model/live-batch.ts';
import type { ExchangeSummary, LiveBatch } from '../../../model/types.ts';

export type RowPredicate = (summary: ExchangeSummary) => boolean;

export class TrafficRows {
  /** Shown rows, strictly decreasing ids. */
  rows: ExchangeSummary[] = [];
  /** New rows that arrived while paused, by id. */
  private readonly pending = new Map<number, ExchangeSummary>();
  private paused = false;
  /** Bumped on every change so a view can tell it must re-render. */
  version = 0;

  get pendingCount(): number {
    return this.pending.size;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Position of `id` in rows, or -1. Binary search over the decreasing ids. */
  indexOf(id: number): number {
    let low = 0;
    let high = this.rows.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const midId = this.rows[mid]!.id;
      if (midId === id) return mid;
      if (midId > id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  get(id: number): ExchangeSummary | undefined {
    const index = this.indexOf(id);
    return index >= 0 ? this.rows[index] : this.pending.get(id);
  }

  /** Replaces everything, e.g. with the first page after the filter changed. */
  reset(rows: ExchangeSummary[]): void {
    this.rows = [...rows].sort((a, b) => b.id - a.id);
    this.pending.clear();
    this.version++;
  }

  /** Adds an older page below the rows; rows already present (from the live stream) are kept as they are. */
  appendOlder(items: ExchangeSummary[]): void {
    let changed = false;
    for (const item of items) {
      if (this.indexOf(item.id) >= 0 || this.pending.has(item.id)) continue;
      this.insertSorted(item);
      changed = true;
    }
    if (changed) this.version++;
  }

  /**
   * Applies a live batch. Summaries that fail `matches` are dropped (and removed when
   * shown, since the update made them leave the filter). Frames of exchanges without a
   * summary in the batch are counted into the row held, shown or pending.
   */
  applyLive(batch: LiveBatch, matches: RowPredicate): void {
    const summarized = new Set<number>();
    const fresh = new Map<number, ExchangeSummary>();
    for (const summary of batch.exchanges) {
      summarized.add(summary.id);
      this.place(summary, matches, fresh);
    }
    this.insertMany(fresh);
    for (const event of batch.frames) {
      if (summarized.has(event.exchangeId)) continue;
      const index = this.indexOf(event.exchangeId);
      if (index >= 0) this.rows[index] = countFrame(this.rows[index]!, event);
      else {
        const held = this.pending.get(event.exchangeId);
        if (held) this.pending.set(held.id, countFrame(held, event));
      }
    }
    if (batch.exchanges.length > 0 || batch.frames.length > 0) this.version++;
  }

  /**
   * Applies rows read from storage after live events may have been missed (at connect).
   * Storage lags the live stream, so a stored row does not take back what the live one
   * already shows: an end, or frames.
   */
  applyStored(items: ExchangeSummary[], matches: RowPredicate): void {
    const fresh = new Map<number, ExchangeSummary>();
    for (const stored of items) {
      const held = this.get(stored.id);
      if (held) {
        const behind = (held.state !== 'pending' && stored.state === 'pending') || stored.frames < held.frames;
        if (!behind) this.place(stored, matches, fresh);
      } else if (matches(stored)) {
        // Only a row above the newest shown one waits while paused; others fill in where they belong.
        if (this.paused && this.rows.length > 0 && stored.id > this.rows[0]!.id) this.pending.set(stored.id, stored);
        else fresh.set(stored.id, stored);
      }
    }
    this.insertMany(fresh);
    if (items.length > 0) this.version++;
  }

  /**
   * The server's answer to which of `ids` the filter selects now, for filters a summary
   * cannot answer (field: terms): `matching` join or update the rows as stored rows do, the
   * other ids leave.
   */
  applyChecked(ids: readonly number[], matching: ExchangeSummary[]): void {
    const selected = new Set(matching.map((s) => s.id));
    for (const id of ids) {
      if (selected.has(id)) continue;
      const index = this.indexOf(id);
      if (index >= 0) this.rows.splice(index, 1);
      this.pending.delete(id);
    }
    this.applyStored(matching, () => true);
    this.version++;
  }

  /** Pauses or resumes the tail; resuming shows what was pending. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) this.flushPending();
    this.version++;
  }

  /** Shows the pending rows now, paused or not ("N new" was clicked). */
  flushPending(): void {
    if (this.pending.size === 0) return;
    this.insertMany(this.pending);
    this.pending.clear();
    this.version++;
  }

  /** Updates a row in place, or holds a new one in `pending` (paused) or in `fresh`, to be inserted at once. */
  private place(summary: ExchangeSummary, matches: RowPredicate, fresh: Map<number, ExchangeSummary>): void {
    const index = this.indexOf(summary.id);
    if (!matches(summary)) {
      if (index >= 0) this.rows.splice(index, 1);
      this.pending.delete(summary.id);
      fresh.delete(summary.id);
    } else if (index >= 0) this.rows[index] = summary;
    else if (this.paused) this.pending.set(summary.id, summary);
    else fresh.set(summary.id, summary);
  }

  /** New rows are nearly always newer than every shown one: one concatenation, not one shift of every row each. */
  private insertMany(summaries: ReadonlyMap<number, ExchangeSummary>): void {
    if (summaries.size === 0) return;
    const fresh = [...summaries.values()].sort((a, b) => b.id - a.id);
    if (this.rows.length === 0 || fresh[fresh.length - 1]!.id > this.rows[0]!.id) this.rows = fresh.concat(this.rows);
    else for (const summary of fresh) this.insertSorted(summary);
  }

  private insertSorted(summary: ExchangeSummary): void {
    const rows = this.rows;
    if (rows.length === 0 || summary.id > rows[0]!.id) {
      rows.unshift(summary);
      return;
    }
    if (summary.id < rows[rows.length - 1]!.id) {
      rows.push(summary);
      return;
    }
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (rows[mid]!.id > summary.id) low = mid + 1;
      else high = mid;
    }
    if (rows[low]?.id === summary.id) rows[low] = summary;
    else rows.splice(low, 0, summary);
  }
}
