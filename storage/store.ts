// The recorded traffic in one SQLite file. Writes are queued and committed in batched
// transactions off the caller's path: a failing write (locked, full, read-only) is
// reported and retried, never thrown at the recorder, so recording cannot break
// forwarding. Reads flush the queue first so they see everything put so far.
//
// Only bytes and summary columns are written as traffic passes. Decoding happens on
// read, with the codec given at open; the search index and the summaries of rows an
// older schema computed catch up in the background when the store is idle.

import Database from 'better-sqlite3';
import path from 'node:path';
import fs from 'node:fs';
import { parseFilter } from '../model/filter.ts';
import { matches } from '../model/filter-match.ts';
import type { FilterNode } from '../model/filter.ts';
import { StorageError } from './storage-error.ts';
import { examine, openReadOnly, processAlive, type FileUse } from './file-check.ts';
import type { Dropped, ExchangeDetail, ExchangePage, ExchangeSummary, StoreStats } from '../model/types.ts';
import { createCodec, type Codec } from '../proto/codec.ts';
import { FlowDecoder } from './decode.ts';
import { prepareContentKeys } from './content-keys.ts';
import { queryPage } from './list-query.ts';
import { fileVersion, migrate, schemaVersion } from './migrations.ts';
import type { Flow, FlowHead, StoredFrame } from '../model/flow.ts';
import { Resummariser } from './resummarise.ts';
import { exchangeParams, flowFromRows, flowSql, frameParams, framesSql, type FlowRow, type FrameRow } from './rows.ts';
import { detailOf, summaryFromRow, summaryOf, frameTotals } from './views.ts';
import { SearchIndex } from './search-index.ts';
import { settledPage } from './settled-page.ts';
import { findImpossibleValue, type ImpossibleValue } from './value-check.ts';

export { StorageError };

export interface StoreOptions {
  /** Told, in a sentence, when writes fail, are dropped or resume. Defaults to process.emitWarning. */
  onError?: (message: string) => void;
  /** How often queued writes are committed (ms). */
  flushIntervalMs?: number;
  /** Queue length that commits at once instead of waiting for the interval. */
  maxBatch?: number;
  /** While writes fail, how many records wait in memory before the oldest are dropped. */
  maxQueue?: number;
  /** Largest the database may grow to (bytes); past it writes fail as on a full disk. */
  maxBytes?: number;
  /**
   * Whether this store is the one recording: exchanges an earlier run left pending are
   * then marked interrupted at open. Readers such as `list` leave them, since the run
   * that writes them may still be going.
   */
  recording?: boolean;
  /**
   * Decodes stored bytes on read and computes summaries and search text. Default: the
   * bundled schema. Opening with a schema other than the one that summarised the file
   * redoes its older rows in the background.
   */
  codec?: Codec;
  /** Told, in a sentence, how catching up with a new schema goes. Defaults to nothing. */
  onNotice?: (message: string) => void;
  /** How long writes must pause before background work (search index, new schema) runs (ms). */
  idleAfterMs?: number;
  /** How the command names the file, for the sentence that refuses it (default: the proxy's --db). */
  use?: FileUse;
}

export interface ListQuery {
  /** Rows per page, 1 to 1000 (default 100). */
  limit?: number;
  /** Only ids below this one: the `next` of the previous page. */
  before?: number;
  /** Filter text in the language of model/filter.ts. */
  filter?: string;
  /** ms epoch that relative times in the filter count back from (default: now). */
  now?: number;
}

type Queued =
  /** fresh: no row with this id was ever put, so writing it needs no lookup first. */
  | { kind: 'exchange'; record: FlowHead; fresh: boolean }
  | { kind: 'frame'; frame: StoredFrame }
  | { kind: 'contentKey'; id: number; key: string }
  /** Tap calls kept as raw bytes (recorder/tap-journal.ts), with how many exchanges and frames they end. */
  | { kind: 'journal'; records: Uint8Array; calls: number; ends: Dropped }
  | { kind: 'journalDone'; seq: number }
  | { kind: 'journalOpenFlows'; version: number; flows: OpenFlowRow[] };

/** A flow open in the recorder as a journal started or went on: its id in the run that journaled it, and its exchange row. */
export type OpenFlowRow = [flowId: number, exchangeId: number];

/** One row of the tap journal, oldest first. */
export interface JournalEntry {
  seq: number;
  calls: number;
  records: Uint8Array;
}

/** What the recorder's journal (recorder/tap-journal.ts) does for the store's readers. */
export interface JournalReads {
  /** Before every read: the journal made into rows, or, if that is too much to do at once, begun in the background. */
  beforeRead(): void;
  /** Resolves once every call journaled so far is stored as rows. */
  stored(): Promise<void>;
}

