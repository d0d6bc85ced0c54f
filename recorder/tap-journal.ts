// The tap journal: the recorder keeps tap calls as the raw bytes they crossed the ring
// in, a batch per row, and makes them into exchange and frame rows once the tap is quiet,
// or when a reader asks for rows (a browser connecting reads at once) while traffic is
// light, or someone waits for them (an export). Under load that is
// one insert per batch instead of the decoding, summary columns and eight indexes of
// every exchange, on a thread that shares the CPU with forwarding; what is journaled is
// on disk as soon as any row is, so kill -9 loses no more.
//
// On a machine whose cores the proxy, its client and its server share, making rows costs
// forwarding a quarter of its throughput, whenever it is done: so it waits for a pause,
// up to a cap on what may wait (a quick exchange is one call: about two minutes of the
// bench's saturating load, and about a minute to store), and past that it is paid as
// calls arrive, a few journal rows at a time. A large journal is made into rows in steps
// of a few milliseconds, one per turn of the event loop, so the ring keeps being read
// and the inspector answers meanwhile.
//
// Each row carries the ids of the exchanges it begins, reserved as it is written
// (recorder/journal-ids.ts): reads list and open journaled exchanges from the journal
// itself by those ids (recorder/journal-view.ts), so a read never waits for rows to be
// made; it only has them made in the background from then on, unless traffic is heavy.
//
// While someone watches (the terminal printer, a browser), the calls are journaled all
// the same, and summarised for the watchers from the raw calls as they are journaled
// (recorder/live-calls.ts); making them into rows later tells the watchers nothing more.
//
// Calls reach the recorder in the order they were tapped. The journal notes which
// exchange row each flow open in the recorder has, in the commit of its first row and in
// each commit that makes journal rows into exchange rows: so after a crash a fresh
// recorder takes those flows up from their rows (a client holding /ws across the
// journal, say) and replays what is left of the journal exactly.
//
// A file may outlive the build that journaled into it: journal rows whose tap calls are
// of another version (recorder/tap-codec.ts) are left in the file as they are, with
// their own note of open flows, for the ca2-inspector that reads them, and said.

import type { Codec } from '../proto/codec.ts';
import type { Dropped } from '../model/types.ts';
import { countOf } from '../model/format.ts';
import { StorageError, type JournalEntry, type JournalReads, type OpenFlowRow, type Store } from '../storage/store.ts';
import { JournalIds } from './journal-ids.ts';
import { JournalView } from './journal-view.ts';
import { LiveCalls } from './live-calls.ts';
import { Recorder, replayCall } from './recorder.ts';
import { journalCalls, journalVersion, TAP_CALL_VERSION } from './tap-codec.ts';

/** Journal rows read ahead from the file, to be made into rows over the next steps (a row is a few dozen calls). */
const READ_AHEAD_ROWS = 8;
/**
 * How long one step of making rows goes on taking the next journal row, in one
 * transaction: the worker reads the ring between steps, so this bounds how long tap
 * calls wait there.
 */
const STEP_MS = 5;
/**
 * Past this many calls a second, a read no longer has the journal made into rows while
 * traffic flows: making a call into rows costs this thread 30-46 µs, so at line rate one
 * read (a browser opened or clicked during a burst) took a third of forwarding's
 * throughput for the rest of the burst. The read is answered from the journal in place,
 * and rows wait for a pause, as with nobody reading. Below it (a client polling), a read
 * still has rows made as traffic goes on, for a few percent of a core at most.
 */
const HEAVY_CALLS_PER_SECOND = 1_000;
/** After a failed write, how long before making rows is tried again (the store retries its queue meanwhile). */
const RETRY_MS = 250;

export interface TapJournalOptions {
  /** How long the tap must be quiet before the journal is made into rows (ms). */
  idleAfterMs?: number;
  /** Past this many journaled calls, rows are also made as calls arrive, so the journal cannot grow without end under load. */
  maxJournaled?: number;
  /** Past this many journaled calls, the terminal says when storing them begins and when it ends (a long burst). */
  readWaitCalls?: number;
  log: (line: string) => void;
}

/** What recovering a journal a run left did: the calls it stored, and a sentence for each version of rows it left for another ca2-inspector. */
export interface Recovered {
  stored: number;
  kept: string[];
}

