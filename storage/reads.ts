// The store's reads: pages of summaries for a filter, one flow whole, flows one at a time,
// and content keys. Each first settles the store (the write queue flushed, the journal
// asked to be made into rows) so it sees everything put so far. Rows SQL cannot answer for
// yet (not indexed, or summarised with another schema) are decoded and tested on what they
// say (storage/settled-page.ts); exchanges still in the journal are read from it
// (storage/journal-page.ts). A failure is a StorageError naming the file.

import type Database from 'better-sqlite3';
import { parseFilter, type FilterNode } from '../model/filter.ts';
import { matches, needsMessages } from '../model/filter-match.ts';
import type { Flow } from '../model/flow.ts';
import type { ExchangeDetail, ExchangePage, ExchangeSummary } from '../model/types.ts';
import type { FlowDecoder } from './decode.ts';
import type { JournalTable } from './journal-table.ts';
import { envelopeVerdict } from './envelope-verdict.ts';
import { journalPage, testsWithoutProblems, type JournaledFlows } from './journal-page.ts';
import { queryPage } from './list-query.ts';
import type { Resummariser } from './resummarise.ts';
import { bodyPackingOf } from './body-packing.ts';
import { headerPairsOf } from './header-pairs.ts';
import { flowFromRows, framesSql, type FlowRow, type FrameRow } from './rows.ts';
import { flowRowReader, flowRowsReader } from './flow-row-reader.ts';
import type { SearchIndex } from './search-index.ts';
import { hasWord, settledPage } from './settled-page.ts';
import { StorageError } from './storage-error.ts';
import { detailOf, frameTotals, summaryFromRow, summaryOf } from './views.ts';
import type { WriteQueue } from './write-queue.ts';
import type { WriteStatements } from './write-statements.ts';

const maxCachedStatements = 200;

export interface ListQuery {
  /** Rows per page, 1 to 1000 (default 100). */
  limit?: number;
  /** Only ids below this one: the `next` of the previous page. */
  before?: number;
  /** Filter text in the language of model/filter.ts. */
  filter?: string;
  /** ms epoch that relative times in the filter count back from (default: now). */
  now?: number;
  /**
   * Only these exchanges, each decoded and tested (limit and before do not apply, next is
   * null): for the live list, which cannot test field: terms on summaries, to ask which rows
   * that just changed the filter selects.
   */
  ids?: readonly number[];
}

/** Which exchanges, in which order: those the filter selects (all without one), or those of `ids` that are stored. */
export interface SelectQuery {
  filter?: string;
  ids?: readonly number[];
  order?: 'oldest' | 'newest';
  /** ms epoch that relative times in the filter count back from (default: now). */
  now?: number;
}

export class Reads {
  /** The list queries' statements, by their SQL: a filter makes one of its own. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly flowRow: (id: number) => FlowRow | undefined;
  private readonly flowRowsBetween: (low: number, high: number) => FlowRow[];
  private readonly frameRows: Database.Statement;
  private readonly idsBetween: Database.Statement;
  private journalFlows: JournaledFlows | null = null;
  private readonly stored: Database.Statement;
  private readonly allIds: Database.Statement;
  private readonly newestId: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly queue: WriteQueue,
    private readonly journal: JournalTable,
    private readonly contentKeys: WriteStatements['contentKeys'],
    private readonly decoder: FlowDecoder,
    private readonly resummariser: Resummariser,
    private readonly index: SearchIndex,
  ) {
    this.flowRow = flowRowReader(db);
    this.flowRowsBetween = flowRowsReader(db);
    this.frameRows = db.prepare(framesSql);
    this.idsBetween = db.prepare('SELECT id FROM exchanges WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT ?').pluck();
    this.stored = db.prepare('SELECT 1 FROM exchanges WHERE id = ?').pluck();
    this.allIds = db.prepare('SELECT id FROM exchanges ORDER BY id DESC').pluck();
    this.newestId = db.prepare('SELECT max(id) FROM exchanges').pluck();
  }

  /** Runs a read of the file, its failure a StorageError naming the file. */
  read<T>(run: () => T): T {
    if (this.queue.closed) throw new StorageError(`The store for ${this.file} is closed.`);
    try {
      return run();
    } catch (err) {
      throw new StorageError(`Could not read ${this.file}: ${(err as Error).message}.`);
    }
  }

