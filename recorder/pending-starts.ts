// The starts the worker bridge holds back (see SEND_START_AFTER_MS in worker-bridge.ts):
// oldest first, so the due ones are taken from the front, and found by flow id when their
// exchange ends first, which is what most do.
//
// Not a Map: a hash table of in-flight flows, one insert and one delete per exchange,
// made about 360 KB of every young-generation collection survive into the old one under
// the bench's load (--trace-gc-nvp). V8 copies a table as it grows and rehashes, and a
// stale copy that has reached the old generation keeps what it held alive until the next
// full collection. Here a slot is cleared when its start is taken, and the arrays are
// compacted in place, so nothing taken stays referenced.

import type { TappedFlow } from '../proxy/tap.ts';

/** Compact once this many slots at the front are spent, and they are at least half the arrays. */
const COMPACT_AFTER = 1024;

export class PendingStarts {
  /** Flow ids in ascending order (the tap reports starts in id order), kept when a slot is cleared. */
  private readonly ids: number[] = [];
  private readonly flows: (TappedFlow | null)[] = [];
  /** Slots before this one are all spent. */
  private head = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Ids must rise from call to call, as the proxy's tap reports starts (FlowTracker numbers them). */
  add(flow: TappedFlow): void {
    this.ids.push(flow.id);
    this.flows.push(flow);
    this.live++;
  }

  /** Takes the flow's start if it is still held back. */
  take(id: number): TappedFlow | null {
    const at = this.search(id);
    const flow = at < this.ids.length && this.ids[at] === id ? this.flows[at] : null;
    if (!flow) return null;
    this.flows[at] = null;
    this.live--;
    this.trim();
    return flow;
  }

  /** Takes every start made at or before `due` (ms epoch), oldest first. */
  takeDue(due: number): TappedFlow[] {
    const out: TappedFlow[] = [];
    while (this.head < this.ids.length) {
      const flow = this.flows[this.head];
      if (flow !== null && flow !== undefined) {
        if (flow.startedAt > due) break;
        out.push(flow);
        this.flows[this.head] = null;
        this.live--;
      }
      this.head++;
    }
    this.trim();
    return out;
  }

  /** The first slot at or after head whose id is not below `id`. */
  private search(id: number): number {
    let low = this.head;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ids[mid]! < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private trim(): void {
    while (this.head < this.ids.length && this.flows[this.head] === null) this.head++;
    if (this.head === this.ids.length) {
      this.ids.length = 0;
      this.flows.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.ids.length) {
      // In place: a new array would leave the old one holding what it held.
      this.ids.copyWithin(0, this.head);
      this.flows.copyWithin(0, this.head);
      this.ids.length -= this.head;
      this.flows.length -= this.head;
      this.head = 0;
    }
  }
}
