// The inspector app: wires the REST pages and the live stream into the traffic list,
// and the list's selection into the detail pane and the token timeline.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExchangeDetail, ExchangePage, ReplayAnswer, ReplayRequest } from '../../../model/types.ts';
import { DisplayList } from '../model/display-list.ts';
import { filterKeyHelp } from '../model/live-filter.ts';
import { countOf } from '../model/format.ts';
import type { TimelineScope } from '../model/token-timeline.ts';
import type { Api } from '../services/api.ts';
import { DetailPane } from './DetailPane.tsx';
import { FilterBar } from './FilterBar.tsx';
import { ReplayEditor } from './ReplayEditor.tsx';
import { ExportDialog } from './ExportDialog.tsx';
import { Shortcuts } from './Shortcuts.tsx';
import { showToast, Toast } from './Toast.tsx';
import { TokenTimeline } from './TokenTimeline.tsx';
import { TopBar } from './TopBar.tsx';
import { TrafficList } from './TrafficList.tsx';
import { useAbout } from './use-about.ts';
import { useDetail } from './use-detail.ts';
import { useExpansions } from './use-expansions.ts';
import { useFatal } from './use-fatal.ts';
import { useFilter } from './use-filter.ts';
import { useLiveStream } from './use-live-stream.ts';
import { useLiveTail } from './use-live-tail.ts';
import { usePages } from './use-pages.ts';
import { useStoring } from './use-storing.ts';
import { useTheme } from './use-theme.ts';
import { useInitialUrlState, useUrlWriter } from './use-url-state.ts';

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.tagName === 'INPUT' || element.tagName === 'TEXTAREA' || element.isContentEditable);
}

interface AppProps {
  api: Api;
  /** The first page, already requested for the filter in the URL. */
  firstPage: { filter: string; page: Promise<ExchangePage> } | null;
}

