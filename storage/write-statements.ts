// What the store's write queue (storage/write-queue.ts) holds, and the statements that write
// a batch of it in one transaction: exchange rows with their bodies and error names, frames
// with their exchange's counts, content keys, and the tap journal's rows and notes. Each
// write also notes what the search index lacks (storage/search-index.ts fills it later).

import type Database from 'better-sqlite3';
import type { Dropped } from '../model/types.ts';
import type { FlowHead, StoredFrame } from '../model/flow.ts';
import { prepareContentKeys } from './content-keys.ts';
import { bodyPackingOf } from './body-packing.ts';
import { headerPairsOf } from './header-pairs.ts';
import { openFlowsKey, type JournalRowIds, type OpenFlowRow } from './journal-table.ts';
import { bodyColumns, exchangeColumns, exchangeParams, frameParams, type ExchangeParams } from './rows.ts';

export type Queued =
  /** fresh: no row with this id was ever put, so writing it needs no lookup first. */
  | { kind: 'exchange'; record: FlowHead; fresh: boolean }
  | { kind: 'frame'; frame: StoredFrame }
  | { kind: 'contentKey'; id: number; key: string }
  /** Tap calls kept as raw bytes (recorder/tap-journal.ts), with how many exchanges and frames they end, and the ids they give. */
  | { kind: 'journal'; records: Uint8Array; calls: number; ends: Dropped; ids: JournalRowIds }
  | { kind: 'journalDone'; seq: number }
  | { kind: 'journalOpenFlows'; version: number; flows: OpenFlowRow[] };

export type WriteStatements = ReturnType<typeof prepareWrites>;

/** Free pages worth giving back (1 MiB of 4 KiB pages). */
const minFreePages = 256;

/**
 * The params' values in the order of `columns`, read by a function made for those names: the
 * same reads by a name taken from the list (params[c]) were a lookup V8 cannot specialise,
 * 0.6-0.8 µs an exchange, a few ns this way.
 */
function valuesIn(columns: readonly string[]): (params: ExchangeParams) => unknown[] {
  return new Function('p', `return [${columns.map((c) => `p.${c}`).join(', ')}];`) as (params: ExchangeParams) => unknown[];
}