  listExchanges(query: ListQuery): ExchangePage {
    const filter = parseFilter(query.filter ?? '');
    const limit = Math.min(1000, Math.max(1, Math.floor(query.limit ?? 100)));
    this.settle();
    const now = query.now ?? Date.now();
    if (query.ids) {
      const ids = [...new Set(query.ids)].sort((a, b) => b - a);
      const items = this.read(() => ids.flatMap((id) => this.testFlow(this.currentFlow(id), this.isStale(id), filter, now) ?? []));
      return { items, next: null };
    }
    const rows = (bounds: { before?: number; from?: number }, n: number) =>
      settledPage(filter, n, bounds, this.resummariser.stale(), {
        sql: (after, before, n) => queryPage((sql) => this.statement(sql), filter, { limit: n, before, after, now }).map(summaryFromRow),
        decodeAndTest: (id, stale) => this.testFlow(this.readRow(id), stale, filter, now),
        idsBetween: (low, high, n) => this.idsBetween.all(low, high, n) as number[],
        waitingIds: () => this.index.waitingIds(),
      });
    // One snapshot: a recorder making journal rows into rows meanwhile (another process) cannot show an exchange twice or not at all.
    const { items, journaled } = this.read(() =>
      this.db.transaction(() => {
        const admits = filter !== null && testsWithoutProblems(filter) ? (flow: Flow) => this.testFlow(flow, false, filter, now) !== null : null;
        const walk = this.journalFlows?.walk(query.before, admits, envelopeVerdict(filter, now)) ?? null;
        if (walk === null) return { items: rows({ before: query.before }, limit), journaled: this.journal.calls() };
        const items = journalPage(walk, limit, {
          test: (flow) => this.testFlow(flow, false, filter, now),
          // The ids the journal settled are often all above every row stored: SQL's plan would still count and fetch the filter's candidates among them all.
          stored: (from, n) => (from > ((this.newestId.get() as number | null) ?? 0) ? [] : rows({ before: query.before, from }, n)),
        });
        return { items, journaled: 0 };
      })(),
    );
    // A full page may be followed by an empty one; looking one row further could mean
    // walking the whole table when the filter matches nothing more.
    return { items, next: items.length === limit ? items[items.length - 1].id : null, ...(journaled > 0 ? { journaled } : {}) };
  }

  /** The recorder's side of the journal, which lists and reads what it holds (null: none, or detached). */
  attachJournalFlows(flows: JournaledFlows | null): void {
    this.journalFlows = flows;
  }

  getExchange(id: number): ExchangeDetail | null {
    const flow = this.flow(id);
    return flow && detailOf(flow, this.decoder.decode(flow, true));
  }

  flow(id: number): Flow | null {
    return this.settledFlow(id);
  }

  *flows(query: SelectQuery): Generator<Flow> {
    for (const id of this.ids(query)) {
      const flow = this.flow(id);
      if (flow) yield flow;
    }
  }

