// The detail of one exchange: its decoded bodies with their bytes, headers, timing,
// token facts and problems; for a WebSocket, the frame timeline and the close.

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ExchangeDetail, ExchangeSummary, ReplayAnswer } from '../../../model/types.ts';
import type { TimelineScope } from '../model/token-timeline.ts';
import { formatClock, formatDuration } from '../model/format.ts';
import { diffMarks } from '../model/replay.ts';
import { breakpointText, exchangeChanges } from '../model/rule-changes.ts';
import { DiffList } from './DiffList.tsx';
import { FrameTimeline } from './FrameTimeline.tsx';
import { HeadersTable } from './HeadersTable.tsx';
import { MessageView } from './MessageView.tsx';
import { RuleChangesCard, VersionedMessage } from './RuleChanges.tsx';
import { ProblemsCard, TimingCard, TokenCard } from './Facts.tsx';
import { StatusBadge, ErrorChips, exchangeLabel } from './badges.tsx';

export interface DetailState {
  id: number;
  detail: ExchangeDetail | null;
  error: string | null;
}

interface DetailPaneProps {
  state: DetailState;
  /** The row as the list knows it, shown while the detail loads. */
  summary: ExchangeSummary | undefined;
  /** The WebSocket frame shown, chosen here or from the list. */
  frameSeq: number | null;
  onFrameSeq: (seq: number | null) => void;
  onClose: () => void;
  onTimeline: (scope: TimelineScope) => void;
  /** Exchanges that replayed this one, newest first. */
  replays: number[];
  /** The answer of the resend that made this exchange, to show how it differs. */
  comparison: ReplayAnswer | null;
  /** The exchange it replayed, to show the two answers side by side. */
  original: ExchangeDetail | null;
  /** Whether the server can resend: not where `open` serves a file with no proxy. */
  canResend: boolean;
  /** Resend as recorded (a new trx), or open the editor; null while one is being sent. */
  onResend: (() => void) | null;
  onEdit: () => void;
  onOpen: (id: number) => void;
}

type Tab = 'compare' | 'response' | 'request' | 'frames' | 'headers' | 'facts';

function tabsFor(detail: ExchangeDetail, original: ExchangeDetail | null): { id: Tab; label: string }[] {
  const compare = original && detail.kind === 'exec' ? [{ id: 'compare' as const, label: `Beside #${original.id}` }] : [];
  return [...compare, ...ownTabs(detail)];
}

function ownTabs(detail: ExchangeDetail): { id: Tab; label: string }[] {
  if (detail.kind === 'ws') {
    return [
      { id: 'frames', label: `Frames (${detail.frames.length})` },
      { id: 'headers', label: 'Handshake' },
      { id: 'facts', label: 'Timing & token' },
    ];
  }
  return [
    { id: 'response', label: 'Response' },
    { id: 'request', label: 'Request' },
    { id: 'headers', label: 'Headers' },
    { id: 'facts', label: 'Timing & token' },
  ];
}

