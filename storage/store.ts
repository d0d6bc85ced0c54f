// The recorded traffic in one SQLite file. Writes are queued and committed in batched
// transactions off the caller's path: a failing write (locked, full, read-only) is
// reported and retried, never thrown at the recorder, so recording cannot break
// forwarding. Reads flush the queue first so they see everything put so far.

import Database from 'better-sqlite3';
import path from 'node:path';
import fs from 'node:fs';
import { parseFilter } from '../model/filter.ts';
import { decodedSearchText, summarySearchText } from '../model/filter-match.ts';
import type { DecodeResult, ExchangeDetail, ExchangePage } from '../model/types.ts';
import { queryPage } from './list-query.ts';
import { iterateRecordedExchanges, type RecordedExchange } from './recorded-traffic.ts';
import { fileVersion, migrate, schemaVersion } from './migrations.ts';
import type { ExchangeRecord, FrameRecord } from './records.ts';
import {
  detailFromRows,
  exchangeParams,
  frameParams,
  summarize,
  summaryColumns,
  summaryFromRow,
  type DetailRow,
  type FrameRow,
  type SummaryRow,
} from './rows.ts';

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

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
}

export interface StoreStats {
  exchanges: number;
  frames: number;
  queued: number;
  /** Commits that failed (each is retried). */
  writeFailures: number;
  /** Records given up on: queue overflow while failing, or a record SQLite refused. */
  dropped: number;
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

type Queued = { kind: 'exchange'; record: ExchangeRecord } | { kind: 'frame'; frame: FrameRecord };

/** While locked, a write gives up after this long instead of holding up the event loop. */
const busyTimeoutMs = 25;
/** Opening and the final flush on close may wait longer: nothing else is waiting then. */
const patientBusyTimeoutMs = 2000;
const maxRetryDelayMs = 1000;
const maxCachedStatements = 200;

/** SQLite result codes for conditions that pass (a lock, space freed): the batch is retried. */
const transientCodes = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL|NOMEM)/;

