// The store's writes, queued and committed in batched transactions off the caller's path
// (storage/write-statements.ts writes each batch). A failing write (locked, full,
// read-only) is reported in a sentence and retried with a growing delay, never thrown at
// the recorder, so recording cannot break forwarding; while it fails, records wait in
// memory up to a limit and then the oldest are dropped and counted. A record SQLite will
// never take is dropped alone and said.

import type { Dropped } from '../model/types.ts';
import type { FlowHead } from '../model/flow.ts';
import { StorageError } from './storage-error.ts';
import type { Queued, WriteStatements } from './write-statements.ts';

/** The longest a failed write waits before it is tried again (ms). */
export const maxRetryDelayMs = 1000;

/** SQLite result codes for conditions that pass (a lock, space freed): the batch is retried. */
const transientCodes = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL|NOMEM)/;

export interface WriteQueueOptions {
  /** Told, in a sentence, when writes fail, are dropped or resume. */
  onError: (message: string) => void;
  /** How often queued writes are committed (ms). */
  flushIntervalMs: number;
  /** Queue length that commits at once instead of waiting for the interval. */
  maxBatch: number;
  /** While writes fail, how many records wait in memory before the oldest are dropped. */
  maxQueue: number;
  /** Told of every record put: background work waits for the puts to pause. */
  onPut: () => void;
}

export class WriteQueue {
  private queue: Queued[] = [];
  /**
   * Where each exchange waiting in the queue is, by id, so a pending row and its final
   * version are written once. Positions, not the entries: a Map that held the records
   * kept them alive through young-generation collections after each flush cleared it
   * (V8 leaves a cleared table's entries in place), 1.8 MB promoted per scavenge under
   * the bench's load; numbers hold nothing. A position counts from the queue's start as it
   * was when last replaced: `queueBase` entries have been dropped from its front since.
   */
  private readonly queuedExchanges = new Map<number, number>();
  private queueBase = 0;
  private timer: NodeJS.Timeout | null = null;
  private failureStreak = 0;
  private failures = 0;
  private readonly dropped: Dropped = { exchanges: 0, frames: 0 };
  private droppingReported = false;
  /** While above 0, puts are held in the queue: what runs inside atomically() commits as one. */
  private holding = 0;
  private lastPut = 0;
  private shut = false;

  constructor(
    private readonly file: string,
    private readonly writes: WriteStatements,
    private readonly options: WriteQueueOptions,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** When the last record was put (ms epoch). */
  get lastPutAt(): number {
    return this.lastPut;
  }

  /** After close(): nothing more is written. */
  get closed(): boolean {
    return this.shut;
  }

  /** Whether commits are failing (and being retried) now. */
  get failing(): boolean {
    return this.failureStreak > 0;
  }

  /** Commits that failed, in all. */
  get writeFailures(): number {
    return this.failures;
  }

  /** Records lost, in all: dropped while writes failed, refused, or put after close. */
  droppedSoFar(): Dropped {
    return { ...this.dropped };
  }

  /** Tap calls in journal rows that wait in the queue. */
  journalCalls(): number {
    return this.queue.reduce((n, e) => n + (e.kind === 'journal' ? e.calls : 0), 0);
  }

  /** An exchange's row, written once however often it is put before the next commit. */
  putExchange(record: FlowHead, fresh: boolean): void {
    const at = this.queuedExchanges.get(record.id);
    if (at !== undefined) {
      // Its first put decides whether a row exists to replace.
      (this.queue[at - this.queueBase] as Extract<Queued, { kind: 'exchange' }>).record = record;
      return;
    }
    this.queuedExchanges.set(record.id, this.queueBase + this.queue.length);
    this.put({ kind: 'exchange', record, fresh });
  }

  put(entry: Queued): void {
    this.lastPut = Date.now();
    this.queue.push(entry);
    // What atomically() holds must go in whole; it is bounded by what it was given.
    if (this.queue.length > this.options.maxQueue && this.holding === 0) this.dropOldest(this.queue.length - this.options.maxQueue);
    // While failing, only the timer retries, so puts do not each wait on a lock.
    if (this.queue.length >= this.options.maxBatch && this.failureStreak === 0 && this.holding === 0) {
      this.flush();
    } else {
      this.schedule(this.options.flushIntervalMs);
    }
    this.options.onPut();
  }

  /** After close: counts the record as dropped and says so (true); before: false. */
  refuseClosed(kind: keyof Dropped): boolean {
    if (!this.closed) return false;
    this.dropped[kind]++;
    return true;
  }

  noteDropped(kind: keyof Dropped, count: number): void {
    this.dropped[kind] += count;
  }

  /** Runs `fn` and writes what it put in one transaction, so none of it is stored without the rest. */
  atomically(fn: () => void): void {
    this.holding++;
    try {
      fn();
    } finally {
      this.holding--;
    }
    this.flush();
  }

  /** Writes everything queued now, in one transaction; a failure is reported and the queue kept for a retry. */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const batch = this.queue;
    this.replaceQueue([]);
    try {
      this.writes.batch(batch);
    } catch (err) {
      if (isTransient(err)) {
        this.requeue(batch);
        this.failed(err);
        return;
      }
      // Something in the batch SQLite will never take: write records one by one
      // and drop only those it refuses.
      this.writeEachDroppingRefused(batch);
    }
    this.recovered();
  }

