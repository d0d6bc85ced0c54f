// The store's work in the background: rows summarised with another schema redone with the
// one loaded now (storage/resummarise.ts), the search text of new rows written
// (storage/search-index.ts), and then free pages given back (WriteStatements.reclaim). It runs in short steps, each its own transaction, once writes
// pause, and between writes too when the index falls too far behind; a read-only store
// does none of it.

import type { Codec } from '../proto/codec.ts';
import type { Resummariser } from './resummarise.ts';
import type { SearchIndex } from './search-index.ts';
import { isTransient, maxRetryDelayMs, type WriteQueue } from './write-queue.ts';
import type { WriteStatements } from './write-statements.ts';

/** Rows per background step: each is one short transaction, so writes never wait long behind one. */
const indexBatch = 500;
const resummariseBatch = 200;
/** Pages given back per step (4 MiB): moving the pages after them is the cost. */
const reclaimBatch = 1024;
/**
 * While writes go on, a step does a tenth of that: it runs on the recorder's thread, which
 * reads the tap ring only between steps (a full index batch took a quarter of a second there
 * under load).
 */
const busyShare = 10;
/** Past this many rows waiting for the index, it is also filled between writes, not only when idle. */
const maxUnindexed = 20_000;
const progressEveryMs = 2000;

export interface BackgroundOptions {
  /** How long writes must pause before a step runs (ms). */
  idleAfterMs: number;
  /** The write queue's commit interval: the pace of steps while writes go on (ms). */
  flushIntervalMs: number;
  /** Told, in a sentence, how catching up with a new schema goes. */
  onNotice: (message: string) => void;
  /** A read-only store: nothing is written, so nothing runs. */
  readOnly: boolean;
}

export class Background {
  private timer: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  /** Whether redoing stale rows was announced and its end is still to be told. */
  private redoing = false;

  /** Adopts `codec` as the schema rows are summarised with, says whether older rows are to be redone, and begins. */
  constructor(
    codec: Codec,
    private readonly queue: WriteQueue,
    private readonly writes: WriteStatements,
    private readonly resummariser: Resummariser,
    private readonly index: SearchIndex,
    private readonly options: BackgroundOptions,
  ) {
    const stale = resummariser.adopt(codec.fingerprint, () => codec.descriptorSet(), options.readOnly);
    if (stale > 0 && !options.readOnly) {
      options.onNotice(`${stale} recorded exchanges were summarised with another schema; redoing them with the one loaded now, in the background.`);
      this.redoing = true;
      this.lastProgressAt = Date.now();
    }
    this.schedule(0);
  }

  schedule(delayMs: number): void {
    if (this.timer !== null || this.queue.closed || this.options.readOnly) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs it to the end now; for tests and benchmarks. */
  catchUp(): void {
    this.queue.flush();
    while (this.step()) this.reportProgress();
  }

  /**
   * One step when writes have paused (or the index is too far behind), then the next soon
   * after; stops when nothing is left, until the next write.
   */
  private run(): void {
    if (this.queue.closed) return;
    const { idleAfterMs, flushIntervalMs } = this.options;
    const idleFor = Date.now() - this.queue.lastPutAt;
    const busy = this.queue.length > 0 || idleFor < idleAfterMs;
    if (busy && !this.queue.failing && this.index.waiting() <= maxUnindexed) {
      this.schedule(Math.max(flushIntervalMs, idleAfterMs - idleFor));
      return;
    }
    let more: boolean;
    try {
      more = this.step(busy ? busyShare : 1, !busy);
    } catch (err) {
      // A lock or a full disk: the rows stay waiting and are tried again later.
      if (!isTransient(err)) throw err;
      this.schedule(maxRetryDelayMs);
      return;
    }
    this.reportProgress();
    if (more) this.schedule(busy ? flushIntervalMs : 0);
  }

  /** One batch of redoing stale rows, or else of indexing, or else when idle of giving pages back, in its own transaction; whether work is left. */
  private step(share = 1, idle = true): boolean {
    const done = this.writes.inTransaction(() => {
      const redone = this.resummariser.step(Math.ceil(resummariseBatch / share));
      if (redone > 0) return redone;
      const indexed = this.index.step(Math.ceil(indexBatch / share));
      return indexed > 0 || !idle ? indexed : this.writes.reclaim(reclaimBatch);
    });
    return done > 0;
  }

  private reportProgress(): void {
    if (!this.redoing) return;
    const progress = this.resummariser.progress();
    if (progress !== null && Date.now() - this.lastProgressAt < progressEveryMs) return;
    this.lastProgressAt = Date.now();
    this.redoing = progress !== null;
    this.options.onNotice(
      progress === null
        ? 'Every recorded exchange is now summarised with the schema loaded now.'
        : `Redoing recorded exchanges for the schema loaded now: ${progress!.done} of ${progress!.total}.`,
    );
  }
}
