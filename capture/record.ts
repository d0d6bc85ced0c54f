// Captured exchanges into a store through a Recorder: the path imports, capture exports,
// replays copying their originals and `open --proto` share, so every exchange is decoded
// and checked as if it had just been recorded. Flows are taken one at a time and written
// a batch at a time, so memory holds one batch whatever the number of exchanges.

import type { Codec } from '../proto/codec.ts';
import { Recorder } from '../recorder/recorder.ts';
import { Store, type StoreOptions } from '../storage/store.ts';
import { feedRecorder } from './captured.ts';
import type { Flow } from '../model/flow.ts';
import { contentKey } from './content-key.ts';

/** Exchanges written to SQLite at once: large enough that a commit costs little beside them, small enough to hold. */
export const RECORD_BATCH = 500;

/** Nothing is written before commitAll(): no batch limit, no queue limit. The store reads back with `codec`, which should be the one the exchanges are recorded with. */
export function openForImport(file: string, codec: Codec, options: Pick<StoreOptions, 'use' | 'onNotice' | 'cacheBytes' | 'scratch' | 'freshLoad'> = {}): Store {
  return Store.open(file, { ...options, codec, maxBatch: Infinity, maxQueue: Infinity, flushIntervalMs: 2 ** 31 - 1 });
}

/**
 * Records flows into a store one at a time; the caller commits (store.commitAll()). Each
 * exchange added keeps its identity as its key. With dedupe (imports), one without an
 * identity gets a content key from its place among the flows, and one whose key the store
 * already has, or that came before in this batch, is left out.
 */
export class FlowRecorder {
  private readonly recorder: Recorder;
  /** Keys put since the last commit, which the store cannot find yet. */
  private readonly uncommitted = new Set<string>();
  duplicates = 0;

  constructor(
    private readonly store: Store,
    codec: Codec,
    private readonly dedupe: boolean,
  ) {
    this.recorder = new Recorder(codec, store);
  }

  /** The id the flow was stored under, or null when it was left out as already there. `position` is its place in its file. */
  add(flow: Flow, position: number): number | null {
    const key = flow.identity ?? (this.dedupe ? contentKey(flow, position) : null);
    if (this.dedupe && key !== null && (this.uncommitted.has(key) || this.store.hasContentKey(key))) {
      this.duplicates++;
      return null;
    }
    const id = feedRecorder(this.recorder, flow, position);
    if (key !== null) {
      this.uncommitted.add(key);
      this.store.putContentKey(id, key);
    }
    return id;
  }

  /** Writes what is queued; the keys are then the store's to find. */
  commit(): void {
    this.store.commitAll();
    this.uncommitted.clear();
  }

  stop(): void {
    this.recorder.stop();
  }
}

export interface RecordResult {
  /** Store ids of the exchanges added, in the order given. */
  ids: number[];
  /** Exchanges left out because the store already held them (or they came twice). */
  duplicates: number;
}

/**
 * Records every flow, written a batch at a time in one transaction: all of them or, when
 * reading a flow or writing fails (a SourceError, a StorageError), none. `added` is told of
 * each exchange stored, `read` after each flow taken.
 */
export function recordFlows(
  store: Store,
  codec: Codec,
  flows: Iterable<Flow>,
  options: { dedupe: boolean; added?: (id: number) => void; read?: () => void },
): { added: number; duplicates: number } {
  const recorder = new FlowRecorder(store, codec, options.dedupe);
  let added = 0;
  try {
    store.allOrNothing(() =>
      store.bulkLoad(() => {
        let position = 0;
        for (const flow of flows) {
          const id = recorder.add(flow, position++);
          if (id !== null) {
            added++;
            options.added?.(id);
          }
          if (position % RECORD_BATCH === 0) recorder.commit();
          options.read?.();
        }
        recorder.commit();
      }),
    );
  } finally {
    recorder.stop();
  }
  return { added, duplicates: recorder.duplicates };
}

/** recordFlows, keeping the ids added: for a few exchanges, such as those a replay copies. */
export function recordAll(store: Store, codec: Codec, flows: Iterable<Flow>, options: { dedupe: boolean }): RecordResult {
  const ids: number[] = [];
  const { duplicates } = recordFlows(store, codec, flows, { ...options, added: (id) => ids.push(id) });
  return { ids, duplicates };
}