export class Store {
  private readonly onError: (message: string) => void;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private queue: Queued[] = [];
  /** Exchanges waiting in the queue by id, so a pending row and its final version are written once. */
  private readonly queuedExchanges = new Map<number, Extract<Queued, { kind: 'exchange' }>>();
  private timer: NodeJS.Timeout | null = null;
  private nextId: number;
  private failureStreak = 0;
  private writeFailures = 0;
  private dropped = 0;
  private droppingReported = false;
  private closed = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly sql: ReturnType<typeof prepareStatements>;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    options: StoreOptions,
  ) {
    this.onError = options.onError ?? ((message) => process.emitWarning(message));
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxQueue = options.maxQueue ?? 50_000;
    this.nextId = ((db.prepare('SELECT max(id) AS id FROM exchanges').get() as { id: number | null }).id ?? 0) + 1;
    this.sql = prepareStatements(db);
  }

  /** Opens or creates the file: WAL mode, runs migrations. Throws StorageError with a sentence naming the file and the fix. */
  static open(file: string, options: StoreOptions = {}): Store {
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: patientBusyTimeoutMs });
    } catch (err) {
      throw new StorageError(openFailure(file, err));
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // The default 2 MB page cache thrashes once indexes outgrow it (a few hundred thousand rows).
      db.pragma('cache_size = -65536');
      const version = fileVersion(db);
      if (version > schemaVersion) {
        throw new StorageError(
          `${file} was written by a newer ca2-inspector (schema version ${version}; this one knows up to ${schemaVersion}): ` +
            'upgrade ca2-inspector, or pass --db with another file.',
        );
      }
      if (version === 0) {
        const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n;
        if (tables > 0) {
          throw new StorageError(`${file} is an SQLite database but not a ca2-inspector one: pass --db with another file.`);
        }
      }
      migrate(db);
      if (options.recording) markInterrupted(db);
      if (options.maxBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      return new Store(db, file, options);
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(openFailure(file, err));
    }
  }

  /** Ids are allocated here (max(id)+1 at open, then in memory) so the recorder can stream a row before it is written. */
  allocateExchangeId(): number {
    return this.nextId++;
  }

  /** Insert or replace (upsert by id). Queued; written in batched transactions. Never throws. */
  putExchange(record: ExchangeRecord): void {
    if (this.refuseClosed()) return;
    if (record.id >= this.nextId) this.nextId = record.id + 1;
    const waiting = this.queuedExchanges.get(record.id);
    if (waiting) {
      waiting.record = record;
      return;
    }
    const entry = { kind: 'exchange' as const, record };
    this.queuedExchanges.set(record.id, entry);
    this.enqueue(entry);
  }

  /** Queues a WebSocket frame; writing it also adds to its exchange's frame count and sizes. Never throws. */
  putFrame(frame: FrameRecord): void {
    if (this.refuseClosed()) return;
    this.enqueue({ kind: 'frame', frame });
  }

  /** Writes everything queued now, in one transaction; a failure is reported and the queue kept for a retry. */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedExchanges.clear();
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
    this.flush();
    const rows = this.read(() =>
      queryPage((sql) => this.statement(sql), filter, { limit, before: query.before, now: query.now ?? Date.now() }),
    );
    const items = rows.map(summaryFromRow);
    // A full page may be followed by an empty one; looking one row further could mean
    // walking the whole table when the filter matches nothing more.
    return { items, next: items.length === limit ? items[items.length - 1].id : null };
  }

  /** Everything recorded for one exchange, bodies base64, frames in seq order; null if there is none. */
  getExchange(id: number): ExchangeDetail | null {
    this.flush();
    return this.read(() => {
      const row = this.sql.detail.get(id) as DetailRow | undefined;
      if (row === undefined) return null;
      return detailFromRows(row, this.sql.frames.all(id) as FrameRow[]);
    });
  }

  /**
   * Every exchange the filter selects, oldest first, with its raw bodies and headers (no
   * decoded JSON, no frames): a whole recording read in one pass. Throws FilterError for a
   * malformed filter. Nothing may be put while the iteration runs.
   */
  recordedExchanges(query: { filter?: string; now?: number } = {}): Iterable<RecordedExchange> {
    const filter = parseFilter(query.filter ?? '');
    this.flush();
    const rows = this.read(() => iterateRecordedExchanges((sql) => this.statement(sql), filter, query.now ?? Date.now()));
    const file = this.file;
    return (function* () {
      try {
        yield* rows;
      } catch (err) {
        throw new StorageError(`Could not read ${file}: ${(err as Error).message}.`);
      }
    })();
  }

  stats(): StoreStats {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return this.read(() => ({
      exchanges: count('exchanges'),
      frames: count('frames'),
      queued: this.queue.length,
      writeFailures: this.writeFailures,
      dropped: this.dropped,
    }));
  }

  /** Flushes (waiting a little longer than usual for a lock), then closes. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.db.pragma(`busy_timeout = ${patientBusyTimeoutMs}`);
    this.flush();
    if (this.queue.length > 0) {
      this.dropped += this.queue.length;
      this.onError(`${this.queue.length} records could not be written to ${this.file} before closing and are lost.`);
      this.queue = [];
    }
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  private enqueue(entry: Queued): void {
    this.queue.push(entry);
    if (this.queue.length > this.maxQueue) this.dropOldest(this.queue.length - this.maxQueue);
    // While failing, only the timer retries, so puts do not each wait on a lock.
    if (this.queue.length >= this.maxBatch && this.failureStreak === 0) {
      this.flush();
    } else {
      this.schedule(this.flushIntervalMs);
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
    this.queue = batch;
    for (const entry of batch) if (entry.kind === 'exchange') this.queuedExchanges.set(entry.record.id, entry);
  }

  private dropOldest(count: number): void {
    const gone = this.queue.splice(0, count);
    for (const entry of gone) {
      if (entry.kind === 'exchange' && this.queuedExchanges.get(entry.record.id) === entry) this.queuedExchanges.delete(entry.record.id);
    }
    this.dropped += count;
    if (!this.droppingReported) {
      this.droppingReported = true;
      this.onError(
        `Writes to ${this.file} keep failing and more than ${this.maxQueue} records wait in memory: the oldest are being dropped (see stats().dropped).`,
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
      this.onError(`Writes to ${this.file} resumed after ${this.failureStreak} failed attempts; ${this.dropped} records dropped in all.`);
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
        this.dropped++;
        const what = batch[i].kind === 'exchange' ? `exchange ${(batch[i] as { record: ExchangeRecord }).record.id}` : 'a WebSocket frame';
        this.onError(`Could not record ${what} in ${this.file}, so it was dropped: ${(err as Error).message}`);
      }
    }
  }

  private refuseClosed(): boolean {
    if (!this.closed) return false;
    this.dropped++;
    return true;
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
  ];
  const bodyColumns = [
    'request_headers', 'request_body', 'request_decoded', 'request_truncated',
    'response_headers', 'response_body', 'response_decoded', 'response_truncated',
  ];
  const frameCount = (direction: string, what: string) =>
    `(SELECT ${what} FROM frames WHERE exchange_id = @id AND direction = '${direction}')`;
  const updateExchange = db.prepare(
    `UPDATE exchanges SET ${exchangeColumns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
  );
  // A new row counts frames already stored, in case they were written before it.
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
  // search_text rowids: exchange id << 32 for the exchange, plus seq + 1 for a frame (see migrations.ts).
  const deleteText = db.prepare('DELETE FROM search_text WHERE rowid = ? << 32');
  const insertText = db.prepare('INSERT INTO search_text (rowid, summary, error, request, response) VALUES (? << 32, ?, ?, ?, ?)');
  const findFrame = db.prepare('SELECT rowid AS rowid, direction, size, decoded IS NOT NULL AS decoded FROM frames WHERE exchange_id = ? AND seq = ?');
  const deleteFrame = db.prepare('DELETE FROM frames WHERE rowid = ?');
  const deleteFrameText = db.prepare('DELETE FROM search_text WHERE rowid = (? << 32) + ? + 1');
  const insertFrame = db.prepare(
    `INSERT INTO frames (exchange_id, seq, direction, at, opcode, size, body, decoded, truncated, problems)
     VALUES (@exchange_id, @seq, @direction, @at, @opcode, @size, @body, @decoded, @truncated, @problems)`,
  );
  const insertFrameText = db.prepare('INSERT INTO search_text (rowid, request, response) VALUES ((? << 32) + ? + 1, ?, ?)');
  const bumpFrames = db.prepare(
    `UPDATE exchanges SET client_frames = client_frames + ?, server_frames = server_frames + ?,
       client_frame_bytes = client_frame_bytes + ?, server_frame_bytes = server_frame_bytes + ? WHERE id = ?`,
  );

  const exists = db.prepare('SELECT 1 FROM exchanges WHERE id = ?').pluck();
  const putExchange = (record: ExchangeRecord): void => {
    const params = exchangeParams(record);
    const existed = exists.get(record.id) !== undefined;
    (existed ? updateExchange : insertExchange).run(params);
    putBodies.run(params);
    if (existed) {
      deleteErrors.run(record.id);
      deleteText.run(record.id);
    }
    for (const error of record.errors) insertError.run(error, record.id);
    insertText.run(
      record.id,
      summarySearchText(summarize(record)),
      record.error,
      decodedSearchText(record.request.decoded),
      decodedSearchText(record.response?.decoded ?? null),
    );
  };

  type Delta = [clientFrames: number, serverFrames: number, clientBytes: number, serverBytes: number];
  const putFrame = (frame: FrameRecord, deltas: Map<number, Delta>): void => {
    let delta = deltas.get(frame.exchangeId);
    if (delta === undefined) deltas.set(frame.exchangeId, (delta = [0, 0, 0, 0]));
    const side = (direction: string) => (direction === 'client' ? 0 : 1);
    const old = findFrame.get(frame.exchangeId, frame.seq) as { rowid: number; direction: string; size: number; decoded: number } | undefined;
    if (old) {
      if (old.decoded) deleteFrameText.run(frame.exchangeId, frame.seq);
      deleteFrame.run(old.rowid);
      delta[side(old.direction)] -= 1;
      delta[side(old.direction) + 2] -= old.size;
    }
    insertFrame.run(frameParams(frame));
    const text = decodedSearchText(frame.decoded);
    if (text !== null) {
      const client = frame.direction === 'client';
      insertFrameText.run(frame.exchangeId, frame.seq, client ? text : null, client ? null : text);
    }
    delta[side(frame.direction)] += 1;
    delta[side(frame.direction) + 2] += frame.size;
  };

  const batch = db.transaction((entries: Queued[]) => {
    const deltas = new Map<number, Delta>();
    for (const entry of entries) {
      if (entry.kind === 'exchange') {
        // Frames written earlier in this batch are already counted by the insert.
        if (deltas.has(entry.record.id)) flushDelta(entry.record.id);
        putExchange(entry.record);
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

  return {
    batch: (entries: Queued[]) => batch.immediate(entries),
    detail: db.prepare(
      `SELECT ${summaryColumns}, e.error, e.close_code, e.close_reason, e.close_by, e.close_at,
         b.request_headers, b.request_body, b.request_decoded, b.request_truncated,
         b.response_headers, b.response_body, b.response_decoded, b.response_truncated
       FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE e.id = ?`,
    ),
    frames: db.prepare('SELECT seq, direction, at, opcode, size, body, decoded, truncated FROM frames WHERE exchange_id = ? ORDER BY seq'),
  };
}

/** What an exchange the proxy never saw end says about itself. */
const interruptedError = 'the proxy stopped before this exchange ended';

