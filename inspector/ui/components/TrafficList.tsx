// The traffic list: newest first, virtualised with fixed-height rows (the height is a
// CSS custom property), loading older pages as the user nears the end. Scrolling away
// from the top pauses the live tail; the "N new" button jumps back to it.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ExchangeSummary } from '../../../model/types.ts';
import type { DisplayItem, DisplayList } from '../model/display-list.ts';
import { formatClock, formatDuration } from '../model/format.ts';
import { countOf, formatSize } from '../../../model/format.ts';
import { frameSummary, gapMs, notableGapMs, opcodeName } from '../model/frames.ts';
import { atLiveEdge, nearEnd, scrollToReveal, visibleRange } from '../model/virtual-list.ts';
import { changedByText } from '../model/rule-changes.ts';
import { ErrorChips, StatusBadge, exchangeLabel } from './badges.tsx';
import { FrameRuleTag } from './RuleChanges.tsx';
import { cssPixels, useViewport } from './use-viewport.ts';

interface TrafficListProps {
  display: DisplayList;
  selectedId: number | null;
  /** Set when the selection is on a frame row of the selected exchange. */
  selectedSeq: number | null;
  openId: number | null;
  expanded: ReadonlySet<number>;
  /** Display index to scroll into view, with a counter so the same index can be asked twice. */
  reveal: { index: number; seq: number } | null;
  /** Bumped to scroll back to the live edge. */
  toTop: number;
  pendingCount: number;
  paused: boolean;
  /** Whether the live stream is connected at all. */
  live: boolean;
  /** A file served with no proxy (`open`): there is no live tail to speak of. */
  readOnly: boolean;
  footer: string | null;
  emptyText: string;
  onSelect: (id: number) => void;
  onOpen: (id: number) => void;
  onOpenFrame: (id: number, seq: number) => void;
  onToggle: (id: number) => void;
  onScrolledAway: (away: boolean) => void;
  onNearEnd: () => void;
  onJumpToLive: () => void;
}

let firstRowsMarked = false;

export function TrafficList(props: TrafficListProps) {
  const { display } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const viewport = useViewport(scroller);
  const [rowHeight, setRowHeight] = useState(26);
  useLayoutEffect(() => setRowHeight(cssPixels(scroller.current, '--row-height', 26)), []);

  const range = visibleRange(viewport.scrollTop, viewport.height, rowHeight, display.count);
  const away = !atLiveEdge(viewport.scrollTop);
  useEffect(() => props.onScrolledAway(away), [away]);
  useEffect(() => {
    if (display.count > 0 && viewport.height > 0 && nearEnd(viewport.scrollTop, viewport.height, range.totalHeight)) props.onNearEnd();
  }, [viewport.scrollTop, viewport.height, display.count]);
  useEffect(() => {
    const element = scroller.current;
    if (!element || !props.reveal) return;
    const target = scrollToReveal(props.reveal.index, element.scrollTop, element.clientHeight, rowHeight);
    if (target !== null) element.scrollTop = target;
  }, [props.reveal?.seq]);
  useEffect(() => {
    if (props.toTop && scroller.current) scroller.current.scrollTop = 0;
  }, [props.toTop]);
  useEffect(() => {
    // The first-rows benchmark reads this mark: time from navigation start to rows on screen.
    if (!firstRowsMarked && display.count > 0) {
      firstRowsMarked = true;
      performance.mark('ca2:first-rows');
    }
  }, [display.count > 0]);

  const items: { index: number; item: DisplayItem }[] = [];
  for (let index = range.start; index < range.end; index++) {
    const item = display.itemAt(index);
    if (item) items.push({ index, item });
  }

  return (
    <section class="traffic" aria-label="Traffic">
      <div class="traffic-head row-grid" role="row">
        <span role="columnheader">time</span>
        <span role="columnheader">kind</span>
        <span role="columnheader">service.operation</span>
        <span role="columnheader" class="col-trx">trx</span>
        <span role="columnheader">status</span>
        <span role="columnheader">errors</span>
        <span role="columnheader" class="col-size num">size</span>
        <span role="columnheader" class="num col-dur">duration</span>
      </div>
      <div class="traffic-scroll" ref={scroller} role="grid" aria-rowcount={display.count} tabIndex={-1}>
        <div class="traffic-spacer" style={{ height: `${range.totalHeight}px` }}>
          <div class="traffic-rows" style={{ transform: `translateY(${range.start * rowHeight}px)` }}>
            {items.map(({ index, item }) =>
              item.type === 'exchange' ? (
                <ExchangeRow
                  key={`x${item.row.id}`}
                  row={item.row}
                  odd={item.rowIndex % 2 === 1}
                  selected={item.row.id === props.selectedId && props.selectedSeq === null}
                  open={item.row.id === props.openId}
                  expanded={props.expanded.has(item.row.id)}
                  onSelect={props.onSelect}
                  onOpen={props.onOpen}
                  onToggle={props.onToggle}
                />
              ) : item.type === 'frame' ? (
                <div
                  key={`f${item.exchangeId}-${item.frame.seq}`}
                  class={`row-grid frame-row ${item.frame.direction}${item.frame.mark ? ` ${item.frame.mark}` : ''}${item.exchangeId === props.selectedId && item.frame.seq === props.selectedSeq ? ' selected' : ''}`}
                  role="row"
                  aria-selected={item.exchangeId === props.selectedId && item.frame.seq === props.selectedSeq}
                  data-frame={item.frame.seq}
                  data-exchange={item.exchangeId}
                  onClick={() => props.onOpenFrame(item.exchangeId, item.frame.seq)}
                >
                  <span class="mono">{formatClock(item.frame.at)}</span>
                  <span class="frame-dir" title={item.frame.direction === 'client' ? 'client → server' : 'server → client'}>
                    {item.frame.direction === 'client' ? '→' : '←'}
                  </span>
                  <span class="frame-text">
                    <FrameRuleTag frame={item.frame} />
                    {frameSummary(item.frame)}
                  </span>
                  <span class="col-trx" />
                  <span class="muted">{opcodeName(item.frame.opcode)}</span>
                  <span>
                    <ErrorChips errors={item.frame.decoded?.summary.errors ?? []} compact />
                  </span>
                  <span class="num col-size">{formatSize(item.frame.size)}</span>
                  <span class={`num muted col-dur${item.previousAt && gapMs(item.previousAt, item.frame.at) >= notableGapMs ? ' notable' : ''}`}>
                    {item.previousAt ? `Δ ${formatDuration(gapMs(item.previousAt, item.frame.at))}` : ''}
                  </span>
                </div>
              ) : (
                <div key={`n${item.exchangeId}-${index}`} class="row-grid frame-row note">
                  <span />
                  <span />
                  <span class="cell-wide muted">{item.text}</span>
                </div>
              ),
            )}
          </div>
        </div>
        {display.count === 0 ? <div class="traffic-empty">{props.emptyText}</div> : null}
        {props.footer && display.count > 0 ? <div class="traffic-footer">{props.footer}</div> : null}
      </div>
      <div class="traffic-status">
        {props.readOnly ? null : !props.live ? (
          <span class="badge">not connected to the live stream</span>
        ) : props.paused ? (
          <span class="badge paused" title="Scroll to the top and clear the selection (Esc) to follow again">
            live tail paused
          </span>
        ) : (
          <span class="badge live">following live</span>
        )}
        {props.pendingCount > 0 ? (
          <button class="new-rows" onClick={props.onJumpToLive} title="Show them and go back to the live edge">
            ↑ {props.pendingCount.toLocaleString('en')} new
          </button>
        ) : null}
        <span class="muted">
          {countOf(display.count, 'row')} loaded
        </span>
      </div>
    </section>
  );
}

