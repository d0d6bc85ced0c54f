// The full-text index, filled off the write path. A write only notes the search_text
// rowids it made out of date in `unindexed`; step() decodes those rows and writes their
// text, a small batch at a time, when the store is idle. Until then a bare-word query
// decodes and checks the rows still waiting (storage/settled-page.ts), so none is missed.

import type Database from 'better-sqlite3';
import type { ExchangeTexts, FlowDecoder, FrameText } from './decode.ts';
import { bodyPackingOf, type BodyReader } from './body-packing.ts';
import { headerPairsOf } from './header-pairs.ts';
import { flowFromRows, frameColumnsSql, totalsFromRow, type FrameRow, type HeaderReader } from './rows.ts';
import { flowRowReader } from './flow-row-reader.ts';
import { summaryOf } from './views.ts';

/**
 * search_text rowids: exchange id << 32 for the exchange, plus seq + 1 for a frame (see
 * migrations.ts). As BigInt: past about two million exchanges they outgrow a double.
 */
function textRowid(id: number, slot = 0): bigint {
  return (BigInt(id) << 32n) + BigInt(slot);
}

export class SearchIndex {
  private readonly s;
  private readonly headers: HeaderReader;
  private readonly bodies: BodyReader;

  constructor(
    db: Database.Database,
    private readonly decoder: FlowDecoder,
  ) {
    this.headers = headerPairsOf(db);
    this.bodies = bodyPackingOf(db);
    this.s = {
      next: db.prepare('SELECT rowid, replaces FROM unindexed ORDER BY rowid DESC LIMIT ?').safeIntegers(true),
      ids: db.prepare('SELECT DISTINCT rowid >> 32 AS id FROM unindexed ORDER BY id DESC').pluck(),
      count: db.prepare('SELECT count(*) FROM unindexed').pluck(),
      done: db.prepare('DELETE FROM unindexed WHERE rowid = ?'),
      doneExchange: db.prepare('DELETE FROM unindexed WHERE rowid >= ? << 32 AND rowid < (? + 1) << 32'),
      flow: flowRowReader(db),
      frame: db.prepare(`SELECT ${frameColumnsSql} FROM frames WHERE exchange_id = ? AND seq = ?`),
      deleteText: db.prepare('DELETE FROM search_text WHERE rowid = ?'),
      insertText: db.prepare('INSERT INTO search_text (rowid, summary, error, request, response) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  /** Rows waiting to be indexed (exchanges and frames). */
  waiting(): number {
    return this.s.count.get() as number;
  }

  /** Ids of the exchanges with a row waiting, newest first. */
  waitingIds(): number[] {
    return this.s.ids.all() as number[];
  }

  /** Indexes up to `limit` waiting rows, newest first; the caller holds the transaction. Returns how many. */
  step(limit: number): number {
    const waiting = this.s.next.all(limit) as { rowid: bigint; replaces: bigint }[];
    for (const { rowid, replaces } of waiting) {
      const id = Number(rowid >> 32n);
      const slot = Number(rowid & 0xffffffffn);
      if (replaces) this.s.deleteText.run(rowid);
      if (slot === 0) {
        const row = this.s.flow(id);
        if (row) {
          // The frames are indexed rows of their own: the exchange's texts need its head only.
          const flow = flowFromRows(row, [], this.headers, this.bodies);
          this.writeExchange(id, this.decoder.exchangeTexts(summaryOf(flow, totalsFromRow(row)), flow), false);
        }
      } else {
        const frame = this.s.frame.get(id, slot - 1) as FrameRow | undefined;
        if (frame) this.writeFrame(id, this.decoder.frameText(frame), false);
      }
      this.s.done.run(rowid);
    }
    return waiting.length;
  }

  /** Writes the texts of an exchange and its frames worked out by the caller, and clears its waiting rows. */
  rewrite(id: number, texts: ExchangeTexts, frames: FrameText[]): void {
    this.writeExchange(id, texts);
    for (const frame of frames) this.writeFrame(id, frame);
    this.s.doneExchange.run(id, id);
  }

  private writeExchange(id: number, texts: ExchangeTexts, replace = true): void {
    const rowid = textRowid(id);
    if (replace) this.s.deleteText.run(rowid);
    this.s.insertText.run(rowid, texts.summary, texts.error, texts.request, texts.response);
  }

  private writeFrame(id: number, { seq, direction, text }: FrameText, replace = true): void {
    const rowid = textRowid(id, seq + 1);
    if (replace) this.s.deleteText.run(rowid);
    if (text === null) return;
    this.s.insertText.run(rowid, null, null, direction === 'client' ? text : null, direction === 'server' ? text : null);
  }
}
