// Summary columns follow the schema loaded now. The file keeps the fingerprint of the
// schema that computed them; opening it with another marks every row stale (ids
// stale_low..stale_high in store_state), and step() redoes them newest first, a small
// batch at a time: facts recomputed from the bytes, columns, errors and search text
// rewritten. Until a row is redone, queries decode it (storage/settled-page.ts).

import type Database from 'better-sqlite3';
import { summarySearchText } from '../model/filter-match.ts';
import type { FlowDecoder } from './decode.ts';
import { bodyPackingOf, type BodyReader } from './body-packing.ts';
import { headerPairsOf } from './header-pairs.ts';
import { flowFromRows, framesSql, type FrameRow, type HeaderReader } from './rows.ts';
import { flowRowReader } from './flow-row-reader.ts';
import { frameTotals, summaryOf } from './views.ts';
import type { SearchIndex } from './search-index.ts';

export interface StaleRange {
  low: number;
  high: number;
}

export class Resummariser {
  private readonly s;
  private range: StaleRange | null;
  private total: number;
  private readonly headers: HeaderReader;
  private readonly bodies: BodyReader;

  constructor(
    private readonly db: Database.Database,
    private readonly decoder: FlowDecoder,
    private readonly index: SearchIndex,
  ) {
    this.headers = headerPairsOf(db);
    this.bodies = bodyPackingOf(db);
    this.s = {
      get: db.prepare('SELECT value FROM store_state WHERE key = ?').pluck(),
      has: db.prepare('SELECT 1 FROM store_state WHERE key = ?').pluck(),
      set: db.prepare('INSERT OR REPLACE INTO store_state (key, value) VALUES (?, ?)'),
      clear: db.prepare("DELETE FROM store_state WHERE key IN ('stale_low', 'stale_high', 'stale_total')"),
      bounds: db.prepare('SELECT min(id) AS low, max(id) AS high, count(*) AS n FROM exchanges'),
      between: db.prepare('SELECT count(*) FROM exchanges WHERE id BETWEEN ? AND ?').pluck(),
      ids: db.prepare('SELECT id FROM exchanges WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT ?').pluck(),
      flow: flowRowReader(db),
      frames: db.prepare(framesSql),
      update: db.prepare(
        `UPDATE exchanges SET service = @service, operation = @operation, trx = @trx, errors = @errors, error_count = @error_count,
           token_sub = @token_sub, token_prefix = @token_prefix, token_exp = @token_exp, token_expired = @token_expired,
           problems = @problems, problem_count = @problem_count WHERE id = @id`,
      ),
      deleteErrors: db.prepare('DELETE FROM exchange_errors WHERE exchange_id = ?'),
      insertError: db.prepare('INSERT OR IGNORE INTO exchange_errors (error, exchange_id) VALUES (?, ?)'),
    };
    const low = this.s.get.get('stale_low') as number | undefined;
    const high = this.s.get.get('stale_high') as number | undefined;
    this.range = low === undefined || high === undefined ? null : { low, high };
    this.total = (this.s.get.get('stale_total') as number | undefined) ?? 0;
  }

  /**
   * Records the schema loaded now: its fingerprint, and its descriptor set so that readers
   * decode the file as it was recorded. If another schema computed the rows, all of them
   * become stale. Returns how many rows are left to redo. Writes only when the schema
   * changed (or the file kept no descriptor set yet), and never when `readOnly`: a reader
   * only works out what is stale, and decodes those rows as it reads them.
   */
  adopt(fingerprint: string, descriptorSet: () => Uint8Array, readOnly: boolean): number {
    const changed = this.s.get.get('schema_fingerprint') !== fingerprint;
    const markStale = () => {
      const { low, high, n } = this.s.bounds.get() as { low: number | null; high: number | null; n: number };
      if (low === null || high === null) return;
      this.range = { low, high };
      this.total = n;
      if (!readOnly) this.save();
    };
    if (readOnly) {
      if (changed) markStale();
    } else if (changed || this.s.has.get('schema_descriptor_set') === undefined) {
      this.db.transaction(() => {
        this.s.set.run('schema_fingerprint', fingerprint);
        this.s.set.run('schema_descriptor_set', Buffer.from(descriptorSet()));
        if (changed) markStale();
      }).immediate();
    }
    return this.range === null ? 0 : (this.s.between.get(this.range.low, this.range.high) as number);
  }

  /** Ids an older schema summarised, or null when every row is current. */
  stale(): StaleRange | null {
    return this.range;
  }

  progress(): { done: number; total: number } | null {
    if (this.range === null) return null;
    return { done: this.total - (this.s.between.get(this.range.low, this.range.high) as number), total: this.total };
  }

  /** Redoes up to `limit` stale rows, newest first; the caller holds the transaction. Returns how many. */
  step(limit: number): number {
    if (this.range === null) return 0;
    const ids = this.s.ids.all(this.range.low, this.range.high, limit) as number[];
    for (const id of ids) this.redo(id);
    const last = ids.length < limit ? this.range.low - 1 : ids[ids.length - 1] - 1;
    this.range = last < this.range.low ? null : { low: this.range.low, high: last };
    this.save();
    return ids.length;
  }

  private redo(id: number): void {
    const flow = flowFromRows(this.s.flow(id)!, this.s.frames.all(id) as FrameRow[], this.headers, this.bodies);
    const { facts, texts, frameTexts } = this.decoder.redo(flow);
    const token = facts.token;
    this.s.update.run({
      id,
      service: facts.service,
      operation: facts.operation,
      trx: facts.trx,
      errors: JSON.stringify(facts.errors),
      error_count: facts.errors.length,
      token_sub: token?.sub ?? null,
      token_prefix: token?.prefix ?? null,
      token_exp: token?.exp ?? null,
      token_expired: token?.expired === undefined ? null : token.expired ? 1 : 0,
      problems: JSON.stringify(facts.problems),
      problem_count: facts.problems.length,
    });
    this.s.deleteErrors.run(id);
    for (const error of facts.errors) this.s.insertError.run(error, id);
    this.index.rewrite(id, { summary: summarySearchText(summaryOf({ ...flow, ...facts }, frameTotals(flow.frames))), ...texts }, frameTexts);
  }

  private save(): void {
    if (this.range === null) {
      this.s.clear.run();
      return;
    }
    this.s.set.run('stale_low', this.range.low);
    this.s.set.run('stale_high', this.range.high);
    this.s.set.run('stale_total', this.total);
  }
}
