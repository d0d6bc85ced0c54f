// One read of the tap ring on the recording thread (app/worker.ts runs it in a
// loop): what it holds goes to the journal (recorder/tap-journal.ts), which tells the
// watchers, if any, and is committed before the read ends, so what a kill -9 can lose
// is what came since the last read.

import type { Store } from '../storage/store.ts';
import type { Recorder } from './recorder.ts';
import type { TapJournal } from './tap-journal.ts';
import type { RingReader } from './tap-ring.ts';

/** Calls taken from the ring per read, so the inspector's requests are served during a flood. */
const CALLS_PER_READ = 2_000;
/**
 * Calls per journal row. A row is made into rows whole, in one transaction with its
 * deletion, so this bounds the longest step of making rows (about 2 ms of /exec calls):
 * the ring is read again between steps.
 */
const JOURNAL_ROW_CALLS = 16;

export interface RecordingParts {
  reader: RingReader;
  recorder: Recorder;
  journal: TapJournal;
  store: Store;
  log: (line: string) => void;
}

/** For tests: smaller journal rows. */
export interface ReadLimits {
  journalRowCalls?: number;
}

/**
 * Reads what waits in the ring (up to CALLS_PER_READ calls), journals it and
 * commits it; whether more waits. `final`, on closing: calls are taken even while writes
 * fail, so that the store counts as dropped what it cannot write, rather than leaving it
 * in the ring uncounted.
 */
export function readRing(parts: RecordingParts, final = false, limits: ReadLimits = {}): boolean {
  const { reader, journal, store } = parts;
  let more: boolean;
  // While writes fail, calls stay in the ring, whose cap and drop counts then apply.
  if (final || !journal.blocked) {
    for (let taken = 0; taken < CALLS_PER_READ; ) {
      const batch = reader.takeRecords(limits.journalRowCalls ?? JOURNAL_ROW_CALLS);
      if (batch === null) break;
      journal.put(batch.records, batch.count, batch.ends);
      taken += batch.count;
    }
    more = reader.waiting();
  } else {
    more = false;
  }
  // Now rather than on the store's timer; while writes fail, only that timer retries.
  if (!store.writesFailing) store.flush();
  const dropped = reader.takeDropped();
  if (dropped.exchanges) store.noteDropped('exchanges', dropped.exchanges);
  if (dropped.frames) store.noteDropped('frames', dropped.frames);
  return more;
}
