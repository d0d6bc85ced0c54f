// What an export's recorder records of a batch, kept in memory as storage would read it
// back (storage/rows.ts, flowAsStored), and passed on to the capture's store when there is
// one: the entries and the leak check need no read of what was just written, and a HAR
// export no store at all.

import type { Flow, FlowHead, StoredFrame } from '../model/flow.ts';
import type { RecordSink } from '../recorder/recorder.ts';
import { flowAsStored } from '../storage/rows.ts';
import type { Store } from '../storage/store.ts';

export class RecordedBatch implements RecordSink {
  /** The latest version of each exchange put since the last take, as a store keeps only its last write. */
  private readonly heads = new Map<number, FlowHead>();
  private readonly frames = new Map<number, StoredFrame[]>();
  private nextId = 1;

  constructor(private readonly store: Store | null) {}

  allocateExchangeId(): number {
    return this.store ? this.store.allocateExchangeId() : this.nextId++;
  }

  putExchange(record: FlowHead, options: { fresh?: boolean } = {}): void {
    this.heads.set(record.id, record);
    this.store?.putExchange(record, options);
  }

  putFrame(frame: StoredFrame): void {
    const frames = this.frames.get(frame.exchangeId);
    if (frames) frames.push(frame);
    else this.frames.set(frame.exchangeId, [frame]);
    this.store?.putFrame(frame);
  }

  /** The exchange recorded under `id` as a read of it gives it, forgotten here. */
  take(id: number): Flow {
    const { head, frames } = this.takeRecorded(id);
    return flowAsStored(head, frames);
  }

  /**
   * The exchange recorded under `id` as the recorder gave it, forgotten here: what its rows
   * are written from. Every string and byte a read of the rows gives is one of these.
   */
  takeRecorded(id: number): { head: FlowHead; frames: StoredFrame[] } {
    const head = this.heads.get(id)!;
    const frames = (this.frames.get(id) ?? []).sort((a, b) => a.seq - b.seq);
    this.heads.delete(id);
    this.frames.delete(id);
    return { head, frames };
  }
}
