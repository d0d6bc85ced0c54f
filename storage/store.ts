// The recorded traffic in one SQLite file. Writes are queued and committed in batched
// transactions off the caller's path: a failing write (locked, full, read-only) is
// reported and retried, never thrown at the recorder, so recording cannot break
// forwarding. Reads flush the queue first so they see everything put so far.
//
// Only bytes and summary columns are written as traffic passes. Decoding happens on
// read, with the codec given at open; the search index and the summaries of rows an
// older schema computed catch up in the background when the store is idle.
//
// Store is the one door to all of it; behind it each concept has its module: opening and
// migrating (storage/open.ts), the write queue (storage/write-queue.ts) and the statements
// that write a batch (storage/write-statements.ts), the tap journal's table with its orphan
// claims (storage/journal-table.ts), reads (storage/reads.ts) and the background work
// (storage/background.ts).

import type Database from 'better-sqlite3';
import { StorageError } from './storage-error.ts';
import type { FileUse } from './file-check.ts';
import type { Dropped, ExchangeDetail, ExchangePage, StoreStats } from '../model/types.ts';
import { createCodec, type Codec } from '../proto/codec.ts';
import { Background } from './background.ts';
import { FlowDecoder } from './decode.ts';
import { JournalTable, type JournalEntry, type JournalReads, type JournalRowIds, type JournalRowReads, type OpenFlowRow } from './journal-table.ts';
import type { JournaledFlows, JournalWalk } from './journal-page.ts';
import { openReading, openWritable, patientBusyTimeoutMs, type WritableOptions } from './open.ts';
import type { Flow, FlowHead, StoredFrame } from '../model/flow.ts';
import { Reads, type ListQuery, type SelectQuery } from './reads.ts';
import { Resummariser } from './resummarise.ts';
import { SearchIndex } from './search-index.ts';
import { indexesAfter, LoadSyncs } from './bulk-load.ts';
import { findImpossibleValue, type ImpossibleValue } from './value-check.ts';
import { WriteQueue } from './write-queue.ts';
import { prepareWrites } from './write-statements.ts';

export { StorageError };
export { interruptedError } from './open.ts';
export type { JournaledFlows, JournalEntry, JournalReads, JournalRowIds, JournalRowReads, JournalWalk, ListQuery, OpenFlowRow, SelectQuery };

export interface StoreOptions extends Pick<WritableOptions, 'freshLoad'> {
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
  /** SQLite's page cache, in bytes (default 64 MiB): an export's working file, read back as it is written, needs little. */
  cacheBytes?: number;
  /** A working file its maker removes should anything go wrong (an export's): no journal, no syncs. */
  scratch?: boolean;
  /**
   * Whether this store is the one recording: exchanges an earlier run left pending are
   * then marked interrupted at open. Readers such as `list` leave them, since the run
   * that writes them may still be going. Its bodies are stored packed
   * (storage/body-packing.ts), a cost imports and exports are spared.
   */
  recording?: boolean;
  /** The WAL is checkpointed by another connection (storage/checkpoint.ts), never by this store's commits. */
  checkpointsElsewhere?: boolean;
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

let bundledCodec: Codec | undefined;

export class Store {
  private nextId: number;
  private readonly queue: WriteQueue;
  private readonly journal: JournalTable;
  private readonly reads: Reads;
  private readonly background: Background;
  private readonly index: SearchIndex;
  private readonly resummariser: Resummariser;
  private backlog: (() => number) | null = null;
  private readonly recording: boolean;
  /** While allOrNothing runs a fresh load. */
  private loadSyncs: LoadSyncs | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    options: StoreOptions,
    /** Opened by openReadOnly: nothing is ever written. */
    readonly readOnly: boolean,
  ) {
    this.recording = options.recording ?? false;
    const flushIntervalMs = options.flushIntervalMs ?? 50;
    const idleAfterMs = options.idleAfterMs ?? 100;
    const writes = prepareWrites(db, { packBodies: this.recording });
    this.queue = new WriteQueue(file, writes, {
      onError: options.onError ?? ((message) => process.emitWarning(message)),
      flushIntervalMs,
      maxBatch: options.maxBatch ?? 500,
      maxQueue: options.maxQueue ?? 50_000,
      onPut: () => this.background.schedule(idleAfterMs),
    });
    this.journal = new JournalTable(db, this.queue, this.recording);
    // Past the ids journal rows reserved, too: they are given when those rows are made into rows.
    this.nextId = Math.max(((db.prepare('SELECT max(id) AS id FROM exchanges').get() as { id: number | null }).id ?? 0) + 1, this.journal.pastReserved());
    const decoder = new FlowDecoder(options.codec ?? (bundledCodec ??= createCodec()));
    this.index = new SearchIndex(db, decoder);
    this.resummariser = new Resummariser(db, decoder, this.index);
    this.reads = new Reads(db, file, this.queue, this.journal, writes.contentKeys, decoder, this.resummariser, this.index);
    this.background = new Background(decoder.codec, this.queue, writes, this.resummariser, this.index, {
      idleAfterMs,
      flushIntervalMs,
      onNotice: options.onNotice ?? (() => {}),
      readOnly,
    });
  }