export function DetailPane({ state, summary, frameSeq, onFrameSeq, onClose, onTimeline, replays, comparison, original, canResend, onResend, onEdit, onOpen }: DetailPaneProps) {
  const detail = state.detail;
  const head = detail ?? summary;
  const [tab, setTab] = useState<Tab | null>(null);
  useEffect(() => setTab(null), [state.id]);
  useEffect(() => {
    if (frameSeq !== null) setTab('frames');
  }, [frameSeq]);
  const tabs = detail ? tabsFor(detail, comparison ? original : null) : [];
  const active: Tab | undefined = tabs.find((t) => t.id === tab)?.id ?? tabs[0]?.id;
  const marks = useMemo(() => (comparison ? diffMarks(comparison.diff) : undefined), [comparison]);
  const changes = useMemo(() => (detail ? exchangeChanges(detail) : []), [detail]);
  const changeOf = (what: 'request' | 'response') => changes.find((c) => c.what === what) ?? null;
  const replayable = head?.kind === 'exec' || head?.kind === 'ws';

  return (
    <aside class="detail-pane" aria-label="Exchange detail">
      <header class="detail-head">
        <div class="detail-title">
          <span class={`kind-tag kind-${head?.kind ?? 'exec'}`}>{head?.kind ?? '…'}</span>
          <h2>{head ? exchangeLabel(head) : `Exchange ${state.id}`}</h2>
          <button class="icon-button" onClick={onClose} title="Close (Esc)" aria-label="Close detail">
            ✕
          </button>
        </div>
        {head ? (
          <div class="detail-sub">
            <span class="mono">
              {head.method} {head.path}
            </span>
            <StatusBadge summary={head} />
            <ErrorChips errors={head.errors} />
            <span class="muted">{formatClock(head.startedAt)}</span>
            {head.durationMs !== null ? <span class="muted">{formatDuration(head.durationMs)}</span> : null}
            {head.trx ? (
              <span class="muted mono" title="trx">
                trx {head.trx}
              </span>
            ) : null}
          </div>
        ) : null}
        {replayable ? (
          <div class="detail-actions">
            {canResend ? (
              <>
                <button onClick={onResend ?? undefined} disabled={onResend === null} title="Send it again with a new trx (r)">
                  {onResend === null ? 'Sending…' : 'Resend'}
                </button>
                <button onClick={onEdit} disabled={!detail} title="Edit the request or the token, then send it">
                  Edit and resend
                </button>
              </>
            ) : null}
            {head?.replayOf != null ? (
              <button class="link" onClick={() => onOpen(head.replayOf!)}>
                replay of #{head.replayOf}
              </button>
            ) : null}
            {replays.map((id) => (
              <button key={id} class="link" onClick={() => onOpen(id)}>
                replayed as #{id}
              </button>
            ))}
          </div>
        ) : null}
      </header>
      {comparison ? (
        <section class="replay-diff" aria-label="Differences from the original">
          <h3>
            {comparison.error
              ? `The replay got no answer: ${comparison.error}`
              : comparison.diff.length === 0
                ? `Same answer as #${comparison.replayOf}`
                : `${comparison.diff.length} difference(s) from #${comparison.replayOf}`}
          </h3>
          <DiffList diff={comparison.diff} />
        </section>
      ) : null}
      {detail && detail.rules.length > 0 ? <RuleChangesCard rules={detail.rules} changes={changes} ws={detail.kind === 'ws'} atBreakpoint={breakpointText(detail)} /> : null}
      {state.error ? <div class="banner error">{state.error}</div> : null}
      {!detail && !state.error ? <div class="detail-loading">Loading exchange {state.id}…</div> : null}
      {detail ? (
        <>
          <ProblemsCard detail={detail} />
          <nav class="tabs" role="tablist">
            {tabs.map((t) => (
              <button key={t.id} role="tab" aria-selected={t.id === active} class={t.id === active ? 'active' : ''} onClick={() => setTab(t.id)}>
                {t.label}
              </button>
            ))}
          </nav>
          <div class="detail-body" role="tabpanel">
            {active === 'compare' && original ? (
              <div class="compare-grid">
                <MessageView
                  key={`${original.id}-original`}
                  label={`Original #${original.id}`}
                  body={original.response?.body ?? ''}
                  decoded={original.response?.decoded ?? null}
                  truncated={original.response?.truncated ?? false}
                  marks={marks}
                />
                <MessageView
                  key={`${detail.id}-replayed`}
                  label={`Replay #${detail.id}`}
                  body={detail.response?.body ?? ''}
                  decoded={detail.response?.decoded ?? null}
                  truncated={detail.response?.truncated ?? false}
                  marks={marks}
                />
              </div>
            ) : null}
            {active === 'response' ? (
              detail.response ? (
                <VersionedMessage
                  key={`${detail.id}-response`}
                  change={changeOf('response')}
                  current={detail.response}
                  label="Response"
                  wireSize={detail.responseSize}
                  marks={marks}
                />
              ) : (
                <p class="empty-note">{detail.state === 'pending' ? 'Waiting for the response…' : 'No response was received.'}</p>
              )
            ) : null}
            {active === 'request' ? (
              <VersionedMessage key={`${detail.id}-request`} change={changeOf('request')} current={detail.request} label="Request" wireSize={detail.requestSize} />
            ) : null}
            {active === 'frames' ? <FrameTimeline detail={detail} selectedSeq={frameSeq} onSelect={onFrameSeq} /> : null}
            {active === 'headers' ? (
              <div class="cards">
                <HeadersTable title="Request headers" headers={detail.request.headers} />
                <HeadersTable title="Response headers" headers={detail.response?.headers ?? null} />
              </div>
            ) : null}
            {active === 'facts' ? (
              <div class="cards">
                <TimingCard detail={detail} />
                <TokenCard detail={detail} onTimeline={onTimeline} />
              </div>
            ) : null}
          </div>
        </>
      ) : null}
    </aside>
  );
}
