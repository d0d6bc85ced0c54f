// The detail of one exchange: its decoded bodies with their bytes, headers, timing,
// token facts and problems; for a WebSocket, the frame timeline and the close.

import { useEffect, useState } from 'preact/hooks';
import type { ExchangeDetail, ExchangeSummary } from '../../../model/types.ts';
import type { TimelineScope } from '../model/token-timeline.ts';
import { formatClock, formatDuration } from '../model/format.ts';
import { FrameTimeline } from './FrameTimeline.tsx';
import { HeadersTable } from './HeadersTable.tsx';
import { MessageView } from './MessageView.tsx';
import { ProblemsCard, TimingCard, TokenCard } from './Facts.tsx';
import { StatusBadge, ErrorChips, operationLabel } from './badges.tsx';

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
}

type Tab = 'response' | 'request' | 'frames' | 'headers' | 'facts';

function tabsFor(detail: ExchangeDetail): { id: Tab; label: string }[] {
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

export function DetailPane({ state, summary, frameSeq, onFrameSeq, onClose, onTimeline }: DetailPaneProps) {
  const detail = state.detail;
  const head = detail ?? summary;
  const [tab, setTab] = useState<Tab | null>(null);
  useEffect(() => setTab(null), [state.id]);
  useEffect(() => {
    if (frameSeq !== null) setTab('frames');
  }, [frameSeq]);
  const tabs = detail ? tabsFor(detail) : [];
  const active: Tab | undefined = tabs.find((t) => t.id === tab)?.id ?? tabs[0]?.id;

  return (
    <aside class="detail-pane" aria-label="Exchange detail">
      <header class="detail-head">
        <div class="detail-title">
          <span class={`kind-tag kind-${head?.kind ?? 'exec'}`}>{head?.kind ?? '…'}</span>
          <h2>{head ? operationLabel(head) : `Exchange ${state.id}`}</h2>
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
      </header>
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
            {active === 'response' ? (
              detail.response ? (
                <MessageView
                  key={`${detail.id}-response`}
                  label="Response"
                  body={detail.response.body}
                  decoded={detail.response.decoded}
                  truncated={detail.response.truncated}
                  wireSize={detail.responseSize}
                />
              ) : (
                <p class="empty-note">{detail.state === 'pending' ? 'Waiting for the response…' : 'No response was received.'}</p>
              )
            ) : null}
            {active === 'request' ? (
              <MessageView
                key={`${detail.id}-request`}
                label="Request"
                body={detail.request.body}
                decoded={detail.request.decoded}
                truncated={detail.request.truncated}
                wireSize={detail.requestSize}
              />
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
