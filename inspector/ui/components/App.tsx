// The inspector app: composes the hooks that hold each concept (the filter, the stored
// pages, the live stream and its tail, the selection and the side pane, resend, rules
// and breakpoints, the keyboard) and lays out their views. Each hook's file says what
// it holds.

import { useState } from 'preact/hooks';
import type { ExchangePage } from '../../../model/types.ts';
import { countOf } from '../../../model/format.ts';
import { filterKeyHelp } from '../model/live-filter.ts';
import { callMatch } from '../model/pauses-panel.ts';
import type { Api } from '../services/api.ts';
import { BreakOnDialog } from './BreakOnDialog.tsx';
import { DetailPane } from './DetailPane.tsx';
import { ExportDialog } from './ExportDialog.tsx';
import { FilterBar } from './FilterBar.tsx';
import { PausedPanel } from './PausedPanel.tsx';
import { ReplayEditor } from './ReplayEditor.tsx';
import { RulesPanel } from './RulesPanel.tsx';
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
import { useKeyboard } from './use-keyboard.ts';
import { useLiveStream } from './use-live-stream.ts';
import { useLiveTail } from './use-live-tail.ts';
import { usePages } from './use-pages.ts';
import { usePauses } from './use-pauses.ts';
import { useResend } from './use-resend.ts';
import { useRules } from './use-rules.ts';
import { useSelection } from './use-selection.ts';
import { useStoring } from './use-storing.ts';
import { useTheme } from './use-theme.ts';
import { useInitialUrlState, useUrlWriter } from './use-url-state.ts';

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
  const [storing, setStoring] = useStoring(api);
  const stream = useLiveStream(fatal.stop);
  const pages = usePages({ api, firstPage, filter, stream, fail, onJournaled: setStoring });
  const expansions = useExpansions(api, stream);
  const selection = useSelection(initial, pages.rows, expansions);
  const tail = useLiveTail(stream, pages, filter.seen, selection.selectedId !== null);
  const detail = useDetail({ api, stream, fail, rows: pages.rows, openId: selection.openId });
  const open = (id: number) => selection.select(id, true);
  const resend = useResend({ api, fail, withProxy: about.withProxy, openId: selection.openId, detail: detail.state, open });
  const [showHelp, setShowHelp] = useState(false);
  const [showExport, setShowExport] = useState(false);
  const rules = useRules(api, stream, fail);
  const [showRules, setShowRules] = useState(false);
  const pauses = usePauses(api, stream, fail);
  const [showPaused, setShowPaused] = useState(false);
  const [showBreakOn, setShowBreakOn] = useState(false);
  const { timeline } = selection;
  useUrlWriter({ filter: filter.applied, open: selection.openId, timeline: timeline?.value ?? null, timelineToken: timeline?.token ?? null, timelineFrom: timeline?.origin ?? null });

  useKeyboard({
    next: () => selection.move(1),
    previous: () => selection.move(-1),
    open: selection.openSelected,
    close: () => {
      if (resend.editing) resend.setEditing(false);
      else if (showHelp) setShowHelp(false);
      else if (showExport) setShowExport(false);
      else if (showRules) setShowRules(false);
      else if (showPaused) setShowPaused(false);
      else if (showBreakOn) setShowBreakOn(false);
      else selection.back();
    },
    filter: filter.focus,
    expand: () => selection.expandSelected(true),
    collapse: () => selection.expandSelected(false),
    live: () => {
      tail.jumpToLive();
      selection.clear();
    },
    resend: resend.byKey,
    breakpoint: () => {
      if (!about.withProxy || selection.openId === null) return false;
      const head = detail.summary ?? detail.state?.detail;
      if (!head) return false;
      const match = callMatch(head);
      if (match === null) showToast('b breaks on a call: this exchange names no service.operation.');
      else rules.arm(match, 'request').then((view) => showToast(`Armed "${view.name}"`), (err: Error) => showToast(`Not armed: ${err.message}`));
    },
    help: () => setShowHelp(!showHelp),
  });

  const emptyText = fatal.message
    ? 'Nothing to show until the inspector has its token.'
    : pages.loadingFirst
      ? 'Loading exchanges…'
      : filter.applied
        ? 'No exchange matches this filter yet; new ones that do will appear here.'
        : 'No traffic yet. Point your ca2 client at the proxy and its exchanges appear here as they happen.';

  const side =
    timeline !== null ? (
      <TokenTimeline key={timeline.value} scope={timeline} api={api} onScope={selection.setTimeline} onOpen={open} onClose={() => selection.setTimeline(null)} />
    ) : detail.state ? (
      <DetailPane
        state={detail.state}
        summary={detail.summary}
        frameSeq={selection.openSeq}
        onFrameSeq={selection.setOpenSeq}
        onClose={selection.closeDetail}
        onTimeline={selection.openTimeline}
        replays={resend.replays}
        comparison={resend.comparison && resend.comparison.id === detail.state.id ? resend.comparison : null}
        original={resend.original}
        canResend={about.withProxy}
        onResend={resend.sending ? null : resend.asRecorded}
        onEdit={() => resend.setEditing(true)}
        onOpen={open}
      />
    ) : null;

  return (
    <div class="app">
      <TopBar
        status={stream.status}
        readOnlyFile={about.readOnlyFile}
        theme={theme}
        onToggleTheme={toggleTheme}
        onHelp={() => setShowHelp(!showHelp)}
        onExport={() => setShowExport(true)}
        rules={about.withProxy ? (rules.list ?? []) : null}
        onRules={() => setShowRules(true)}
        paused={about.withProxy ? (pauses.list?.length ?? 0) : null}
        onPaused={() => setShowPaused(true)}
        onBreakOn={() => setShowBreakOn(true)}
      />
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
          display={selection.display}
          selectedId={selection.selectedId}
          selectedSeq={selection.selectedSeq}
          openId={selection.openId}
          expanded={new Set(expansions.byId.keys())}
          reveal={selection.reveal}
          toTop={tail.toTop}
          pendingCount={pages.rows.pendingCount}
          paused={pages.rows.isPaused}
          live={stream.status === 'live'}
          readOnly={about.readOnlyFile !== null}
          footer={pages.footer}
          emptyText={emptyText}
          onSelect={open}
          onOpen={open}
          onOpenFrame={(id, seq) => selection.select(id, true, seq)}
          onToggle={selection.toggle}
          onScrolledAway={tail.onScrolledAway}
          onNearEnd={pages.loadOlder}
          onJumpToLive={tail.jumpToLive}
        />
        {side}
      </main>
      {showHelp ? <Shortcuts withProxy={about.withProxy} onClose={() => setShowHelp(false)} /> : null}
      {resend.editing && detail.state?.detail ? <ReplayEditor api={api} detail={detail.state.detail} onSend={resend.send} onClose={() => resend.setEditing(false)} /> : null}
      {showRules ? <RulesPanel rules={rules} onClose={() => setShowRules(false)} /> : null}
      {showPaused ? (
        <PausedPanel
          api={api}
          pauses={pauses}
          inList={(id) => pages.rows.get(id) !== undefined}
          onOpenExchange={(id) => {
            setShowPaused(false);
            open(id);
          }}
          onClose={() => setShowPaused(false)}
        />
      ) : null}
      {showBreakOn ? <BreakOnDialog filter={filter.applied} arm={rules.arm} onClose={() => setShowBreakOn(false)} /> : null}
      {showExport ? <ExportDialog api={api} stream={stream} filter={filter.applied} selectedId={selection.selectedId} onClose={() => setShowExport(false)} /> : null}
      <Toast />
    </div>
  );
}
