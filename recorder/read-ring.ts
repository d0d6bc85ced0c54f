// One read of the tap ring on the recording thread (app/worker.ts runs it in a
// loop): what it holds goes to the recorder as it comes, or to the journal
// (recorder/tap-journal.ts), and is committed before the read ends, so what a kill -9
// can lose is what came since the last read (and never a backlog the recorder could not
// keep up with).

import type { Store } from '../storage/store.ts';
import { replayCall, type Recorder } from './recorder.ts';
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
/**
 * While someone watches, how long one read may spend recording calls as they come. What
 * is left then goes to the journal, committed with this read: a recorder that cannot keep
 * up leaves its backlog on disk, made into rows in steps as it can, never in the ring.
 */
const LIVE_TURN_MS = 5;
/** Calls recorded between looks at the clock during LIVE_TURN_MS. */
const LIVE_CALLS_PER_LOOK = 16;

export interface RecordingParts {
  reader: RingReader;
  recorder: Recorder;
  journal: TapJournal;
  store: Store;
  log: (line: string) => void;
}

/** For tests: smaller journal rows, and no clock on the live path so that what is journaled does not depend on speed. */
export interface ReadLimits {
  journalRowCalls?: number;
  liveTurnMs?: number;
}

/**
 * Reads what waits in the ring (up to CALLS_PER_READ calls), records or journals it and
 * commits it; whether more waits. `final`, on closing: calls are taken even while writes
 * fail, so that the store counts as dropped what it cannot write, rather than leaving it
 * in the ring uncounted.
 */
export function readRing(parts: RecordingParts, final = false, limits: ReadLimits = {}): boolean {
  const { reader, recorder, journal, store, log } = parts;
  let more = true;
  if (!journal.defers()) {
    const until = performance.now() + (limits.liveTurnMs ?? LIVE_TURN_MS);
    while ((more = reader.drain((call) => replayCall(recorder, call, log), LIVE_CALLS_PER_LOOK)) && performance.now() < until);
  }
  // While writes fail, calls stay in the ring, whose cap and drop counts then apply.
  if (more && (final || !journal.blocked)) {
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