/** packBodies: store bodies packed (storage/body-packing.ts), as a recording proxy does. */
export function prepareWrites(db: Database.Database, { packBodies }: { packBodies: boolean }) {
  const frameCount = (direction: string, what: string) =>
    `(SELECT ${what} FROM frames WHERE exchange_id = @id AND direction = '${direction}')`;
  // Positional where a row is written per exchange: better-sqlite3 binds an array by index, but
  // a named object by one property lookup per column, which was a fifth of an /exec row's write.
  const headValues = valuesIn(exchangeColumns);
  const bodyValues = valuesIn(['id', ...bodyColumns]);
  const places = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const updateExchange = db.prepare(`UPDATE exchanges SET ${exchangeColumns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
  // A new WebSocket row counts frames already stored, in case they were written before it;
  // other kinds have no frames.
  const insertPlainExchange = db.prepare(`INSERT INTO exchanges (${exchangeColumns.join(', ')}, id) VALUES (${places(exchangeColumns.length + 1)})`);
  const insertKeyedExchange = db.prepare(`INSERT INTO exchanges (${exchangeColumns.join(', ')}, id, content_key) VALUES (${places(exchangeColumns.length + 2)})`);
  const insertExchange = db.prepare(
    `INSERT INTO exchanges (id, ${exchangeColumns.join(', ')}, client_frames, server_frames, client_frame_bytes, server_frame_bytes)
     VALUES (@id, ${exchangeColumns.map((c) => `@${c}`).join(', ')},
       ${frameCount('client', 'count(*)')}, ${frameCount('server', 'count(*)')},
       ${frameCount('client', 'ifnull(sum(size), 0)')}, ${frameCount('server', 'ifnull(sum(size), 0)')})`,
  );
  const putBodies = db.prepare(`INSERT OR REPLACE INTO exchange_bodies (id, ${bodyColumns.join(', ')}) VALUES (${places(bodyColumns.length + 1)})`);
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
  const headerPairs = headerPairsOf(db);
  const storeHeaders = (headers: FlowHead['request']['headers']) => headerPairs.store(headers);
  const bodyPacking = bodyPackingOf(db);
  /** `key`: the content key put after it in the same batch, which a new row takes in its insert. Whether it took it. */
  const putExchange = (record: FlowHead, fresh: boolean, key: string | undefined): boolean => {
    const params = exchangeParams(record, storeHeaders);
    if (packBodies) bodyPacking.pack(params);
    const existed = !fresh && exists.get(record.id) !== undefined;
    const keyed = !existed && record.kind !== 'ws' && key !== undefined;
    if (!existed && record.kind === 'ws') insertExchange.run(params);
    else if (keyed) insertKeyedExchange.run(...headValues(params), record.id, key);
    else (existed ? updateExchange : insertPlainExchange).run(...headValues(params), record.id);
    putBodies.run(...bodyValues(params));
    if (existed) deleteErrors.run(record.id);
    for (const error of record.errors) insertError.run(error, record.id);
    unindexedExchange.run(record.id, existed ? 1 : 0);
    return keyed;
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

  const insertJournal = db.prepare('INSERT INTO tap_journal (calls, records, first_id, begins, open_flows) VALUES (?, ?, ?, ?, ?)');
  const deleteJournal = db.prepare('DELETE FROM tap_journal WHERE seq = ?');
  const noteOpenFlows = db.prepare('INSERT OR REPLACE INTO store_state (key, value) VALUES (?, ?)');
  const contentKeys = prepareContentKeys(db);
  const batch = db.transaction((entries: Queued[]) => {
    const deltas = new Map<number, Delta>();
    // An imported exchange's key is put just after its row: set by an UPDATE, it wrote the
    // whole row a second time. The last key put for an id, and where, as an UPDATE leaves it.
    const keys = new Map<number, { key: string; at: number }>();
    entries.forEach((entry, at) => entry.kind === 'contentKey' && keys.set(entry.id, { key: entry.key, at }));
    const keyedIds = new Set<number>();
    for (const [at, entry] of entries.entries()) {
      if (entry.kind === 'contentKey') {
        if (!keyedIds.has(entry.id)) contentKeys.set(entry.id, entry.key);
      } else if (entry.kind === 'journal') {
        insertJournal.run(entry.calls, entry.records, entry.ids.first, entry.ids.begins, JSON.stringify(entry.ids.openFlows));
      } else if (entry.kind === 'journalDone') {
        deleteJournal.run(entry.seq);
      } else if (entry.kind === 'journalOpenFlows') {
        noteOpenFlows.run(openFlowsKey(entry.version), JSON.stringify(entry.flows));
      } else if (entry.kind === 'exchange') {
        // Frames written earlier in this batch are already counted by the insert.
        if (deltas.has(entry.record.id)) flushDelta(entry.record.id);
        const later = keys.get(entry.record.id);
        if (putExchange(entry.record, entry.fresh, later && later.at > at ? later.key : undefined)) keyedIds.add(entry.record.id);
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

  const freePages = () => db.pragma('freelist_count', { simple: true }) as number;
  const inTransaction = db.transaction((run: () => number) => run());
  return {
    /** Writes the entries in one transaction, or none of them (throws what SQLite threw). */
    batch: (entries: Queued[]) => {
      const remembering = [headerPairs, bodyPacking];
      if (!db.inTransaction) for (const r of remembering) r.beginning();
      try {
        batch.immediate(entries);
      } catch (err) {
        for (const r of remembering) r.rolledBack();
        throw err;
      }
      for (const r of remembering) r.committed(db.inTransaction);
    },
    contentKeys,
    /**
     * Gives up to `pages` free pages back to the file system, when more than a few are free
     * (SQLite reuses free pages, so only many are worth moving the rest for); how many. A
     * burst leaves them: its tap journal is written first and deleted as it becomes rows,
     * which take less room. Files made before version 14 cannot give pages back.
     */
    reclaim: (pages: number) => {
      const before = freePages();
      if (before < minFreePages) return 0;
      db.pragma(`incremental_vacuum(${pages})`);
      return before - freePages();
    },
    /** Runs `run` in a write transaction of its own (the background steps). */
    inTransaction: (run: () => number) => inTransaction.immediate(run),
  };
}
