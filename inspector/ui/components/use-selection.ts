// What the user picked in the list as shown (exchange rows, with the frame rows of
// expanded WebSocket rows): the selected row, and what the side pane shows beside the
// list, the open exchange's detail or a token timeline. j/k move through the list as
// shown; with the detail open, it follows the selection, as in mitmweb.

import { useState } from 'preact/hooks';
import { DisplayList } from '../model/display-list.ts';
import type { TimelineScope } from '../model/token-timeline.ts';
import type { TrafficRows } from '../model/traffic-rows.ts';
import type { UrlState } from '../model/url-state.ts';
import type { Expansions } from './use-expansions.ts';

export interface Selection {
  display: DisplayList;
  selectedId: number | null;
  /** A frame row of the selected WebSocket exchange, when the selection is on one. */
  selectedSeq: number | null;
  openId: number | null;
  /** The frame shown in the open WebSocket exchange's detail. */
  openSeq: number | null;
  timeline: TimelineScope | null;
  /** Display index for the list to scroll into view, with a stamp so the same index can be asked twice. */
  reveal: { index: number; seq: number } | null;
  /** Selects an exchange row, or with `seq` one of its frame rows; opening shows it in the side pane. */
  select: (id: number, open: boolean, seq?: number | null) => void;
  move: (step: number) => void;
  /** Opens the selected row; false when none is selected. */
  openSelected: () => boolean;
  /** Expands or collapses a WebSocket row; a selection on one of its frame rows moves up to the row. */
  toggle: (id: number) => void;
  /** Expands (or collapses) the selected WebSocket row; false when it is none or already so. */
  expandSelected: (expand: boolean) => boolean;
  setOpenSeq: (seq: number | null) => void;
  closeDetail: () => void;
  setTimeline: (scope: TimelineScope | null) => void;
  /** Shows a token timeline in place of the detail. */
  openTimeline: (scope: TimelineScope) => void;
  clear: () => void;
  /** Escape: closes the timeline, else the detail, else clears the selection. */
  back: () => void;
}

export function useSelection(initial: UrlState, rows: TrafficRows, expansions: Expansions): Selection {
  const [selectedId, setSelectedId] = useState<number | null>(initial.open);
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [openId, setOpenId] = useState<number | null>(initial.open);
  const [openSeq, setOpenSeq] = useState<number | null>(null);
  const [timeline, setTimeline] = useState<TimelineScope | null>(
    initial.timeline === null ? null : { value: initial.timeline, token: initial.timelineToken, origin: initial.timelineToken ?? initial.timelineFrom },
  );
  const [reveal, setReveal] = useState<{ index: number; seq: number } | null>(null);
  const display = new DisplayList(rows.rows, expansions.byId, (id) => rows.indexOf(id));

  const select = (id: number, open: boolean, seq: number | null = null) => {
    setSelectedId(id);
    setSelectedSeq(seq);
    if (open) {
      setOpenId(id);
      setOpenSeq(seq);
      setTimeline(null);
    }
    const index = display.displayIndexOf(id, seq);
    if (index >= 0) setReveal({ index, seq: Date.now() });
  };

  const move = (step: number) => {
    if (display.count === 0) return;
    const current = selectedId === null ? -1 : display.displayIndexOf(selectedId, selectedSeq);
    const target = current < 0 ? display.step(-1, 1) : display.step(current, step);
    if (!target) return;
    if (target.type === 'exchange') select(target.row.id, openId !== null);
    else select(target.exchangeId, openId !== null, target.frame.seq);
  };

  const openSelected = () => {
    if (selectedId === null) return false;
    select(selectedId, true, selectedSeq);
    return true;
  };

  const toggle = (id: number) => {
    if (expansions.byId.has(id)) {
      expansions.collapse(id);
      if (id === selectedId) setSelectedSeq(null);
    } else expansions.expand(id);
  };

  const expandSelected = (expand: boolean) => {
    const row = selectedId === null ? undefined : rows.get(selectedId);
    if (row?.kind !== 'ws' || expansions.byId.has(row.id) === expand) return false;
    toggle(row.id);
    return true;
  };

  const closeDetail = () => setOpenId(null);
  const openTimeline = (scope: TimelineScope) => {
    setTimeline(scope);
    setOpenId(null);
  };
  const clear = () => {
    setSelectedId(null);
    setSelectedSeq(null);
  };
  const back = () => {
    if (timeline !== null) setTimeline(null);
    else if (openId !== null) closeDetail();
    else clear();
  };

  return {
    display,
    selectedId,
    selectedSeq,
    openId,
    openSeq,
    timeline,
    reveal,
    select,
    move,
    openSelected,
    toggle,
    expandSelected,
    setOpenSeq,
    closeDetail,
    setTimeline,
    openTimeline,
    clear,
    back,
  };
}
