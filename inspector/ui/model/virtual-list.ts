// The arithmetic of a virtualised list with fixed-height rows: which rows to render
// for a scroll position, and where to scroll to bring a row into view.

export interface VisibleRange {
  /** First row index to render (inclusive). */
  start: number;
  /** Last row index to render (exclusive). */
  end: number;
  /** Height of all rows together, for the scroll spacer. */
  totalHeight: number;
}

/**
 * Rows that intersect the viewport, widened by `overscan` rows on both sides so a
 * fast scroll does not show blank space before the next render.
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 6,
): VisibleRange {
  const totalHeight = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, totalHeight };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, totalHeight - viewportHeight)));
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(viewportHeight, 0)) / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(count, last + overscan),
    totalHeight,
  };
}

/**
 * The scrollTop that makes row `index` fully visible while moving as little as
 * possible, or null when it already is.
 */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number | null {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return null;
}

/** Whether the viewport is within `screens` viewport heights of the end, time to load older rows. */
export function nearEnd(scrollTop: number, viewportHeight: number, totalHeight: number, screens = 2): boolean {
  return totalHeight - (scrollTop + viewportHeight) <= viewportHeight * screens;
}

/** The live edge is the top (newest first); a few pixels of slack keep it from flickering. */
export function atLiveEdge(scrollTop: number, slack = 4): boolean {
  return scrollTop <= slack;
}