export function App({ api, firstPage }: AppProps) {
  const initial = useInitialUrlState();
  const fatal = useFatal();
  const { fail } = fatal;
  const about = useAbout(api, fail);
  const [theme, toggleTheme] = useTheme();
  const filter = useFilter(initial.filter);
  const { applied } = filter;
  const [storing, setStoring] = useStoring(api);
  const stream = useLiveStream(fatal.stop);
  const pages = usePages({ api, firstPage, filter, stream, fail, onJournaled: setStoring });
  const { rows } = pages;
  const expansionState = useExpansions(api, stream);
  const expansions = expansionState.byId;

  const [selectedId, setSelectedId] = useState<number | null>(initial.open);
  /** A frame row of the selected WebSocket exchange, when the selection is on one. */
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [openId, setOpenId] = useState<number | null>(initial.open);
  /** The frame shown in the open WebSocket exchange's detail. */
  const [openSeq, setOpenSeq] = useState<number | null>(null);
  const [timeline, setTimeline] = useState<TimelineScope | null>(
    initial.timeline === null ? null : { value: initial.timeline, token: initial.timelineToken, origin: initial.timelineToken ?? initial.timelineFrom },
  );
  const [reveal, setReveal] = useState<{ index: number; seq: number } | null>(null);
  const [showHelp, setShowHelp] = useState(false);
  const [replays, setReplays] = useState<number[]>([]);
  const [comparison, setComparison] = useState<ReplayAnswer | null>(null);
  const [original, setOriginal] = useState<ExchangeDetail | null>(null);
  const [sending, setSending] = useState(false);
  const [editing, setEditing] = useState(false);
  const [showExport, setShowExport] = useState(false);
  const canResend = about.withProxy;
  const readOnlyFile = about.readOnlyFile;
  const filterInput = filter.inputRef;

  const tail = useLiveTail(stream, pages, filter.seen, selectedId !== null);
  const { state: detail, summary: openSummary } = useDetail({ api, stream, fail, rows, openId });

  // The replays of the open exchange, for its "replayed as #N" links.
  useEffect(() => {
    setReplays([]);
    if (openId === null) return;
    const abort = new AbortController();
    api.page({ filter: `replay:${openId}`, limit: 20 }, abort.signal).then(
      (page) => setReplays(page.items.map((s) => s.id)),
      () => undefined,
    );
    return () => abort.abort();
  }, [openId, comparison]);

  // The exchange a fresh replay resent, to show beside it.
  useEffect(() => {
    setOriginal(null);
    if (comparison === null) return;
    const abort = new AbortController();
    api.detail(comparison.replayOf, abort.signal).then(setOriginal, () => undefined);
    return () => abort.abort();
  }, [comparison]);

  /** Resends the open exchange and opens the replay, compared with it. Rejects with the server's refusal. */
  const resend = async (request: ReplayRequest): Promise<void> => {
    if (openId === null || sending) return;
    setSending(true);
    try {
      const answer = await api.replay(openId, request);
      setComparison(answer);
      setEditing(false);
      select(answer.id, true);
      showToast(`Replayed #${answer.replayOf} as #${answer.id}`);
    } finally {
      setSending(false);
    }
  };
  const resendAsRecorded = () => {
    resend({ timing: 'none' }).catch((err: Error) => {
      showToast(`Resend failed: ${err.message}`);
      fail(err);
    });
  };

  useUrlWriter({ filter: applied, open: openId, timeline: timeline?.value ?? null, timelineToken: timeline?.token ?? null, timelineFrom: timeline?.origin ?? null });

  const toggleExpansion = (id: number) => {
    if (expansions.has(id)) {
      expansionState.collapse(id);
      if (id === selectedId) setSelectedSeq(null);
      return;
    }
    expansionState.expand(id);
  };

  const display = new DisplayList(rows.rows, expansions, (id) => rows.indexOf(id));

  const displayIndexOf = (id: number, seq: number | null): number => {
    const rowIndex = rows.indexOf(id);
    if (rowIndex < 0) return -1;
    return seq === null ? display.displayIndexOfRow(rowIndex) : display.displayIndexOfFrame(rowIndex, seq);
  };

  /** Selects an exchange row, or with `seq` one of its frame rows; opening shows it in the detail pane. */
  const select = (id: number, open: boolean, seq: number | null = null) => {
    setSelectedId(id);
    setSelectedSeq(seq);
    if (open) {
      setOpenId(id);
      setOpenSeq(seq);
      setTimeline(null);
    }
    const index = displayIndexOf(id, seq);
    if (index >= 0) setReveal({ index, seq: Date.now() });
  };

  /** j/k: through the list as shown, the frame rows of expanded WebSocket rows included. */
  const move = (step: number) => {
    if (display.count === 0) return;
    const current = selectedId === null ? -1 : displayIndexOf(selectedId, selectedSeq);
    const target = current < 0 ? display.step(-1, 1) : display.step(current, step);
    if (!target) return;
    // With the detail open, it follows the selection, as in mitmweb.
    if (target.type === 'exchange') select(target.row.id, openId !== null);
    else select(target.exchangeId, openId !== null, target.frame.seq);
  };

  const openTimeline = (scope: TimelineScope) => {
    setTimeline(scope);
    setOpenId(null);
  };

  const closeAll = () => {
    if (editing) setEditing(false);
    else if (showHelp) setShowHelp(false);
    else if (showExport) setShowExport(false);
    else if (timeline !== null) setTimeline(null);
    else if (openId !== null) setOpenId(null);
    else {
      setSelectedId(null);
      setSelectedSeq(null);
    }
  };

  const keyHandler = useRef<(event: KeyboardEvent) => void>(() => {});
  keyHandler.current = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    // Enter on a focused button presses that button.
    if (event.key === 'Enter' && (event.target as HTMLElement | null)?.tagName === 'BUTTON') return;
    const selectedRow = selectedId === null ? undefined : rows.get(selectedId);
    switch (event.key) {
      case 'j':
      case 'ArrowDown':
        move(1);
        break;
      case 'k':
      case 'ArrowUp':
        move(-1);
        break;
      case 'Enter':
        if (selectedId === null) return;
        select(selectedId, true, selectedSeq);
        break;
      case 'Escape':
        closeAll();
        break;
      case '/':
        filterInput.current?.focus();
        filterInput.current?.select();
        break;
      case 'l':
      case 'ArrowRight':
        if (selectedRow?.kind !== 'ws' || expansions.has(selectedRow.id)) return;
        toggleExpansion(selectedRow.id);
        break;
      case 'h':
      case 'ArrowLeft':
        if (selectedRow?.kind !== 'ws' || !expansions.has(selectedRow.id)) return;
        toggleExpansion(selectedRow.id);
        break;
      case 'g':
        tail.jumpToLive();
        setSelectedId(null);
        setSelectedSeq(null);
        break;
      case '?':
        setShowHelp(!showHelp);
        break;
      case 'r':
        if (!canResend || (detail?.detail?.kind !== 'exec' && detail?.detail?.kind !== 'ws')) return;
        resendAsRecorded();
        break;
      default:
        return;
    }
    event.preventDefault();
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => keyHandler.current(event);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  const emptyText = fatal.message
    ? 'Nothing to show until the inspector has its token.'
    : pages.loadingFirst
      ? 'Loading exchanges…'
      : applied
        ? 'No exchange matches this filter yet; new ones that do will appear here.'
        : 'No traffic yet. Point your ca2 client at the proxy and its exchanges appear here as they happen.';

  const side =
    timeline !== null ? (
      <TokenTimeline key={timeline.value} scope={timeline} api={api} onScope={setTimeline} onOpen={(id) => select(id, true)} onClose={() => setTimeline(null)} />
    ) : detail ? (
      <DetailPane
        state={detail}
        summary={openSummary}
        frameSeq={openSeq}
        onFrameSeq={setOpenSeq}
        onClose={() => setOpenId(null)}
        onTimeline={openTimeline}
        replays={replays}
        comparison={comparison && comparison.id === detail.id ? comparison : null}
        original={original}
        canResend={canResend}
        onResend={sending ? null : resendAsRecorded}
        onEdit={() => setEditing(true)}
        onOpen={(id) => select(id, true)}
      />
    ) : null;

  return (
    <div class="app">
      <TopBar status={stream.status} readOnlyFile={readOnlyFile} theme={theme} onToggleTheme={toggleTheme} onHelp={() => setShowHelp(!showHelp)} onExport={() => setShowExport(true)} />
      {fatal.message ? (
        <div class="banner error fatal" role="alert">
          {fatal.message}
        </div>
      ) : null}
      {storing !== null ? (
        <div class="banner storing" role="status">
          Storing traffic recorded while nobody was watching: {countOf(storing, 'tap call')} to go. Its exchanges join the list as they are stored.
        </div>
      ) : null}
      <FilterBar
        text={filter.text}
        problem={filter.problem}
        keys={filterKeyHelp}
        seen={(key, prefix) => filter.seen.values(key, prefix)}
        inputRef={filter.inputRef}
        onChange={filter.change}
        onApply={filter.applyNow}
      />
      <main class={`main${side ? ' with-side' : ''}`}>
        <TrafficList
          display={display}
          selectedId={selectedId}
          selectedSeq={selectedSeq}
          openId={openId}
          expanded={new Set(expansions.keys())}
          reveal={reveal}
          toTop={tail.toTop}
          pendingCount={rows.pendingCount}
          paused={rows.isPaused}
          live={stream.status === 'live'}
          readOnly={readOnlyFile !== null}
          footer={pages.footer}
          emptyText={emptyText}
          onSelect={(id) => select(id, true)}
          onOpen={(id) => select(id, true)}
          onOpenFrame={(id, seq) => select(id, true, seq)}
          onToggle={toggleExpansion}
          onScrolledAway={tail.onScrolledAway}
          onNearEnd={pages.loadOlder}
          onJumpToLive={tail.jumpToLive}
        />
        {side}
      </main>
      {showHelp ? <Shortcuts canResend={canResend} onClose={() => setShowHelp(false)} /> : null}
      {editing && detail?.detail ? <ReplayEditor detail={detail.detail} onSend={resend} onClose={() => setEditing(false)} /> : null}
      {showExport ? <ExportDialog api={api} filter={applied} selectedId={selectedId} onClose={() => setShowExport(false)} /> : null}
      <Toast />
    </div>
  );
}
