// Captured exchanges into a store through a Recorder, in one transaction: the path imports,
// capture exports and `open --proto` share, so every exchange is decoded and checked as if
// it had just been recorded.

import type { Codec } from '../proto/codec.ts';
import { Recorder } from '../recorder/recorder.ts';
import { Store, type StoreOptions } from '../storage/store.ts';
import { feedRecorder } from './captured.ts';
import type { Flow } from '../model/flow.ts';
import { contentKey } from './content-key.ts';

/**
 * Nothing is written before commitAll(): no batch limit, no queue limit. The store reads
 * back with `codec`, which should be the one the exchanges are recorded with.
 */
export function openForImport(file: string, codec: Codec, options: Pick<StoreOptions, 'use' | 'onNotice'> = {}): Store {
  return Store.open(file, { ...options, codec, maxBatch: Infinity, maxQueue: Infinity, flushIntervalMs: 2 ** 31 - 1 });
}

export interface RecordResult {
  /** Store ids of the exchanges added, in the order given. */
  ids: number[];
  /** Exchanges left out because the store already held them (or they came twice). */
  duplicates: number;
}

/**
 * Records every flow and commits them all at once; a StorageError leaves the store as
 * it was. Each exchange added keeps its identity as its key. With dedupe (imports), one
 * without an identity gets a content key from its place among `flows`, and one whose
 * key the store already has is left out.
 */
export function recordAll(
  store: Store,
  codec: Codec,
  flows: readonly Flow[],
  options: { dedupe: boolean; progress?: (done: number, total: number) => void },
): RecordResult {
  const recorder = new Recorder(codec, store);
  const seen = new Set<string>();
  const ids: number[] = [];
  let duplicates = 0;
  try {
    flows.forEach((flow, index) => {
      const key = flow.identity ?? (options.dedupe ? contentKey(flow, index) : null);
      if (options.dedupe && key !== null && (seen.has(key) || store.hasContentKey(key))) {
        duplicates++;
      } else {
        const id = feedRecorder(recorder, flow, index);
        if (key !== null) {
          seen.add(key);
          store.putContentKey(id, key);
        }
        ids.push(id);
      }
      options.progress?.(index + 1, flows.length);
    });
  } finally {
    recorder.stop();
  }
  store.commitAll();
  return { ids, duplicates };
}