  /**
   * Opens or creates the file to write to: WAL mode, migrations run (said through onNotice).
   * What the file is, is found out read-only first: nothing is written to a file that is no
   * recording. Throws StorageError with a sentence naming the file and the fix.
   */
  static open(file: string, options: StoreOptions = {}): Store {
    return openWritable(file, options, (db) => new Store(db, file, options, false));
  }

  /**
   * Opens a recording of the current version for reading only (storage/file-check.ts):
   * nothing is written to it, not even the search index or new summaries. Rows another
   * schema summarised, and rows not yet indexed, are decoded when a query needs them. The
   * caller has examined the file. Throws StorageError.
   */
  static openReadOnly(file: string, options: StoreOptions & { use: FileUse }): Store {
    return openReading(file, options.use, (db) => new Store(db, file, options, true), options.cacheBytes);
  }

  /** Ids are allocated here (max(id)+1 at open, then in memory) so the recorder can stream a row before it is written. */
  allocateExchangeId(): number {
    return this.nextId++;
  }

  /** Keeps the next `count` ids for the exchanges a journal row begins (recorder/journal-ids.ts); the first of them. */
  reserveExchangeIds(count: number): number {
    const first = this.nextId;
    this.nextId += count;
    return first;
  }

  /**
   * Insert or replace (upsert by id). Queued; written in batched transactions. Never throws.
   * `fresh`: the caller allocated the id and has not put it before, so no row needs looking up.
   */
  putExchange(record: FlowHead, options: { fresh?: boolean } = {}): void {
    if (this.queue.refuseClosed('exchanges')) return;
    if (record.id >= this.nextId) this.nextId = record.id + 1;
    this.queue.putExchange(record, options.fresh === true);
  }

  /** Queues a WebSocket frame; writing it also adds to its exchange's frame count and sizes. Never throws. */
  putFrame(frame: StoredFrame): void {
    if (this.queue.refuseClosed('frames')) return;
    this.queue.put({ kind: 'frame', frame });
  }

  /** Counts records the caller gave up on before they reached the store (the recorder fell too far behind). */
  noteDropped(kind: keyof Dropped, count: number): void {
    this.queue.noteDropped(kind, count);
  }

  /** Runs the background work (search index, new schema) to the end now; for tests and benchmarks. */
  catchUp(): void {
    this.background.catchUp();
  }

  /** Marks an exchange put before as imported with this content key (see capture/content-key.ts). Queued like the rest. */
  putContentKey(id: number, key: string): void {
    if (this.queue.refuseClosed('exchanges')) return;
    this.queue.put({ kind: 'contentKey', id, key });
  }

  /**
   * Keeps tap calls as raw bytes, to be made into rows later (recorder/tap-journal.ts).
   * `ends` counts the exchanges and frames among them, for the dropped totals should
   * they never be written.
   */
  putJournal(records: Uint8Array, calls: number, ends: Dropped, ids: JournalRowIds): void {
    this.journal.put(records, calls, ends, ids);
  }

  /** Runs `fn` on the journal's rows as a read of the file: for reading them in place (recorder/journal-view.ts). */
  readJournalRows<T>(fn: (rows: JournalRowReads) => T): T {
    return this.reads.read(() => fn(this.journal));
  }

