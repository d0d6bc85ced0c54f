// The tap journal's side of the store: tap calls kept as raw bytes in tap_journal until the
// recorder makes them into rows (recorder/tap-journal.ts), handed out oldest first and each
// once; the note of which row each flow open in the recorder has, for a recovery to take
// them up; rows another ca2-inspector wrote, kept for it; and the claim on a journal whose
// recorder is gone, so that one reader, and only one, makes it into rows.

import type Database from 'better-sqlite3';
import type { Dropped } from '../model/types.ts';
import { processAlive } from './file-check.ts';
import type { WriteQueue } from './write-queue.ts';

/** A flow open in the recorder as a journal started or went on: its id in the run that journaled it, and its exchange row. */
export type OpenFlowRow = [flowId: number, exchangeId: number];

/**
 * The exchange ids a journal row's calls give (storage/migrations.ts, version 10): the
 * exchanges it begins take first, first + 1, … in call order, begins of them, reserved as
 * it was written; its calls may go on with the flows of openFlows, begun before it.
 */
export interface JournalRowIds {
  first: number;
  begins: number;
  openFlows: OpenFlowRow[];
}

/** One row of the tap journal, oldest first. */
export interface JournalEntry {
  seq: number;
  calls: number;
  records: Uint8Array;
  /** Null for a row written before rows carried their ids. */
  ids: JournalRowIds | null;
}

interface JournalRow {
  seq: number;
  calls: number;
  records: Uint8Array;
  first_id: number | null;
  begins: number | null;
  open_flows: string | null;
}

const journalColumns = 'seq, calls, records, first_id, begins, open_flows';

function entryOf(row: JournalRow): JournalEntry {
  const ids = row.first_id === null || row.begins === null ? null : { first: row.first_id, begins: row.begins, openFlows: JSON.parse(row.open_flows ?? '[]') as OpenFlowRow[] };
  return { seq: row.seq, calls: row.calls, records: row.records, ids };
}

/** What the recorder's journal (recorder/tap-journal.ts) does for the store's readers. */
export interface JournalReads {
  /** Before every read: the journal made into rows, or, if that is too much to do at once, begun in the background. */
  beforeRead(): void;
  /** Resolves once every call journaled so far is stored as rows. */
  stored(): Promise<void>;
}

/** The reads of the journal's rows that reading it in place walks with (Store.readJournalRows). */
export type JournalRowReads = Pick<JournalTable, 'rowsNewestFirst' | 'rowsOldestFirst' | 'rowBeginning' | 'firstId' | 'rowGivingBelow' | 'rowsWithoutIds'>;

/**
 * Where the open-flow note of journal rows of a tap-call version is kept. Those from before
 * tap calls carried a version kept theirs as 'journal_open_flows', left to the ca2-inspector that reads them.
 */
export function openFlowsKey(version: number): string {
  return `journal_open_flows_v${version}`;
}

