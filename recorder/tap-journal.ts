// The tap journal: while nobody watches the traffic live, the recorder keeps tap calls
// as the raw bytes they crossed the ring in, a batch per row, and makes them into
// exchange and frame rows when it is idle, before any read, or once a browser connects.
// Under load that is one insert per batch instead of the decoding, summary columns and
// eight indexes of every exchange, on a thread that shares the CPU with forwarding;
// what is journaled is on disk as soon as any row is, so kill -9 loses no more.
//
// Calls reach the recorder in the order they were tapped: once one is journaled, every
// later one is too, until the journal is empty again. The journal notes which exchange
// row each flow open in the recorder has, in the commit of its first row and in each
// commit that makes journal rows into exchange rows: so after a crash a fresh recorder
// takes those flows up from their rows (a client holding /ws across the journal, say)
// and replays what is left of the journal exactly.

import type { Codec } from '../proto/codec.ts';
import type { Dropped, Store } from '../storage/store.ts';
import { Recorder } from './recorder.ts';
import { journalCalls, type TapCall } from './tap-ring.ts';

/** Journal rows made into rows per transaction: a row is one read of the ring, at most a few thousand calls. */
const EXPAND_ROWS = 8;

export interface TapJournalOptions {
  /** How long the tap must be quiet before the journal is made into rows (ms). */
  idleAfterMs?: number;
  /** Past this many journaled calls, rows are also made between batches, so the journal cannot grow without end under load. */
  maxJournaled?: number;
  log: (line: string) => void;
}

export class TapJournal {
  private readonly idleAfterMs: number;
  private readonly maxJournaled: number;
  private readonly log: (line: string) => void;
  /** Calls journaled and not yet made into rows, as far as this run knows. */
  private waiting = 0;
  private lastPutAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly recorder: Recorder,
    options: TapJournalOptions,
  ) {
    this.idleAfterMs = options.idleAfterMs ?? 100;
    this.maxJournaled = options.maxJournaled ?? 50_000;
    this.log = options.log;
    store.onBeforeRead(() => this.expandAll());
  }

  /**
   * Rows an earlier run journaled and never made into rows (it was killed): made now,
   * with a recorder of their own since their flow ids are that run's, and the exchanges
   * they leave open recorded as interrupted. Returns how many calls there were.
   */
  static recover(store: Store, codec: Codec, log: (line: string) => void): number {
    const journaled = store.stats().journaled;
    if (journaled === 0) return 0;
    const recorder = new Recorder(codec, store);
    for (const [flowId, exchangeId] of store.journalOpenFlows()) {
      const stored = store.storedRecord(exchangeId);
      if (stored === null) log(`recording: exchange ${exchangeId}, open as the journal was written, has no row; the journal's later calls on it are skipped.`);
      else recorder.adopt(flowId, stored.record, stored.frames);
    }
    const journal = new TapJournal(store, recorder, { log });
    journal.expandAll();
    recorder.abandonOpen();
    recorder.stop();
    journal.stop();
    store.flush();
    return journaled;
  }

  /** Whether calls should be journaled rather than recorded now: calls journaled earlier still wait, or nobody watches. */
  defers(): boolean {
    return this.waiting > 0 || !this.recorder.anyoneListening();
  }

  /** Whether taking more from the ring would only pile up in memory: writes fail, so the ring's own cap should apply. */
  get blocked(): boolean {
    return this.store.writesFailing;
  }

  put(records: Uint8Array, calls: number, ends: Dropped): void {
    if (this.waiting === 0) this.noteOpenFlows();
    this.store.putJournal(records, calls, ends);
    this.waiting += calls;
    this.lastPutAt = Date.now();
    if (this.waiting > this.maxJournaled) this.expandAll();
    this.schedule(this.idleAfterMs);
  }

  /**
   * Makes every journaled call into rows, oldest first, a few journal rows at a time: each
   * few in one transaction with their deletion and a new note of the open flows, so a
   * crash leaves the rest journaled with what recovering it needs, and memory holds only
   * those few rows' records rather than a whole burst's.
   */
  expandAll(): void {
    for (;;) {
      const rows = this.store.journalRows(EXPAND_ROWS);
      // While writes fail, the rows (written or still queued) wait for a retry.
      if (rows === null) return this.schedule(this.idleAfterMs);
      if (rows.length === 0) break;
      this.store.atomically(() => {
        for (const entry of rows) this.replayRow(entry.seq, entry.records);
        this.noteOpenFlows();
      });
      if (this.store.writesFailing) return this.schedule(this.idleAfterMs);
    }
    this.waiting = 0;
  }

  stop(): void {
    this.stopped = true;
    this.store.onBeforeRead(null);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** What recovering the journal from here would need: the row each flow open in the recorder has. */
  private noteOpenFlows(): void {
    this.store.putJournalOpenFlows(this.recorder.openFlowRows());
  }

  private replayRow(seq: number, records: Uint8Array): void {
    let calls = 0;
    try {
      for (const call of journalCalls(records)) {
        replayCall(this.recorder, call, this.log);
        calls++;
      }
    } catch (err) {
      // A row that cannot be read would block every read after it: what it held past the damage is given up.
      this.log(`recording: journal row ${seq} is damaged after ${calls} tap calls (${(err as Error).message}); the rest of it was dropped.`);
    }
    this.store.journalDone(seq);
  }

  /** When the tap has been quiet for idleAfterMs. */
  private schedule(delayMs: number): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const quietFor = Date.now() - this.lastPutAt;
      if (quietFor < this.idleAfterMs) return this.schedule(this.idleAfterMs - quietFor);
      if (this.waiting > 0) this.expandAll();
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * For readers of a recording (list, export, mock, import): makes a journal whose run
 * stopped without closing into rows first, so what it recorded is not missing. Says so
 * through `notice` when there was one.
 */
export function recoverOrphanedJournal(store: Store, codec: Codec, notice: (line: string) => void): void {
  if (!store.orphanedJournal()) return;
  try {
    if (!store.claimOrphanedJournal()) return;
  } catch {
    // Locked by a writer, or read-only: it is left for whoever can write it.
    return;
  }
  try {
    const calls = TapJournal.recover(store, codec, notice);
    if (calls > 0) notice(recoveredNotice(store.file, calls));
  } finally {
    store.releaseJournal();
  }
}

export function recoveredNotice(file: string, calls: number): string {
  return `${file}: made ${calls} tap calls that a run journaled but never stored (it stopped without closing) into rows; the exchanges it left open are marked interrupted.`;
}

/** Hands one tap call to the recorder; one that fails is said and skipped, never thrown. */
export function replayCall(recorder: Recorder, call: TapCall, log: (line: string) => void): void {
  const hook = recorder[call.hook] as ((...args: unknown[]) => void) | undefined;
  try {
    hook?.apply(recorder, call.args);
  } catch (err) {
    log(`recording: ${call.hook} failed and was skipped: ${(err as Error).message}`);
  }
}