  /**
   * Up to `limit` journal rows not yet handed out, oldest first; null while writes fail (or
   * after close), so that no row is handed out twice or before it is written.
   */
  journalRows(limit: number): JournalEntry[] | null {
    return this.journal.rows(limit);
  }

  /** Whether commits are failing (and being retried) now. */
  get writesFailing(): boolean {
    return this.queue.failing;
  }

  /**
   * Notes which rows the flows open in the recorder have, when a journal starts (queued
   * ahead of its first row) and with each part of it made into rows: a recorder recovering
   * the rest after a crash takes them up from these rows (recorder/tap-journal.ts). Each
   * note replaces the last of the same tap-call version: a journal another ca2-inspector
   * left in the file keeps its own.
   */
  putJournalOpenFlows(version: number, flows: OpenFlowRow[]): void {
    this.journal.putOpenFlows(version, flows);
  }

  /** The open flows last noted for journal rows of this tap-call version (putJournalOpenFlows). */
  journalOpenFlows(version: number): OpenFlowRow[] {
    const value = this.reads.read(() => this.journal.openFlowsNote(version));
    return value === undefined ? [] : (JSON.parse(value) as OpenFlowRow[]);
  }

  /**
   * A journal row handed out that this ca2-inspector cannot read (another one wrote it):
   * left in the file as it is, for that one, and no longer counted as journaled.
   */
  journalKept(calls: number): void {
    this.journal.kept(calls);
  }

  /** The flow as stored, its facts as they were summarised (for the recorder taking up an open flow). */
  storedFlow(id: number): Flow | null {
    return this.reads.storedFlow(id);
  }

  /** Queues the deletion of a journal row made into rows; put inside the same atomically() as those rows. */
  journalDone(seq: number): void {
    this.journal.done(seq);
  }

  /** Runs `fn` and writes what it put in one transaction, so none of it is stored without the rest. */
  atomically(fn: () => void): void {
    this.queue.atomically(fn);
  }

  /**
   * Whether the file holds journaled tap calls that no running recorder will make into
   * rows: the run that wrote them stopped first (kill -9, a crash, or a close after a
   * burst too long to store in time).
   */
  orphanedJournal(): boolean {
    return this.journal.orphaned();
  }

  /**
   * Takes an orphaned journal over for this process, in one write transaction, so that a
   * second reader opening the file at the same time leaves it alone; whether it did.
   * releaseJournal() gives it back.
   */
  claimOrphanedJournal(): boolean {
    return this.journal.claimOrphaned();
  }

  releaseJournal(): void {
    this.journal.release();
  }

  /** The recorder's journal, asked before every read (list, detail, export) to make its calls into rows, so that reads see them. */
  attachJournal(journal: JournalReads | null): void {
    this.journal.attach(journal);
  }

  /** What lists and reads the exchanges the journal holds before they are rows (recorder/journal-view.ts): pages and details then include them. */
  attachJournalFlows(flows: JournaledFlows | null): void {
    this.reads.attachJournalFlows(flows);
  }

  /**
   * Counts what waits to reach the store (the tap calls in the recorder's ring, not yet
   * read): added to stats().queued, since a kill -9 loses it as surely as the queue.
   */
  attachBacklog(backlog: (() => number) | null): void {
    this.backlog = backlog;
  }

  /** Resolves once every call the recorder journaled so far is stored as rows: for a read that must be whole (an export), where a list page may show what is stored so far. */
  async whenStored(): Promise<void> {
    await this.journal.stored();
  }

  /** Whether an exchange with this content key is written (queued keys are not looked at, so an import can stay one transaction). */
  hasContentKey(key: string): boolean {
    return this.reads.hasContentKey(key);
  }

  /** flow(id) of each of `ids` that is stored, with its identity: the name an export gives it, the same in every export (storage/content-keys.ts). */
  namedFlows(ids: readonly number[]): Flow[] {
    return this.reads.namedFlows(ids);
  }

  /**
   * Writes everything queued in one transaction, or nothing: for an import, which must not
   * be stored in part. On failure the queue is discarded and a StorageError thrown.
   */
  commitAll(): void {
    this.queue.commitAll();
    this.loadSyncs?.written();
  }