/** While locked, a write gives up after this long instead of holding up the event loop. */
const busyTimeoutMs = 25;
/** Opening and the final flush on close may wait longer: nothing else is waiting then. */
const patientBusyTimeoutMs = 2000;
const maxRetryDelayMs = 1000;
const maxCachedStatements = 200;
/** Rows per background step: each is one short transaction, so writes never wait long behind one. */
const indexBatch = 500;
const resummariseBatch = 200;
/**
 * While writes go on, a step does a tenth of that: it runs on the recorder's thread, which
 * reads the tap ring only between steps (a full index batch took a quarter of a second there
 * under load).
 */
const busyShare = 10;
/** Past this many rows waiting for the index, it is also filled between writes, not only when idle. */
const maxUnindexed = 20_000;
const progressEveryMs = 2000;

let bundledCodec: Codec | undefined;

/** SQLite result codes for conditions that pass (a lock, space freed): the batch is retried. */
const transientCodes = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL|NOMEM)/;

export class Store {
  private readonly onError: (message: string) => void;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
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
  private nextId: number;
  private failureStreak = 0;
  private writeFailures = 0;
  private readonly dropped: Dropped = { exchanges: 0, frames: 0 };
  private droppingReported = false;
  private closed = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly decoder: FlowDecoder;
  private readonly index: SearchIndex;
  private readonly resummariser: Resummariser;
  private readonly onNotice: (message: string) => void;
  private readonly idleAfterMs: number;
  private lastPutAt = 0;
  private background: NodeJS.Timeout | null = null;
  private lastProgressAt = 0;
  /** Whether redoing stale rows was announced and its end is still to be told. */
  private redoing = false;
  /** While above 0, puts are held in the queue: what runs inside atomically() commits as one. */
  private holding = 0;
  /** The newest journal row handed out to be made into rows; its deletion may still be queued. */
  private journalTaken = 0;
  /** Calls in journal rows another ca2-inspector wrote, left in the file: not journaled for this one to store. */
  private keptJournalCalls = 0;
  private journal: JournalReads | null = null;
  private backlog: (() => number) | null = null;