  /** Writes everything queued in one transaction, or nothing: on failure the queue is discarded and a StorageError thrown. */
  commitAll(): void {
    if (this.closed) throw new StorageError(`The store for ${this.file} is closed.`);
    const batch = this.queue;
    this.replaceQueue([]);
    try {
      this.writes.batch(batch);
    } catch (err) {
      throw new StorageError(`Could not write to ${this.file}, so nothing was stored: ${(err as Error).message}.`);
    }
  }

  /** Forgets what is queued, unwritten: what an import put before it failed. */
  discard(): void {
    this.replaceQueue([]);
  }

  /** The last flush: no retry follows, and what is still queued after it is counted dropped and said. */
  flushForGood(): void {
    this.flush();
    // Neither the flush timer nor a failed flush's retry follows.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length > 0) {
      for (const entry of this.queue) this.countDropped(entry);
      this.options.onError(`${this.queue.length} records could not be written to ${this.file} before closing and are lost.`);
      this.replaceQueue([]);
    }
  }

  close(): void {
    this.shut = true;
  }

  private countDropped(entry: Queued): void {
    if (entry.kind === 'journal') {
      this.dropped.exchanges += entry.ends.exchanges;
      this.dropped.frames += entry.ends.frames;
    } else if (entry.kind === 'exchange' || entry.kind === 'frame' || entry.kind === 'contentKey') {
      this.dropped[entry.kind === 'frame' ? 'frames' : 'exchanges']++;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private requeue(batch: Queued[]): void {
    // Nothing can be put while a flush runs (it is synchronous), so the queue is empty here.
    this.replaceQueue(batch);
  }

  /** Makes `entries` the queue, its index pointing into it. */
  private replaceQueue(entries: Queued[]): void {
    this.queue = entries;
    this.queueBase = 0;
    this.queuedExchanges.clear();
    entries.forEach((entry, at) => {
      if (entry.kind === 'exchange') this.queuedExchanges.set(entry.record.id, at);
    });
  }

  private dropOldest(count: number): void {
    const gone = this.queue.splice(0, count);
    for (const entry of gone) {
      if (entry.kind === 'exchange') this.queuedExchanges.delete(entry.record.id);
      this.countDropped(entry);
    }
    // The rest moved to the front: positions stay, their base moves.
    this.queueBase += count;
    if (!this.droppingReported) {
      this.droppingReported = true;
      this.options.onError(
        `Writes to ${this.file} keep failing and more than ${this.options.maxQueue} records wait in memory: the oldest are being dropped (counted in /api/stats as dropped).`,
      );
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    this.failureStreak++;
    if (this.failureStreak === 1) this.options.onError(writeFailure(this.file, err, this.queue.length));
    this.schedule(Math.min(maxRetryDelayMs, this.options.flushIntervalMs * 2 ** Math.min(this.failureStreak, 10)));
  }

  private recovered(): void {
    if (this.failureStreak > 0) {
      const { exchanges, frames } = this.dropped;
      this.options.onError(`Writes to ${this.file} resumed after ${this.failureStreak} failed attempts; ${exchanges} exchanges and ${frames} frames dropped in all.`);
    }
    this.failureStreak = 0;
    this.droppingReported = false;
  }

  private writeEachDroppingRefused(batch: Queued[]): void {
    for (let i = 0; i < batch.length; i++) {
      try {
        this.writes.batch([batch[i]]);
      } catch (err) {
        if (isTransient(err)) {
          this.requeue(batch.slice(i));
          this.failed(err);
          return;
        }
        const entry = batch[i];
        this.countDropped(entry);
        const what = describeQueued(entry);
        this.options.onError(`Could not record ${what} in ${this.file}, so it was dropped: ${(err as Error).message}`);
      }
    }
  }
}

/** Whether SQLite failed for a reason that passes (a lock, a full disk): worth trying again later. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && transientCodes.test(code);
}

function describeQueued(entry: Queued): string {
  switch (entry.kind) {
    case 'frame':
      return 'a WebSocket frame';
    case 'exchange':
      return `exchange ${entry.record.id}`;
    case 'contentKey':
      return `exchange ${entry.id}`;
    case 'journal':
      return `${entry.calls} journaled tap calls`;
    case 'journalDone':
      return `the end of journal row ${entry.seq}`;
    case 'journalOpenFlows':
      return 'the note of the flows open in the recorder';
  }
}

function writeFailure(file: string, err: unknown, queued: number): string {
  const code = (err as { code?: string }).code ?? '';
  const waiting = `${queued} records wait in memory and are retried`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `Could not write to ${file}: another program holds the database locked (${code}); ${waiting}. Close the other program, or restart with --db pointing at another file.`;
  }
  if (code.startsWith('SQLITE_FULL')) {
    return `Could not write to ${file}: the disk or the size limit is full (${code}); ${waiting}. Free some space, or restart with --db on another disk.`;
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return `Could not write to ${file}: the database is read-only (${code}); ${waiting}. Make the file writable, or restart with --db pointing at another file.`;
  }
  return `Could not write to ${file}: ${(err as Error).message} (${code}); ${waiting}. Check the disk, or restart with --db pointing at another file.`;
}