export class JournalTable {
  /** The newest journal row handed out to be made into rows; its deletion may still be queued. */
  private taken = 0;
  /** Calls in journal rows another ca2-inspector wrote, left in the file: not journaled for this one to store. */
  private keptCalls = 0;
  private journal: JournalReads | null = null;
  private readonly rowsAfter: Database.Statement;
  private readonly rowsBefore: Database.Statement;
  private readonly rowsFrom: Database.Statement;
  private readonly beginning: Database.Statement;
  private readonly firstGiven: Database.Statement;
  private readonly givingBelow: Database.Statement;
  private readonly withoutIds: Database.Statement;
  private readonly reserved: Database.Statement;
  private readonly journaled: Database.Statement;
  private readonly anyRow: Database.Statement;
  private readonly note: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly queue: WriteQueue,
    /** The store is the recording one: the file names this process as its recorder (storage/open.ts), so no other runs for a journal in it. */
    private readonly recording: boolean,
  ) {
    this.rowsAfter = db.prepare(`SELECT ${journalColumns} FROM tap_journal WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.rowsBefore = db.prepare(`SELECT ${journalColumns} FROM tap_journal WHERE seq < ? ORDER BY seq DESC LIMIT ?`);
    this.rowsFrom = db.prepare(`SELECT ${journalColumns} FROM tap_journal WHERE seq >= ? ORDER BY seq LIMIT ?`);
    this.beginning = db.prepare('SELECT seq FROM tap_journal WHERE first_id <= ? AND first_id + begins > ? ORDER BY first_id DESC LIMIT 1').pluck();
    this.firstGiven = db.prepare('SELECT min(first_id) FROM tap_journal').pluck();
    this.givingBelow = db.prepare('SELECT seq FROM tap_journal WHERE first_id < ? ORDER BY first_id DESC, seq DESC LIMIT 1').pluck();
    this.withoutIds = db.prepare(`SELECT ${journalColumns} FROM tap_journal WHERE first_id IS NULL`);
    this.reserved = db.prepare('SELECT max(first_id + begins) FROM tap_journal').pluck();
    this.journaled = db.prepare('SELECT ifnull(sum(calls), 0) FROM tap_journal').pluck();
    // Summing the calls reads a leaf page per row; whether there are any reads one.
    this.anyRow = db.prepare('SELECT 1 FROM tap_journal LIMIT 1').pluck();
    this.note = db.prepare('SELECT value FROM store_state WHERE key = ?').pluck();
  }

  put(records: Uint8Array, calls: number, ends: Dropped, ids: JournalRowIds): void {
    if (this.queue.closed) {
      this.queue.noteDropped('exchanges', ends.exchanges);
      this.queue.noteDropped('frames', ends.frames);
      return;
    }
    this.queue.put({ kind: 'journal', records, calls, ends, ids });
  }

  /** Up to `limit` rows not yet handed out, oldest first; null while writes fail (or after close). */
  rows(limit: number): JournalEntry[] | null {
    if (this.queue.closed || this.queue.failing) return null;
    this.queue.flush();
    if (this.queue.failing) return null;
    const rows = (this.rowsAfter.all(this.taken, limit) as JournalRow[]).map(entryOf);
    if (rows.length > 0) this.taken = rows[rows.length - 1]!.seq;
    return rows;
  }

  /** Up to `limit` rows written before row `seq` (all: undefined), newest first, whether handed out or not. */
  rowsNewestFirst(seq: number | undefined, limit: number): JournalEntry[] {
    return (this.rowsBefore.all(seq ?? Number.MAX_SAFE_INTEGER, limit) as JournalRow[]).map(entryOf);
  }

  /** Up to `limit` rows from row `seq` on, oldest first. */
  rowsOldestFirst(seq: number, limit: number): JournalEntry[] {
    return (this.rowsFrom.all(seq, limit) as JournalRow[]).map(entryOf);
  }

  /** The row whose calls begin exchange `id`, or null if none does. */
  rowBeginning(id: number): number | null {
    return (this.beginning.get(id, id) as number | undefined) ?? null;
  }

  /** The first id the rows give (that of the oldest row carrying ids); null when none does. */
  firstId(): number | null {
    return (this.firstGiven.get() as number | null) ?? null;
  }

  /** The newest row that gives an id below `id` (its first one is), or null if none does. */
  rowGivingBelow(id: number): number | null {
    return (this.givingBelow.get(id) as number | undefined) ?? null;
  }

  /** Rows that carry no ids: written before rows did, or by another ca2-inspector. */
  rowsWithoutIds(): JournalEntry[] {
    return (this.withoutIds.all() as JournalRow[]).map(entryOf);
  }

  /** One past the highest exchange id a journal row reserved (0 when none did): no other exchange may take it. */
  pastReserved(): number {
    return (this.reserved.get() as number | null) ?? 0;
  }

  done(seq: number): void {
    this.queue.put({ kind: 'journalDone', seq });
  }

  putOpenFlows(version: number, flows: OpenFlowRow[]): void {
    if (this.queue.closed) return;
    this.queue.put({ kind: 'journalOpenFlows', version, flows });
  }

  /** The note putOpenFlows last wrote for this tap-call version, as written. */
  openFlowsNote(version: number): string | undefined {
    return this.note.get(openFlowsKey(version)) as string | undefined;
  }

  kept(calls: number): void {
    this.keptCalls += calls;
  }

  /** Tap calls journaled and not yet made into rows, written or still queued, but for those kept for another ca2-inspector. */
  calls(): number {
    return (this.journaled.get() as number) - this.keptCalls + this.queue.journalCalls();
  }

  orphaned(): boolean {
    if (this.queue.closed || this.anyRow.get() === undefined) return false;
    if (this.recording) return true;
    const pid = this.db.prepare("SELECT value FROM store_state WHERE key = 'recorder_pid'").pluck().get() as number | undefined;
    return pid === undefined || !processAlive(pid);
  }

  claimOrphaned(): boolean {
    return this.db
      .transaction(() => {
        if (!this.orphaned()) return false;
        this.db.prepare("INSERT OR REPLACE INTO store_state (key, value) VALUES ('recorder_pid', ?)").run(process.pid);
        return true;
      })
      .immediate();
  }

  release(): void {
    this.db.prepare("DELETE FROM store_state WHERE key = 'recorder_pid' AND value = ?").run(process.pid);
  }

  attach(journal: JournalReads | null): void {
    this.journal = journal;
  }

  /** Asked before every read: the journal's calls made into rows (or begun), so reads see them. */
  beforeRead(): void {
    this.journal?.beforeRead();
  }

  async stored(): Promise<void> {
    await this.journal?.stored();
  }
}