  ids(query: SelectQuery): number[] {
    let ids: number[];
    if (query.ids) {
      this.settle();
      // Those stored, and those the journal read in place still holds (the list shows them, so a selection can name them).
      const exists = (id: number) => this.stored.get(id) !== undefined || (this.journalFlows?.flow(id) ?? null) !== null;
      ids = this.read(() => [...new Set(query.ids)].filter(exists).sort((a, b) => b - a));
    } else if (parseFilter(query.filter ?? '') === null && this.journalFlows === null) {
      // Every row, with no journal read in place to add to them: one query, not pages of summaries (an export's or an import's whole file).
      this.settle();
      ids = this.read(() => this.allIds.all() as number[]);
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
    return query.order === 'oldest' ? ids.reverse() : ids;
  }

  /**
   * flow() of each of `ids` that is stored, in their order, each with the name an export
   * gives it (its identity) made from the row it was read from: its own query took 9 µs
   * an exchange, more than a tenth of an import's. Ids that rise closely (an export's or
   * an import's batch) are read in one walk of the table.
   */
  namedFlows(ids: readonly number[]): Flow[] {
    this.settle();
    return this.read(() => {
      if (this.journalFlows === null && risingClosely(ids)) return this.namedFlowsBetween(ids);
      const flows: Flow[] = [];
      for (const id of ids) {
        const journaled = this.journalFlows?.flow(id);
        const row = journaled ? undefined : this.flowRow(id);
        const flow = journaled ?? (row && this.flowOf(row));
        if (flow) flows.push(this.named(id, flow, row));
      }
      return flows;
    });
  }

  /** namedFlows() of rising ids, none in the journal, from the rows between the first and the last. */
  private namedFlowsBetween(ids: readonly number[]): Flow[] {
    const flows: Flow[] = [];
    let next = 0;
    for (const row of this.flowRowsBetween(ids[0], ids[ids.length - 1])) {
      while (ids[next] < row.id) next++;
      if (ids[next] === row.id) flows.push(this.named(row.id, this.flowOf(row), row));
    }
    return flows;
  }

  /** The flow with its facts worked out again if they are stale, and its identity. The caller holds read(). */
  private named(id: number, flow: Flow, row: FlowRow | undefined): Flow {
    if (this.isStale(id)) Object.assign(flow, this.decoder.facts(flow));
    if (row === undefined) return { ...flow, identity: this.contentKeys.identity(id)! };
    // Set on the flow just made from the row, not spread into a copy with it: on Node 20 a
    // spread that adds a property takes microseconds, and so does every spread of the copy.
    flow.identity = this.contentKeys.identityOf(id, row);
    return flow;
  }

  /** The flow after settling, its facts worked out again where they are stale. */
  private settledFlow(id: number): Flow | null {
    this.settle();
    return this.read(() => {
      const flow = this.currentFlow(id);
      if (flow && this.isStale(id)) Object.assign(flow, this.decoder.facts(flow));
      return flow;
    });
  }

  /** The flow as stored, its facts as they were summarised, without settling first. */
  storedFlow(id: number): Flow | null {
    return this.read(() => this.readRow(id));
  }

  hasContentKey(key: string): boolean {
    return this.read(() => this.contentKeys.has(key));
  }

  /** Forgets the cached statements, as the database closes. */
  close(): void {
    this.statements.clear();
  }

  /** What reads do first: the journal made into rows (or begun), and the queue written. */
  private settle(): void {
    if (this.queue.closed) return;
    this.journal.beforeRead();
    this.queue.flush();
  }

  private isStale(id: number): boolean {
    const stale = this.resummariser.stale();
    return stale !== null && id >= stale.low && id <= stale.high;
  }

  /** The exchange as the journal leaves it, when the journal begins or goes on with it; else its row. The caller holds read(). */
  private currentFlow(id: number): Flow | null {
    return this.journalFlows?.flow(id) ?? this.readRow(id);
  }

  /**
   * For rows SQL cannot answer for yet, and exchanges still in the journal: tests the
   * filter on what the flow says, decoding it for bare words and field: terms, and for
   * facts another schema summarised (`stale`).
   */
  private testFlow(flow: Flow | null, stale: boolean, filter: FilterNode | null, now: number): ExchangeSummary | null {
    if (flow === null) return null;
    const totals = frameTotals(flow.frames);
    if (filter === null) return summaryOf(stale ? { ...flow, ...this.decoder.facts(flow) } : flow, totals);
    const frameDirections = new Set(flow.frames.map((f) => f.direction));
    if (!stale && !hasWord(filter) && !needsMessages(filter)) {
      const summary = summaryOf(flow, totals);
      return matches(filter, summary, { now, frameDirections }) ? summary : null;
    }
    const { facts, texts, frameTexts, messages } = this.decoder.redo(flow);
    const summary = summaryOf(stale ? { ...flow, ...facts } : flow, totals);
    const text = [texts.error, texts.request, texts.response, ...frameTexts.map((f) => f.text)].filter((t): t is string => t !== null);
    return matches(filter, summary, { now, text, frameDirections, messages }) ? summary : null;
  }

  /** The one read of a flow's rows; the caller holds read(). */
  private readRow(id: number): Flow | null {
    const row = this.flowRow(id);
    return row === undefined ? null : this.flowOf(row);
  }

  /** Frames are asked for only where the row counts some or it is a WebSocket's: asking for none took 6 µs an exchange of an export's reads. */
  private flowOf(row: FlowRow): Flow {
    const framed = row.kind === 'ws' || row.client_frames + row.server_frames > 0;
    const frames = framed ? (this.frameRows.all(row.id) as FrameRow[]) : [];
    return flowFromRows(row, frames, headerPairsOf(this.db), bodyPackingOf(this.db));
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
}

/** Whether `ids` rise with few gaps: then walking the rows between the first and the last reads few rows not asked for. */
function risingClosely(ids: readonly number[]): boolean {
  if (ids.length < 2) return false;
  for (let i = 1; i < ids.length; i++) if (ids[i] <= ids[i - 1]) return false;
  return ids[ids.length - 1] - ids[0] < 2 * ids.length;
}