export class TapJournal implements JournalReads {
  private readonly idleAfterMs: number;
  private readonly maxJournaled: number;
  private readonly readWaitCalls: number;
  private readonly log: (line: string) => void;
  /** Calls journaled and not yet made into rows, as far as this run knows. */
  private waiting = 0;
  private lastPutAt = 0;
  /** Calls put in the current second of traffic and in the one before it: how heavy the traffic is. */
  private secondStartedAt = 0;
  private callsThisSecond = 0;
  private callsLastSecond = 0;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** Journal rows read from the file and not yet made into rows, oldest first. */
  private ahead: JournalEntry[] = [];
  /** Whether a turn of making rows in the background is scheduled (setImmediate). */
  private turnScheduled = false;
  /** A reader asked for the rows: the background goes on under traffic too, until the journal is empty. */
  private asked = false;
  /** Calls waiting when a large catch-up began, for its notice; 0 when none is under way. */
  private catchingUp = 0;
  /** Calls this journal has made into rows so far: a reader waits for a count, not for an empty journal, which traffic may never leave. */
  private made = 0;
  /** Journal rows of another tap-call version, left in the file, by version. */
  private readonly kept = new Map<number, { rows: number; calls: number }>();
  /** Readers waiting for what was journaled when they asked: until `made` reaches `until`. */
  private readonly waiters: { until: number; resolve: () => void }[] = [];
  private stopped = false;
  /** Shutting down: the ring's last calls are journaled as they are, since finish() decides what is stored in time. */
  private closing = false;
  private readonly ids: JournalIds;
  private readonly live: LiveCalls;

  constructor(
    private readonly store: Store,
    private readonly recorder: Recorder,
    options: TapJournalOptions,
  ) {
    this.idleAfterMs = options.idleAfterMs ?? 100;
    this.maxJournaled = options.maxJournaled ?? 500_000;
    this.readWaitCalls = options.readWaitCalls ?? 50_000;
    this.log = options.log;
    this.ids = new JournalIds(store);
    this.live = new LiveCalls(store, recorder, this.log);
    store.attachJournal(this);
    store.attachJournalFlows(new JournalView(store, recorder.codec, { abandoned: false }));
  }

  /**
   * Rows an earlier run journaled and never made into rows (it was killed): made now,
   * with a recorder of their own since their flow ids are that run's, and the exchanges
   * they leave open recorded as interrupted. Rows another ca2-inspector wrote are left.
   */
  static recover(store: Store, codec: Codec, log: (line: string) => void): Recovered {
    const journaled = store.stats().journaled;
    if (journaled === 0) return { stored: 0, kept: [] };
    const recorder = new Recorder(codec, store);
    for (const [flowId, exchangeId] of store.journalOpenFlows(TAP_CALL_VERSION)) {
      const stored = store.storedFlow(exchangeId);
      if (stored === null) log(`recording: exchange ${exchangeId}, open as the journal was written, has no row; the journal's later calls on it are skipped.`);
      else recorder.adopt(flowId, stored);
    }
    const journal = new TapJournal(store, recorder, { log });
    journal.waiting = journaled;
    journal.expandAll();
    const left = store.stats().journaled;
    if (left > 0) {
      // Left half done, the rest would be replayed on the next recorder, whose flow ids are its own.
      journal.stop();
      throw new StorageError(`Could not store the ${tapCalls(left)} a run left journaled in ${store.file}: writes to it fail. Free the disk or end whoever holds it locked, then try again.`);
    }
    recorder.abandonOpen();
    recorder.stop();
    journal.stop();
    store.flush();
    const kept = [...journal.kept].map(([version, { rows, calls }]) => keptNotice(store.file, version, rows, calls));
    return { stored: journal.made, kept };
  }

  /** Whether taking more from the ring would only pile up in memory: writes fail, so the ring's own cap should apply. */
  get blocked(): boolean {
    return this.store.writesFailing;
  }

  put(records: Uint8Array, calls: number, ends: Dropped): void {
    if (this.waiting === 0) this.ids.start(this.noteOpenFlows());
    const ids = this.ids.row(records);
    this.live.put(records, ids);
    this.store.putJournal(records, calls, ends, ids);
    this.waiting += calls;
    this.lastPutAt = Date.now();
    if (this.lastPutAt - this.secondStartedAt >= 1000) {
      // A second with no calls between counts as none.
      this.callsLastSecond = this.lastPutAt - this.secondStartedAt < 2000 ? this.callsThisSecond : 0;
      this.callsThisSecond = 0;
      this.secondStartedAt = this.lastPutAt;
    }
    this.callsThisSecond += calls;
    // At the cap, each put is paid for by making the oldest few journal rows into rows.
    while (!this.closing && this.waiting > this.maxJournaled && this.expandSome()) {}
    this.scheduleWhenQuiet(this.idleAfterMs);
  }