/**
 * A run that was killed (kill -9, a crash, power loss) leaves the rows of exchanges in
 * flight pending forever; a new run marks them interrupted, error sentence included, so
 * bare words find it as they find any failed exchange's error.
 */
function markInterrupted(db: Database.Database): void {
  const pending = db.prepare(
    `SELECT ${summaryColumns}, b.request_decoded, b.response_decoded
     FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE e.state = 'pending'`,
  );
  const mark = db.prepare("UPDATE exchanges SET state = 'interrupted', error = ? WHERE id = ?");
  const deleteText = db.prepare('DELETE FROM search_text WHERE rowid = ? << 32');
  const insertText = db.prepare('INSERT INTO search_text (rowid, summary, error, request, response) VALUES (? << 32, ?, ?, ?, ?)');
  const searchText = (decoded: string | null) => decodedSearchText(decoded === null ? null : (JSON.parse(decoded) as DecodeResult));
  db.transaction(() => {
    for (const row of pending.all() as (SummaryRow & { request_decoded: string | null; response_decoded: string | null })[]) {
      mark.run(interruptedError, row.id);
      deleteText.run(row.id);
      insertText.run(row.id, summarySearchText(summaryFromRow(row)), interruptedError, searchText(row.request_decoded), searchText(row.response_decoded));
    }
  }).immediate();
}

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && transientCodes.test(code);
}

function openFailure(file: string, err: unknown): string {
  const message = (err as Error).message;
  const code = (err as { code?: string }).code ?? '';
  if (/directory does not exist/.test(message)) {
    return `Cannot open the database ${file}: the folder ${path.dirname(path.resolve(file))} does not exist. Create it, or pass --db with another path.`;
  }
  if (code === 'SQLITE_NOTADB') {
    return `${file} is not an SQLite database: pass --db with another path, or move that file away.`;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `Cannot open the database ${file}: another program holds it locked. Close that program, or pass --db with another file.`;
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    const exists = fs.existsSync(file);
    return `Cannot open the database ${file} for writing (${message}): ${exists ? 'make the file and its folder writable' : 'make its folder writable'}, or pass --db with another path.`;
  }
  return `Cannot open the database ${file}: ${message}. Pass --db with another path, or move that file away.`;
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