interface RowProps {
  row: ExchangeSummary;
  odd: boolean;
  selected: boolean;
  open: boolean;
  expanded: boolean;
  onSelect: (id: number) => void;
  onOpen: (id: number) => void;
  onToggle: (id: number) => void;
}

function ExchangeRow({ row, odd, selected, open, expanded, onSelect, onOpen, onToggle }: RowProps) {
  const size = row.requestSize + row.responseSize;
  const classes = ['row-grid', 'exchange-row', odd ? 'odd' : '', selected ? 'selected' : '', open ? 'open' : '', row.errors.length ? 'has-errors' : '', row.problems.length ? 'has-problems' : '', row.state === 'pending' ? 'pending' : ''];
  return (
    <div
      class={classes.filter(Boolean).join(' ')}
      role="row"
      aria-selected={selected}
      data-row={row.id}
      data-kind={row.kind}
      onClick={() => onSelect(row.id)}
      onDblClick={() => onOpen(row.id)}
    >
      <span class="mono">{formatClock(row.startedAt)}</span>
      <span>
        {row.kind === 'ws' ? (
          <button
            class="expander"
            aria-label={expanded ? 'Hide frames' : 'Show frames'}
            aria-expanded={expanded}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(row.id);
            }}
          >
            {expanded ? '▾' : '▸'}
          </button>
        ) : null}
        <span class={`kind-tag kind-${row.kind}`}>{row.kind}</span>
      </span>
      <span class="cell-op" title={row.path}>
        {exchangeLabel(row)}
        {row.kind === 'ws' ? <span class="muted"> · {countOf(row.frames, 'frame')}</span> : null}
        {row.problems.length ? (
          <span class="problem-mark" title={row.problems.join('\n')}>
            ⚠ {row.problems.length}
          </span>
        ) : null}
        {row.rules.length ? (
          <span class="rule-mark" title={changedByText(row.rules)}>
            rule
          </span>
        ) : null}
      </span>
      <span class="mono muted col-trx" title={row.trx ?? ''}>
        {row.trx ?? ''}
      </span>
      <span>
        <StatusBadge summary={row} />
      </span>
      <span class="cell-errors">
        <ErrorChips errors={row.errors} compact />
      </span>
      <span class="num col-size" title={`request ${formatSize(row.requestSize)}, response ${formatSize(row.responseSize)}`}>
        {formatSize(size)}
      </span>
      <span class="num col-dur">
        {row.state !== 'pending' ? formatDuration(row.durationMs) : row.kind === 'ws' ? <span class="badge live">connected</span> : '…'}
      </span>
    </div>
  );
}