  /**
   * While calls wait in the journal, the exchange a flow open in them will be stored as:
   * known from the ids its rows reserved, so nobody waits for the journal to be made into
   * rows (under load, up to a minute of calls) to name it. Undefined when the journal
   * holds nothing (the recorder knows every open flow then) or has not begun the flow.
   */
  exchangeOf(flowId: number): number | undefined {
    return this.waiting > 0 ? this.ids.exchangeOf(flowId) : undefined;
  }

  beforeRead(): void {
    if (this.waiting > 0) this.ask();
  }

  stored(): Promise<void> {
    if (this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ until: this.made + this.waiting, resolve });
      this.ask();
    });
  }

  /** Makes every journaled call into rows now, oldest first (on recovery). */
  expandAll(): void {
    if (this.waiting > this.readWaitCalls) this.log(`recording: storing ${tapCalls(this.waiting)} journaled under load before going on.`);
    while (this.expandSome()) {}
  }

  /** Shutdown has begun: what the ring still holds is journaled without storing any of it on the way. */
  beginClose(): void {
    this.closing = true;
  }

  /**
   * On close: stores what the journal holds until `deadline` (ms epoch), so that the file
   * is complete for the next reader. A journal too large for that (a long burst) is left
   * in the file as it is, whole and in order, for the next proxy run on it or a reader to
   * store, as after a crash. Returns how many calls were left.
   */
  finish(deadline: number): number {
    this.closing = true;
    const seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (this.waiting > this.readWaitCalls) this.log(`recording: storing ${tapCalls(this.waiting)} journaled under load before exiting (for at most ${seconds} s; the rest stay in the file).`);
    while (Date.now() < deadline && this.expandSome()) {}
    const left = this.store.stats().journaled;
    if (left > 0 && !this.store.writesFailing) {
      this.log(`recording: ${tapCalls(left)} journaled under load are left in ${this.store.file}; the next proxy run on it stores them (meanwhile list reads them as they are, export, mock and import from a copy).`);
    }
    return left;
  }

  stop(): void {
    this.stopped = true;
    this.store.attachJournal(null);
    this.store.attachJournalFlows(null);
    // Nothing more will be made into rows by this journal: whoever waits reads what there is.
    for (const { resolve } of this.waiters.splice(0)) resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  /**
   * Makes the oldest journal rows into rows for up to STEP_MS (one at least), in one
   * transaction with their deletion and a new note of the open flows, so a crash leaves
   * the rest journaled with what recovering it needs, and memory holds only the rows read
   * ahead. Whether any were made (none: the journal is empty, or writes fail and it waits
   * for a retry).
   */
  private expandSome(): boolean {
    if (this.ahead.length === 0) {
      const rows = this.store.journalRows(READ_AHEAD_ROWS);
      if (rows === null) {
        this.retryLater();
        return false;
      }
      if (rows.length === 0) {
        this.emptied();
        return false;
      }
      this.ahead = rows;
    } else if (this.store.writesFailing) {
      this.retryLater();
      return false;
    }
    const until = performance.now() + STEP_MS;
    let calls = 0;
    let taken = 0;
    this.store.atomically(() => {
      do {
        const entry = this.ahead.shift()!;
        if (this.replayRow(entry)) calls += entry.calls;
        taken += entry.calls;
      } while (this.ahead.length > 0 && performance.now() < until);
      this.noteOpenFlows();
    });
    // Replayed either way: a failed commit stays queued in the store, which retries it.
    this.waiting -= taken;
    this.made += calls;
    if (this.store.writesFailing) {
      this.retryLater();
      return false;
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.until <= this.made) this.waiters.splice(i, 1)[0]!.resolve();
    }
    if (this.waiting <= 0) this.emptied();
    return true;
  }

  /** Writes fail: background turns begin again after a while, at once for a reader who asked, else once the tap is quiet. */
  private retryLater(): void {
    if (this.retry !== null || this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.asked) this.scheduleTurn();
      else this.scheduleWhenQuiet(this.idleAfterMs);
    }, RETRY_MS);
    this.retry.unref();
  }

  private emptied(): void {
    this.waiting = 0;
    this.asked = false;
    if (this.catchingUp > 0) this.log(`recording: the ${tapCalls(this.catchingUp)} journaled under load are stored.`);
    this.catchingUp = 0;
    for (const { resolve } of this.waiters.splice(0)) resolve();
  }

  /** A reader wants the rows: they are made in the background from now on, unless traffic is heavy (rowsWantedNow). */
  private ask(): void {
    this.asked = true;
    this.scheduleTurn();
  }

  /** One turn of making rows in the background; the next follows while the journal is not empty and traffic allows. */
  private turn(): void {
    this.turnScheduled = false;
    if (this.stopped || this.waiting === 0) return;
    if (!this.rowsWantedNow() && Date.now() - this.lastPutAt < this.idleAfterMs) return this.scheduleWhenQuiet(this.idleAfterMs);
    if (this.catchingUp === 0 && this.waiting > this.readWaitCalls) {
      this.catchingUp = this.waiting;
      this.log(`recording: storing ${tapCalls(this.waiting)} journaled under load, in the background; /api/stats counts what is left (journaled).`);
    }
    if (this.expandSome()) this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled || this.stopped) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  /**
   * Whether rows are to be made while traffic flows: someone waits for them (an export,
   * a recovery), or a reader asked and the traffic is light (HEAVY_CALLS_PER_SECOND).
   */
  private rowsWantedNow(): boolean {
    if (this.waiters.length > 0) return true;
    return this.asked && Math.max(this.callsThisSecond, this.callsLastSecond) <= HEAVY_CALLS_PER_SECOND;
  }

  /** When the tap has been quiet for idleAfterMs (or rows are wanted before), background turns begin. */
  private scheduleWhenQuiet(delayMs: number): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const quietFor = Date.now() - this.lastPutAt;
      if (quietFor < this.idleAfterMs && !this.rowsWantedNow()) return this.scheduleWhenQuiet(this.idleAfterMs - quietFor);
      this.scheduleTurn();
    }, delayMs);
    this.timer.unref();
  }

  /** What recovering the journal from here would need: the row each flow open in the recorder has. */
  private noteOpenFlows(): OpenFlowRow[] {
    const open = this.recorder.openFlowRows();
    this.store.putJournalOpenFlows(TAP_CALL_VERSION, open);
    return open;
  }

  /** Replays a journal row on the recorder, and deletes it with the rows it made; one of another version is left as it is. Whether it was replayed. */
  private replayRow({ seq, calls: count, records, ids }: JournalEntry): boolean {
    const version = journalVersion(records);
    if (version !== TAP_CALL_VERSION) {
      this.store.journalKept(count);
      const kept = this.kept.get(version) ?? { rows: 0, calls: 0 };
      this.kept.set(version, { rows: kept.rows + 1, calls: kept.calls + count });
      return false;
    }
    let calls = 0;
    const replay = () => {
      try {
        for (const call of journalCalls(records)) {
          replayCall(this.recorder, call, this.log);
          calls++;
        }
      } catch (err) {
        // A row that cannot be read would block every read after it: what it held past the damage is given up.
        this.log(`recording: journal row ${seq} is damaged after ${calls} tap calls (${(err as Error).message}); the rest of it was dropped.`);
      }
    };
    // The watchers were told of these calls as they were journaled (recorder/live-calls.ts).
    this.recorder.silently(() => (ids === null ? replay() : this.recorder.withReservedIds(ids.first, ids.begins, replay)));
    this.store.journalDone(seq);
    return true;
  }
}