  private readonly recording: boolean;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    options: StoreOptions,
    /** Opened by openReadOnly: nothing is ever written. */
    readonly readOnly: boolean,
  ) {
    this.recording = options.recording ?? false;
    this.onError = options.onError ?? ((message) => process.emitWarning(message));
    this.onNotice = options.onNotice ?? (() => {});
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxQueue = options.maxQueue ?? 50_000;
    this.idleAfterMs = options.idleAfterMs ?? 100;
    this.nextId = ((db.prepare('SELECT max(id) AS id FROM exchanges').get() as { id: number | null }).id ?? 0) + 1;
    this.sql = prepareStatements(db);
    this.decoder = new FlowDecoder(options.codec ?? (bundledCodec ??= createCodec()));
    this.index = new SearchIndex(db, this.decoder);
    this.resummariser = new Resummariser(db, this.decoder, this.index);
    const codec = this.decoder.codec;
    const stale = this.resummariser.adopt(codec.fingerprint, () => codec.descriptorSet(), readOnly);
    if (stale > 0 && !readOnly) {
      this.onNotice(`${stale} recorded exchanges were summarised with another schema; redoing them with the one loaded now, in the background.`);
      this.redoing = true;
      this.lastProgressAt = Date.now();
    }
    this.scheduleBackground(0);
  }

  /**
   * Opens or creates the file to write to: WAL mode, migrations run (said through onNotice).
   * What the file is, is found out read-only first: nothing is written to a file that is no
   * recording. Throws StorageError with a sentence naming the file and the fix.
   */
  static open(file: string, options: StoreOptions = {}): Store {
    const use = options.use ?? { flag: '--db', command: 'proxy', writes: true };
    const { version } = examine(file, use);
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: patientBusyTimeoutMs });
    } catch (err) {
      throw new StorageError(openFailure(file, err, use));
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // The default 2 MB page cache thrashes once indexes outgrow it (a few hundred thousand rows).
      db.pragma('cache_size = -65536');
      if (version > 0 && version < schemaVersion) options.onNotice?.(`migrating ${file} from version ${version} to ${schemaVersion}…`);
      migrate(db);
      if (options.recording) {
        markInterrupted(db);
        // Readers tell from this whether a journal left in the file still has a recorder to make it into rows.
        db.prepare("INSERT OR REPLACE INTO store_state (key, value) VALUES ('recorder_pid', ?)").run(process.pid);
      }
      if (options.maxBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
      const store = new Store(db, file, options, false);
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      return store;
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(openFailure(file, err, use));
    }
  }

  /**
   * Opens a recording of the current version for reading only (storage/file-check.ts):
   * nothing is written to it, not even the search index or new summaries. Rows another
   * schema summarised, and rows not yet indexed, are decoded when a query needs them. The
   * caller has examined the file. Throws StorageError.
   */
  static openReadOnly(file: string, options: StoreOptions & { use: FileUse }): Store {
    const db = openReadOnly(file, options.use);
    try {
      const version = fileVersion(db);
      if (version !== schemaVersion) throw new Error(`${file} is at version ${version}; only a version ${schemaVersion} file is read as it is`);
      return new Store(db, file, options, true);
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(openFailure(file, err, options.use));
    }
  }

  /** Ids are allocated here (max(id)+1 at open, then in memory) so the recorder can stream a row before it is written. */
  allocateExchangeId(): number {
    return this.nextId++;
  }

  /**
   * Insert or replace (upsert by id). Queued; written in batched transactions. Never throws.
   * `fresh`: the caller allocated the id and has not put it before, so no row needs looking up.
   */
  putExchange(record: FlowHead, options: { fresh?: boolean } = {}): void {
    if (this.refuseClosed('exchanges')) return;
    if (record.id >= this.nextId) this.nextId = record.id + 1;
    const at = this.queuedExchanges.get(record.id);
    if (at !== undefined) {
      // Its first put decides whether a row exists to replace.
      (this.queue[at - this.queueBase] as Extract<Queued, { kind: 'exchange' }>).record = record;
      return;
    }
    this.queuedExchanges.set(record.id, this.queueBase + this.queue.length);
    this.enqueue({ kind: 'exchange', record, fresh: options.fresh === true });
  }

  /** Queues a WebSocket frame; writing it also adds to its exchange's frame count and sizes. Never throws. */
  putFrame(frame: StoredFrame): void {
    if (this.refuseClosed('frames')) return;
    this.enqueue({ kind: 'frame', frame });
  }

  /** Counts records the caller gave up on before they reached the store (the recorder fell too far behind). */
  noteDropped(kind: keyof Dropped, count: number): void {
    this.dropped[kind] += count;
  }

  /** Runs the background work (search index, new schema) to the end now; for tests and benchmarks. */
  catchUp(): void {
    this.flush();
    while (this.backgroundStep()) this.reportProgress();
  }

  /** Marks an exchange put before as imported with this content key (see capture/content-key.ts). Queued like the rest. */
  putContentKey(id: number, key: string): void {
    if (this.refuseClosed('exchanges')) return;
    this.enqueue({ kind: 'contentKey', id, key });
  }

  /**
   * Keeps tap calls as raw bytes, to be made into rows later (recorder/tap-journal.ts).
   * `ends` counts the exchanges and frames among them, for the dropped totals should
   * they never be written.
   */
  putJournal(records: Uint8Array, calls: number, ends: Dropped): void {
    if (this.closed) {
      this.dropped.exchanges += ends.exchanges;
      this.dropped.frames += ends.frames;
      return;
    }
    this.enqueue({ kind: 'journal', records, calls, ends });
  }

  /**
   * Up to `limit` journal rows not yet handed out, oldest first; null while writes fail (or
   * after close), so that no row is handed out twice or before it is written.
   */
  journalRows(limit: number): JournalEntry[] | null {
    if (this.closed || this.failureStreak > 0) return null;
    this.flush();
    if (this.failureStreak > 0) return null;
    const rows = this.sql.journalRows.all(this.journalTaken, limit) as JournalEntry[];
    if (rows.length > 0) this.journalTaken = rows[rows.length - 1]!.seq;
    return rows;
  }

  /** Whether commits are failing (and being retried) now. */
  get writesFailing(): boolean {
    return this.failureStreak > 0;
  }

  /**
   * Notes which rows the flows open in the recorder have, when a journal starts (queued
   * ahead of its first row) and with each part of it made into rows: a recorder recovering
   * the rest after a crash takes them up from these rows (recorder/tap-journal.ts). Each
   * note replaces the last of the same tap-call version: a journal another ca2-inspector
   * left in the file keeps its own.
   */
  putJournalOpenFlows(version: number, flows: OpenFlowRow[]): void {
    if (this.closed) return;
    this.enqueue({ kind: 'journalOpenFlows', version, flows });
  }

  /** The open flows last noted for journal rows of this tap-call version (putJournalOpenFlows). */
  journalOpenFlows(version: number): OpenFlowRow[] {
    const value = this.read(() => this.statement('SELECT value FROM store_state WHERE key = ?').pluck().get(openFlowsKey(version))) as string | undefined;
    return value === undefined ? [] : (JSON.parse(value) as OpenFlowRow[]);
  }

  /**
   * A journal row handed out that this ca2-inspector cannot read (another one wrote it):
   * left in the file as it is, for that one, and no longer counted as journaled.
   */
  journalKept(calls: number): void {
    this.keptJournalCalls += calls;
  }

  /** An exchange row and its frames as the recorder wrote them, or null if there is none. */
  /** The flow as stored, its facts as they were summarised (for the recorder taking up an open flow). */
  storedFlow(id: number): Flow | null {
    return this.read(() => this.readRow(id));
  }

  /** Queues the deletion of a journal row made into rows; put inside the same atomically() as those rows. */
  journalDone(seq: number): void {
    this.enqueue({ kind: 'journalDone', seq });
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

  /**
   * Whether the file holds journaled tap calls that no running recorder will make into
   * rows: the run that wrote them stopped first (kill -9, a crash, or a close after a
   * burst too long to store in time).
   */
  orphanedJournal(): boolean {
    if (this.closed || (this.sql.journaled.get() as number) === 0) return false;
    if (this.recording) return true;
    const pid = this.db.prepare("SELECT value FROM store_state WHERE key = 'recorder_pid'").pluck().get() as number | undefined;
    return pid === undefined || !processAlive(pid);
  }

  /**
   * Takes an orphaned journal over for this process, in one write transaction, so that a
   * second reader opening the file at the same time leaves it alone; whether it did.
   * releaseJournal() gives it back.
   */
  claimOrphanedJournal(): boolean {
    return this.db
      .transaction(() => {
        if (!this.orphanedJournal()) return false;
        this.db.prepare("INSERT OR REPLACE INTO store_state (key, value) VALUES ('recorder_pid', ?)").run(process.pid);
        return true;
      })
      .immediate();
  }

  releaseJournal(): void {
    this.db.prepare("DELETE FROM store_state WHERE key = 'recorder_pid' AND value = ?").run(process.pid);
  }

  /**
   * The recorder's journal, asked before every read (list, detail, export) to make its
   * calls into rows, so that reads see them.
   */
  attachJournal(journal: JournalReads | null): void {
    this.journal = journal;
  }

  /**
   * Counts what waits to reach the store (the tap calls in the recorder's ring, not yet
   * read): added to stats().queued, since a kill -9 loses it as surely as the queue.
   */
  attachBacklog(backlog: (() => number) | null): void {
    this.backlog = backlog;
  }

  /**
   * Resolves once every call the recorder journaled so far is stored as rows: for a read
   * that must be whole (an export), where a list page may show what is stored so far.
   */
  async whenStored(): Promise<void> {
    await this.journal?.stored();
  }

  /** Whether an exchange with this content key is written (queued keys are not looked at, so an import can stay one transaction). */
  hasContentKey(key: string): boolean {
    return this.read(() => this.sql.contentKeys.has(key));
  }

  /** The name an export gives this exchange, the same in every export (storage/content-keys.ts); null if there is none. */
  exchangeIdentity(id: number): string | null {
    return this.read(() => this.sql.contentKeys.identity(id));
  }

  /**
   * Writes everything queued in one transaction, or nothing: for an import, which must not
   * be stored in part. On failure the queue is discarded and a StorageError thrown.
   */
  commitAll(): void {
    if (this.closed) throw new StorageError(`The store for ${this.file} is closed.`);
    const batch = this.queue;
    this.replaceQueue([]);
    try {
      this.sql.batch(batch);
    } catch (err) {
      throw new StorageError(`Could not write to ${this.file}, so nothing was stored: ${(err as Error).message}.`);
    }
  }

  /** Writes everything queued now, in one transaction; a failure is reported and the queue kept for a retry. */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const batch = this.queue;
    this.replaceQueue([]);
    try {
      this.sql.batch(batch);
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

  /** Newest first. Throws FilterError for a malformed filter. */
  listExchanges(query: ListQuery = {}): ExchangePage {
    const filter = parseFilter(query.filter ?? '');
    const limit = Math.min(1000, Math.max(1, Math.floor(query.limit ?? 100)));
    this.settle();
    const now = query.now ?? Date.now();
    const items = this.read(() =>
      settledPage(filter, limit, query.before, this.resummariser.stale(), {
        sql: (after, before, n) => queryPage((sql) => this.statement(sql), filter, { limit: n, before, after, now }).map(summaryFromRow),
        decodeAndTest: (id, stale) => this.decodeAndTest(id, stale, filter, now),
        idsBetween: (low, high, n) => this.sql.idsBetween.all(low, high, n) as number[],
        waitingIds: () => this.index.waitingIds(),
      }),
    );
    // A full page may be followed by an empty one; looking one row further could mean
    // walking the whole table when the filter matches nothing more.
    const journaled = this.read(() => this.journaledCalls());
    return { items, next: items.length === limit ? items[items.length - 1].id : null, ...(journaled > 0 ? { journaled } : {}) };
  }

  /**
   * Everything recorded for one exchange, bodies base64, frames in seq order, decoded with
   * the codec loaded now (with spans for the hex view unless `spans: false`); null if there is none.
   */
  getExchange(id: number): ExchangeDetail | null {
    const flow = this.flow(id);
    return flow && detailOf(flow, this.decoder.decode(flow, true));
  }

  /** One exchange as stored, with its frames, its facts those of the schema loaded now; null if there is none. */
  flow(id: number): Flow | null {
    this.settle();
    return this.read(() => {
      const flow = this.readRow(id);
      if (flow && this.isStale(id)) Object.assign(flow, this.decoder.facts(flow));
      return flow;
    });
  }

  /**
   * The exchanges the filter selects (all without one), or those of `ids`, one at a time:
   * newest first by default, oldest first with `order: 'oldest'`. Only their ids are held,
   * never the flows. Throws FilterError for a malformed filter.
   */
  *flows(query: { filter?: string; ids?: readonly number[]; order?: 'oldest' | 'newest'; now?: number } = {}): Generator<Flow> {
    let ids: number[];
    if (query.ids) {
      ids = [...new Set(query.ids)].sort((a, b) => b - a);
    } else {
      ids = [];
      let before: number | undefined;
      for (;;) {
        const page = this.listExchanges({ limit: 1000, before, filter: query.filter, now: query.now });
        for (const item of page.items) ids.push(item.id);
        if (page.next === null) break;
        before = page.next;
      }
    }
    if (query.order === 'oldest') ids.reverse();
    for (const id of ids) {
      const flow = this.flow(id);
      if (flow) yield flow;
    }
  }

  /** The first value no recording can hold (storage/value-check.ts), for an import to refuse the file by. */
  impossibleValue(): ImpossibleValue | null {
    return findImpossibleValue(this.db);
  }

  stats(): StoreStats {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return this.read(() => ({
      exchanges: count('exchanges'),
      frames: count('frames'),
      queued: this.queue.length + (this.backlog?.() ?? 0),
      writeFailures: this.writeFailures,
      dropped: { ...this.dropped },
      unindexed: this.index.waiting(),
      journaled: this.journaledCalls(),
      reindexing: this.resummariser.progress(),
    }));
  }

  /** Tap calls journaled and not yet made into rows, written or still queued, but for those kept for another ca2-inspector. */
  private journaledCalls(): number {
    return (this.sql.journaled.get() as number) - this.keptJournalCalls + this.queue.reduce((n, e) => n + (e.kind === 'journal' ? e.calls : 0), 0);
  }

  /** Flushes (waiting a little longer than usual for a lock), then closes. */
  close(): void {
    if (this.closed) return;
    this.flushForGood();
    if (this.recording) {
      try {
        this.releaseJournal();
      } catch {
        // Read-only or locked now: a reader sees the process gone, which says the same.
      }
    }
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  /**
   * The last write before closing: what is queued is written, waiting longer than usual
   * for a lock, and what still cannot be is counted dropped and said. No retries follow:
   * stats() after it counts everything this store lost.
   */
  flushForGood(): void {
    if (this.closed) return;
    if (this.background) clearTimeout(this.background);
    this.background = null;
    this.db.pragma(`busy_timeout = ${patientBusyTimeoutMs}`);
    this.flush();
    // Neither the flush timer nor a failed flush's retry follows.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length > 0) {
      for (const entry of this.queue) this.countDropped(entry);
      this.onError(`${this.queue.length} records could not be written to ${this.file} before closing and are lost.`);
      this.replaceQueue([]);
    }
  }

  /** What reads do first: the journal made into rows (or begun), and the queue written. */
  private settle(): void {
    if (this.closed) return;
    this.journal?.beforeRead();
    this.flush();
  }

  private countDropped(entry: Queued): void {
    if (entry.kind === 'journal') {
      this.dropped.exchanges += entry.ends.exchanges;
      this.dropped.frames += entry.ends.frames;
    } else if (entry.kind === 'exchange' || entry.kind === 'frame' || entry.kind === 'contentKey') {
      this.dropped[entry.kind === 'frame' ? 'frames' : 'exchanges']++;
    }
  }

  private enqueue(entry: Queued): void {
    this.lastPutAt = Date.now();
    this.queue.push(entry);
    // What atomically() holds must go in whole; it is bounded by what it was given.
    if (this.queue.length > this.maxQueue && this.holding === 0) this.dropOldest(this.queue.length - this.maxQueue);
    // While failing, only the timer retries, so puts do not each wait on a lock.
    if (this.queue.length >= this.maxBatch && this.failureStreak === 0 && this.holding === 0) {
      this.flush();
    } else {
      this.schedule(this.flushIntervalMs);
    }
    this.scheduleBackground(this.idleAfterMs);
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
      this.onError(
        `Writes to ${this.file} keep failing and more than ${this.maxQueue} records wait in memory: the oldest are being dropped (counted in /api/stats as dropped).`,
      );
    }
  }

  private failed(err: unknown): void {
    this.writeFailures++;
    this.failureStreak++;
    if (this.failureStreak === 1) this.onError(writeFailure(this.file, err, this.queue.length));
    this.schedule(Math.min(maxRetryDelayMs, this.flushIntervalMs * 2 ** Math.min(this.failureStreak, 10)));
  }

  private recovered(): void {
    if (this.failureStreak > 0) {
      const { exchanges, frames } = this.dropped;
      this.onError(`Writes to ${this.file} resumed after ${this.failureStreak} failed attempts; ${exchanges} exchanges and ${frames} frames dropped in all.`);
    }
    this.failureStreak = 0;
    this.droppingReported = false;
  }

  private writeEachDroppingRefused(batch: Queued[]): void {
    for (let i = 0; i < batch.length; i++) {
      try {
        this.sql.batch([batch[i]]);
      } catch (err) {
        if (isTransient(err)) {
          this.requeue(batch.slice(i));
          this.failed(err);
          return;
        }
        const entry = batch[i];
        this.countDropped(entry);
        const what = describeQueued(entry);
        this.onError(`Could not record ${what} in ${this.file}, so it was dropped: ${(err as Error).message}`);
      }
    }
  }

  private refuseClosed(kind: keyof Dropped): boolean {
    if (!this.closed) return false;
    this.dropped[kind]++;
    return true;
  }

  private isStale(id: number): boolean {
    const stale = this.resummariser.stale();
    return stale !== null && id >= stale.low && id <= stale.high;
  }

  /** For rows SQL cannot answer for yet: decodes the row and tests the filter on what it says. */
  private decodeAndTest(id: number, stale: boolean, filter: FilterNode | null, now: number): ExchangeSummary | null {
    const flow = this.readRow(id);
    if (flow === null) return null;
    const totals = frameTotals(flow.frames);
    if (filter === null) return summaryOf(stale ? { ...flow, ...this.decoder.facts(flow) } : flow, totals);
    const { facts, texts, frameTexts } = this.decoder.redo(flow);
    const summary = summaryOf(stale ? { ...flow, ...facts } : flow, totals);
    const text = [texts.error, texts.request, texts.response, ...frameTexts.map((f) => f.text)].filter((t): t is string => t !== null);
    const frameDirections = new Set(flow.frames.map((f) => f.direction));
    return matches(filter, summary, { now, text, frameDirections }) ? summary : null;
  }

  /** The one read of a flow's rows; the caller holds read(). */
  private readRow(id: number): Flow | null {
    const row = this.sql.flow.get(id) as FlowRow | undefined;
    return row === undefined ? null : flowFromRows(row, this.sql.frames.all(id) as FrameRow[]);
  }

  private scheduleBackground(delayMs: number): void {
    if (this.background !== null || this.closed || this.readOnly) return;
    this.background = setTimeout(() => {
      this.background = null;
      this.runBackground();
    }, delayMs);
    this.background.unref();
  }

  /**
   * One step of background work when writes have paused (or the index is too far
   * behind), then the next soon after; stops when nothing is left, until the next write.
   */
  private runBackground(): void {
    if (this.closed) return;
    const idleFor = Date.now() - this.lastPutAt;
    const busy = this.queue.length > 0 || idleFor < this.idleAfterMs;
    if (busy && this.failureStreak === 0 && this.index.waiting() <= maxUnindexed) {
      this.scheduleBackground(Math.max(this.flushIntervalMs, this.idleAfterMs - idleFor));
      return;
    }
    let more: boolean;
    try {
      more = this.backgroundStep(busy ? busyShare : 1);
    } catch (err) {
      // A lock or a full disk: the rows stay waiting and are tried again later.
      if (!isTransient(err)) throw err;
      this.scheduleBackground(maxRetryDelayMs);
      return;
    }
    this.reportProgress();
    if (more) this.scheduleBackground(busy ? this.flushIntervalMs : 0);
  }

  /** One batch of redoing stale rows, or else of indexing, in its own transaction; whether work is left. */
  private backgroundStep(share = 1): boolean {
    const done = this.sql.inTransaction(() => {
      const redone = this.resummariser.step(Math.ceil(resummariseBatch / share));
      return redone > 0 ? redone : this.index.step(Math.ceil(indexBatch / share));
    });
    return done > 0;
  }

  private reportProgress(): void {
    if (!this.redoing) return;
    const progress = this.resummariser.progress();
    if (progress !== null && Date.now() - this.lastProgressAt < progressEveryMs) return;
    this.lastProgressAt = Date.now();
    this.redoing = progress !== null;
    this.onNotice(
      progress === null
        ? 'Every recorded exchange is now summarised with the schema loaded now.'
        : `Redoing recorded exchanges for the schema loaded now: ${progress!.done} of ${progress!.total}.`,
    );
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= maxCachedStatements) this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private read<T>(run: () => T): T {
    if (this.closed) throw new StorageError(`The store for ${this.file} is closed.`);
    try {
      return run();
    } catch (err) {
      throw new StorageError(`Could not read ${this.file}: ${(err as Error).message}.`);
    }
  }
}

