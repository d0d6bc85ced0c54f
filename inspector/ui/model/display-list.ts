// The traffic list as the virtual list sees it: exchange rows, with the frames of
// each expanded WebSocket row listed right below it. Expansions are few, so an item
// is found by walking them instead of building a 100,000-entry array per update.

import type { ExchangeSummary, WsFrame } from '../../../model/types.ts';

/** What an expanded WebSocket row shows below itself. */
export interface Expansion {
  /** Frames loaded so far, in seq order; null while the detail is loading. */
  frames: WsFrame[] | null;
  /** A sentence when loading failed. */
  error?: string;
}

export type DisplayItem =
  | { type: 'exchange'; row: ExchangeSummary; rowIndex: number }
  | { type: 'frame'; exchangeId: number; frame: WsFrame; previousAt: string | null; first: boolean }
  | { type: 'note'; exchangeId: number; text: string };

interface Placed {
  rowIndex: number;
  exchangeId: number;
  childCount: number;
}

function childCount(expansion: Expansion): number {
  if (expansion.frames === null || expansion.error) return 1;
  return Math.max(1, expansion.frames.length);
}

export class DisplayList {
  private readonly placed: Placed[] = [];
  readonly count: number;

  constructor(
    private readonly rows: ExchangeSummary[],
    private readonly expansions: ReadonlyMap<number, Expansion>,
    private readonly indexOf: (id: number) => number,
  ) {
    for (const [id, expansion] of expansions) {
      const rowIndex = indexOf(id);
      if (rowIndex >= 0) this.placed.push({ rowIndex, exchangeId: id, childCount: childCount(expansion) });
    }
    this.placed.sort((a, b) => a.rowIndex - b.rowIndex);
    this.count = rows.length + this.placed.reduce((sum, p) => sum + p.childCount, 0);
  }

  itemAt(index: number): DisplayItem | undefined {
    let shift = 0;
    for (const p of this.placed) {
      const parentAt = p.rowIndex + shift;
      if (index <= parentAt) break;
      if (index <= parentAt + p.childCount) return this.child(p.exchangeId, index - parentAt - 1);
      shift += p.childCount;
    }
    const rowIndex = index - shift;
    const row = this.rows[rowIndex];
    return row ? { type: 'exchange', row, rowIndex } : undefined;
  }

  /** Display index of an exchange's row, or with `seq` of one of its frame rows; -1 when it is not listed. */
  displayIndexOf(id: number, seq: number | null): number {
    const rowIndex = this.indexOf(id);
    if (rowIndex < 0) return -1;
    return seq === null ? this.displayIndexOfRow(rowIndex) : this.displayIndexOfFrame(rowIndex, seq);
  }

  /** Display index of the exchange row at rowIndex. */
  displayIndexOfRow(rowIndex: number): number {
    let shift = 0;
    for (const p of this.placed) {
      if (p.rowIndex >= rowIndex) break;
      shift += p.childCount;
    }
    return rowIndex + shift;
  }

  /** Display index of a frame row of an expanded exchange, or -1 when it is not listed. */
  displayIndexOfFrame(rowIndex: number, seq: number): number {
    const placed = this.placed.find((p) => p.rowIndex === rowIndex);
    const frames = placed ? this.expansions.get(placed.exchangeId)?.frames : null;
    const at = frames ? frames.findIndex((f) => f.seq === seq) : -1;
    return at < 0 ? -1 : this.displayIndexOfRow(rowIndex) + 1 + at;
  }

  /**
   * The exchange or frame row `step` items away from `index`, stepping over notes
   * ("Loading frames…"); undefined past either end.
   */
  step(index: number, step: number): Extract<DisplayItem, { type: 'exchange' | 'frame' }> | undefined {
    for (let at = index + step; at >= 0 && at < this.count; at += Math.sign(step)) {
      const item = this.itemAt(at);
      if (item && item.type !== 'note') return item;
    }
    return undefined;
  }

  private child(exchangeId: number, childIndex: number): DisplayItem {
    const expansion = this.expansions.get(exchangeId)!;
    if (expansion.error) return { type: 'note', exchangeId, text: expansion.error };
    if (expansion.frames === null) return { type: 'note', exchangeId, text: 'Loading frames…' };
    if (expansion.frames.length === 0) return { type: 'note', exchangeId, text: 'No frames on this connection yet.' };
    const frame = expansion.frames[childIndex]!;
    const previous = childIndex > 0 ? expansion.frames[childIndex - 1]! : null;
    return { type: 'frame', exchangeId, frame, previousAt: previous ? previous.at : null, first: childIndex === 0 };
  }
}