/**
 * For readers of a recording (list, export, mock, import): makes a journal whose run
 * stopped before storing it (killed, or closed after a burst too long to store) into rows first, so what it recorded is not missing. Says so
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
    const { stored, kept } = TapJournal.recover(store, codec, notice);
    for (const line of kept) notice(line);
    if (stored > 0) notice(recoveredNotice(store.file, stored));
  } finally {
    try {
      store.releaseJournal();
    } catch {
      // Writes fail: the claim names this process, which is gone once it exits, so the next reader may try again.
    }
  }
}

export function recoveredNotice(file: string, calls: number): string {
  return `${file}: made ${tapCalls(calls)} that a run journaled but never stored (it stopped first) into rows; the exchanges it left open are marked interrupted.`;
}

/** Journal rows of another tap-call version, left in `file`: who wrote them, and who reads them. */
export function keptNotice(file: string, version: number, rows: number, calls: number): string {
  const newer = version > TAP_CALL_VERSION;
  const written = version === 0 ? 'from before tap calls carried a version' : `tap calls of version ${version}`;
  const [is, them] = rows === 1 ? ['is', 'it'] : ['are', 'them'];
  return (
    `${file}: ${countOf(rows, 'journal row')} (${tapCalls(calls)}) written by ${newer ? 'a newer' : 'an older'} ca2-inspector ` +
    `(${written}; this one reads version ${TAP_CALL_VERSION}) ${is} kept in the file as written; ` +
    `the ca2-inspector that wrote ${them}${newer ? ', or a newer one,' : ''} reads ${them}.`
  );
}


/** "1,234 tap calls", as the terminal's other counts read. */
function tapCalls(n: number): string {
  return countOf(n, 'tap call');
}