function prepareStatements(db: Database.Database) {
  const exchangeColumns = [
    'kind', 'started_at', 'ended_at', 'duration_ms', 'method', 'path', 'status', 'service', 'operation', 'trx',
    'errors', 'error_count', 'token_sub', 'token_prefix', 'token_exp', 'token_expired', 'client_address', 'state',
    'problems', 'problem_count', 'error', 'request_size', 'response_size', 'close_code', 'close_reason', 'close_by', 'close_at',
    'replay_of', 'rules',
  ];
  const bodyColumns = [
    'request_headers', 'request_body', 'request_truncated', 'response_headers', 'response_body', 'response_truncated',
    'original_request_headers', 'original_request_body', 'original_response_status', 'original_response_headers', 'original_response_body',
  ];
  const frameCount = (direction: string, what: string) =>
    `(SELECT ${what} FROM frames WHERE exchange_id = @id AND direction = '${direction}')`;
  const updateExchange = db.prepare(
    `UPDATE exchanges SET ${exchangeColumns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
  );
  // A new WebSocket row counts frames already stored, in case they were written before it;
  // other kinds have no frames.
  const insertPlainExchange = db.prepare(`INSERT INTO exchanges (id, ${exchangeColumns.join(', ')}) VALUES (@id, ${exchangeColumns.map((c) => `@${c}`).join(', ')})`);
  const insertExchange = db.prepare(
    `INSERT INTO exchanges (id, ${exchangeColumns.join(', ')}, client_frames, server_frames, client_frame_bytes, server_frame_bytes)
     VALUES (@id, ${exchangeColumns.map((c) => `@${c}`).join(', ')},
       ${frameCount('client', 'count(*)')}, ${frameCount('server', 'count(*)')},
       ${frameCount('client', 'ifnull(sum(size), 0)')}, ${frameCount('server', 'ifnull(sum(size), 0)')})`,
  );
  const putBodies = db.prepare(
    `INSERT OR REPLACE INTO exchange_bodies (id, ${bodyColumns.join(', ')}) VALUES (@id, ${bodyColumns.map((c) => `@${c}`).join(', ')})`,
  );
  const deleteErrors = db.prepare('DELETE FROM exchange_errors WHERE exchange_id = ?');
  const insertError = db.prepare('INSERT OR IGNORE INTO exchange_errors (error, exchange_id) VALUES (?, ?)');
  // The search text is written later (storage/search-index.ts); these note what it lacks.
  // A row already waiting keeps its replaces: 0 there means no text was written for it since.
  const unindexedExchange = db.prepare('INSERT INTO unindexed (rowid, replaces) VALUES (? << 32, ?) ON CONFLICT DO NOTHING');
  const unindexedFrame = db.prepare('INSERT INTO unindexed (rowid, replaces) VALUES ((? << 32) + ? + 1, ?) ON CONFLICT DO NOTHING');
  const findFrame = db.prepare('SELECT rowid AS rowid, direction, size FROM frames WHERE exchange_id = ? AND seq = ?');
  const deleteFrame = db.prepare('DELETE FROM frames WHERE rowid = ?');
  const insertFrame = db.prepare(
    `INSERT INTO frames (exchange_id, seq, direction, at, opcode, size, body, truncated, rule, mark, original)
     VALUES (@exchange_id, @seq, @direction, @at, @opcode, @size, @body, @truncated, @rule, @mark, @original)`,
  );
  const bumpFrames = db.prepare(
    `UPDATE exchanges SET client_frames = client_frames + ?, server_frames = server_frames + ?,
       client_frame_bytes = client_frame_bytes + ?, server_frame_bytes = server_frame_bytes + ? WHERE id = ?`,
  );

  const exists = db.prepare('SELECT 1 FROM exchanges WHERE id = ?').pluck();
  const putExchange = (record: FlowHead, fresh: boolean): void => {
    const params = exchangeParams(record);
    const existed = !fresh && exists.get(record.id) !== undefined;
    (existed ? updateExchange : record.kind === 'ws' ? insertExchange : insertPlainExchange).run(params);
    putBodies.run(params);
    if (existed) deleteErrors.run(record.id);
    for (const error of record.errors) insertError.run(error, record.id);
    unindexedExchange.run(record.id, existed ? 1 : 0);
  };

  type Delta = [clientFrames: number, serverFrames: number, clientBytes: number, serverBytes: number];
  const putFrame = (frame: StoredFrame, deltas: Map<number, Delta>): void => {
    let delta = deltas.get(frame.exchangeId);
    if (delta === undefined) deltas.set(frame.exchangeId, (delta = [0, 0, 0, 0]));
    const side = (direction: string) => (direction === 'client' ? 0 : 1);
    const old = findFrame.get(frame.exchangeId, frame.seq) as { rowid: number; direction: string; size: number } | undefined;
    if (old) {
      deleteFrame.run(old.rowid);
      delta[side(old.direction)] -= 1;
      delta[side(old.direction) + 2] -= old.size;
    }
    insertFrame.run(frameParams(frame));
    // Only binary frames are decoded, so only they have text; a replaced one may have had.
    if (frame.opcode === 2 || old) unindexedFrame.run(frame.exchangeId, frame.seq, old ? 1 : 0);
    delta[side(frame.direction)] += 1;
    delta[side(frame.direction) + 2] += frame.size;
  };

  const insertJournal = db.prepare('INSERT INTO tap_journal (calls, records) VALUES (?, ?)');
  const deleteJournal = db.prepare('DELETE FROM tap_journal WHERE seq = ?');
  const noteOpenFlows = db.prepare('INSERT OR REPLACE INTO store_state (key, value) VALUES (?, ?)');
  const contentKeys = prepareContentKeys(db);
  const batch = db.transaction((entries: Queued[]) => {
    const deltas = new Map<number, Delta>();
    for (const entry of entries) {
      if (entry.kind === 'contentKey') {
        contentKeys.set(entry.id, entry.key);
      } else if (entry.kind === 'journal') {
        insertJournal.run(entry.calls, entry.records);
      } else if (entry.kind === 'journalDone') {
        deleteJournal.run(entry.seq);
      } else if (entry.kind === 'journalOpenFlows') {
        noteOpenFlows.run(openFlowsKey(entry.version), JSON.stringify(entry.flows));
      } else if (entry.kind === 'exchange') {
        // Frames written earlier in this batch are already counted by the insert.
        if (deltas.has(entry.record.id)) flushDelta(entry.record.id);
        putExchange(entry.record, entry.fresh);
      } else {
        putFrame(entry.frame, deltas);
      }
    }
    for (const id of [...deltas.keys()]) flushDelta(id);

    function flushDelta(id: number): void {
      const [cf, sf, cb, sb] = deltas.get(id)!;
      bumpFrames.run(cf, sf, cb, sb, id);
      deltas.delete(id);
    }
  });

  const inTransaction = db.transaction((run: () => number) => run());
  return {
    batch: (entries: Queued[]) => batch.immediate(entries),
    contentKeys,
    inTransaction: (run: () => number) => inTransaction.immediate(run),
    flow: db.prepare(flowSql),
    frames: db.prepare(framesSql),
    idsBetween: db.prepare('SELECT id FROM exchanges WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT ?').pluck(),
    journalRows: db.prepare('SELECT seq, calls, records FROM tap_journal WHERE seq > ? ORDER BY seq LIMIT ?'),
    journaled: db.prepare('SELECT ifnull(sum(calls), 0) FROM tap_journal').pluck(),
  };
}

/**
 * Where the open-flow note of journal rows of a tap-call version is kept. Those from before
 * tap calls carried a version kept theirs as 'journal_open_flows', left to the ca2-inspector that reads them.
 */
function openFlowsKey(version: number): string {
  return `journal_open_flows_v${version}`;
}

/** What an exchange the proxy never saw end says about itself. */
export const interruptedError = 'the proxy stopped before this exchange ended';

/**
 * A run that was killed (kill -9, a crash, power loss) leaves the rows of exchanges in
 * flight pending forever; a new run marks them interrupted, error sentence included, so
 * bare words find it as they find any failed exchange's error.
 */
function markInterrupted(db: Database.Database): void {
  db.transaction(() => {
    // Their search text names the old state: noted for the index to write again.
    db.prepare("INSERT INTO unindexed (rowid, replaces) SELECT id << 32, 1 FROM exchanges WHERE state = 'pending' ON CONFLICT DO NOTHING").run();
    db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE state = 'pending'").run(interruptedError);
  }).immediate();
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

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && transientCodes.test(code);
}

function openFailure(file: string, err: unknown, use: FileUse): string {
  const message = (err as Error).message;
  const code = (err as { code?: string }).code ?? '';
  const another = use.flag === null ? `${use.command} another file` : `pass ${use.flag} with another path`;
  if (/directory does not exist/.test(message)) {
    return `Cannot open the database ${file}: the folder ${path.dirname(path.resolve(file))} does not exist. Create it, or ${another}.`;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `Cannot open the database ${file}: another program holds it locked. Close that program, or ${another}.`;
  }
  if (use.writes && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM'))) {
    const exists = fs.existsSync(file);
    return `Cannot open the database ${file} for writing (${message}): ${exists ? 'make the file and its folder writable' : 'make its folder writable'}, or ${another}.`;
  }
  return `Cannot open the database ${file}: ${message}. ${another[0].toUpperCase()}${another.slice(1)}, or move that file away.`;
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