  /**
   * Runs `fn` in one write transaction, for an import larger than memory that must be
   * stored whole or not at all: each commitAll() inside writes what is queued as it goes,
   * and an error rolls all of it back and discards what is still queued, then is thrown on
   * (SQLite's own, such as a lock another program holds, as a StorageError).
   */
  allOrNothing<T>(fn: () => T): T {
    // Outside the transaction, both its opening and its closing (storage/bulk-load.ts).
    const syncs = (this.loadSyncs = LoadSyncs.before(this.db, this.file));
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      this.queue.discard();
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_')) throw new StorageError(`Could not write to ${this.file}, so nothing was stored: ${(err as Error).message}.`);
      throw err;
    } finally {
      this.loadSyncs = null;
      syncs?.close();
    }
  }

  /** Runs `load`, which adds many exchanges, then commits; an empty store's indexes are built once after it (storage/bulk-load.ts). For allOrNothing, or a scratch store. */
  bulkLoad<T>(load: () => T): T {
    return indexesAfter(this.db, () => {
      const result = load();
      this.commitAll();
      return result;
    });
  }

  /** Writes everything queued now, in one transaction; a failure is reported and the queue kept for a retry. */
  flush(): void {
    this.queue.flush();
  }

  /**
   * Runs `fn`, a run of reads, in one read transaction, so SQLite takes its locks once
   * rather than for every statement: a tenth of the time of a read by id. What is queued
   * is written first; `fn` must not write.
   */
  reading<T>(fn: () => T): T {
    this.flush();
    return this.db.transaction(fn).deferred();
  }

  /** Newest first. Throws FilterError for a malformed filter. */
  listExchanges(query: ListQuery = {}): ExchangePage {
    return this.reads.listExchanges(query);
  }

  /**
   * Everything recorded for one exchange, bodies base64, frames in seq order, decoded with
   * the codec loaded now, with spans for the hex view; null if there is none.
   */
  getExchange(id: number): ExchangeDetail | null {
    return this.reads.getExchange(id);
  }

  /** One exchange as stored, with its frames, its facts those of the schema loaded now; null if there is none. */
  flow(id: number): Flow | null {
    return this.reads.flow(id);
  }

  /**
   * The exchanges the filter selects (all without one), or those of `ids`, one at a time:
   * newest first by default, oldest first with `order: 'oldest'`. Only their ids are held,
   * never the flows. Throws FilterError for a malformed filter.
   */
  flows(query: SelectQuery = {}): Generator<Flow> {
    return this.reads.flows(query);
  }

  /**
   * The ids of the exchanges flows() would give, in its order, without reading them: for
   * a reader that goes over a selection more than once and must see the same exchanges
   * each time (an export learns the tokens of all before it writes any). Throws
   * FilterError for a malformed filter.
   */
  exchangeIds(query: SelectQuery = {}): number[] {
    return this.reads.ids(query);
  }

  /** The first value no recording can hold (storage/value-check.ts), for an import to refuse the file by. */
  impossibleValue(): ImpossibleValue | null {
    return findImpossibleValue(this.db);
  }

  stats(): StoreStats {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return this.reads.read(() => ({
      exchanges: count('exchanges'),
      frames: count('frames'),
      queued: this.queue.length + (this.backlog?.() ?? 0),
      writeFailures: this.queue.writeFailures,
      dropped: this.queue.droppedSoFar(),
      unindexed: this.index.waiting(),
      journaled: this.journal.calls(),
      reindexing: this.resummariser.progress(),
    }));
  }

  /** Flushes (waiting a little longer than usual for a lock), then closes. */
  close(): void {
    if (this.queue.closed) return;
    this.flushForGood();
    if (this.recording) {
      try {
        this.journal.release();
      } catch {
        // Read-only or locked now: a reader sees the process gone, which says the same.
      }
    }
    this.queue.close();
    this.reads.close();
    if (!this.readOnly && this.db.pragma('journal_mode', { simple: true }) === 'delete') this.db.pragma('journal_mode = WAL');
    this.db.close();
  }

  /**
   * The last write before closing: what is queued is written, waiting longer than usual
   * for a lock, and what still cannot be is counted dropped and said. No retries follow:
   * stats() after it counts everything this store lost.
   */
  flushForGood(): void {
    if (this.queue.closed) return;
    this.background.stop();
    this.db.pragma(`busy_timeout = ${patientBusyTimeoutMs}`);
    this.queue.flushForGood();
  }
}
