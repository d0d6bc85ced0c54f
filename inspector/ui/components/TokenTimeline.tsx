// One token's activity over time: its /exec calls interleaved with its WebSocket
// connections and events, and the stretches with no WebSocket connected marked as
// "events lost", since the ca2 server keeps nothing for offline clients.

import { useEffect, useState } from 'preact/hooks';
import type { ExchangeSummary, TokenRef, WsClose, WsFrame } from '../../../model/types.ts';
import { formatClock, formatDateTime, formatDuration, formatOffset } from '../model/format.ts';
import { countOf } from '../../../model/format.ts';
import { closeSummary, frameSummary } from '../model/frames.ts';
import { buildTokenTimeline, inScope, percentAt, thisToken, tokenFilter, tokenKey, type TimelineEntry, type TimelineScope, type TokenTimeline as Timeline } from '../model/token-timeline.ts';
import { ApiError, type Api } from '../services/api.ts';
import { ErrorChips, StatusBadge, exchangeLabel } from './badges.tsx';

interface TokenTimelineProps {
  scope: TimelineScope;
  api: Api;
  /** Switches between one token and every token of the subject. */
  onScope: (scope: TimelineScope) => void;
  onOpen: (id: number) => void;
  onClose: () => void;
}

/** Enough history to read a session; older rows stay reachable through the list. */
const maxExchanges = 3000;
const maxWsDetails = 60;

interface Loaded {
  summaries: ExchangeSummary[];
  wsDetails: Map<number, { frames: WsFrame[]; close: WsClose | null }>;
  capped: boolean;
}

async function load(api: Api, token: string, signal: AbortSignal): Promise<Loaded> {
  const summaries: ExchangeSummary[] = [];
  let before: number | null = null;
  do {
    const page = await api.page({ filter: tokenFilter(token), before, limit: 1000 }, signal);
    summaries.push(...page.items);
    before = page.next;
  } while (before !== null && summaries.length < maxExchanges);
  const wsRows = summaries.filter((s) => s.kind === 'ws').slice(0, maxWsDetails);
  const wsDetails = new Map<number, { frames: WsFrame[]; close: WsClose | null }>();
  const queue = [...wsRows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      const detail = await api.detail(row.id, signal);
      wsDetails.set(row.id, { frames: detail.frames, close: detail.close });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { summaries, wsDetails, capped: before !== null };
}

export function TokenTimeline({ scope, api, onScope, onOpen, onClose }: TokenTimelineProps) {
  const token = scope.value;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    load(api, token, abort.signal).then(setLoaded, (err: Error) => {
      if (err.name !== 'AbortError') setError(err instanceof ApiError ? err.message : `The timeline did not load: ${err.message}`);
    });
    return () => abort.abort();
  }, [api, token, generation]);

  const timeline = loaded ? buildTokenTimeline({ summaries: loaded.summaries.filter((s) => inScope(s, scope)), wsDetails: loaded.wsDetails, now: Date.now() }) : null;
  const oneToken = thisToken(scope, loaded?.summaries ?? []);
  const shownToken = scope.token;
  const subjectTokens = loaded ? new Set(loaded.summaries.flatMap((s) => (s.token ? [tokenKey(s.token)] : []))).size : 0;
  const lostMs = timeline?.lost.reduce((sum, gap) => sum + gap.to - gap.from, 0) ?? 0;
  return (
    <aside class="detail-pane timeline-pane" aria-label="Token timeline">
      <header class="detail-head">
        <div class="detail-title">
          <span class="kind-tag kind-token">token</span>
          <h2>
            {shownToken ? 'Timeline of one token of ' : 'Timeline of '}
            <code>{token}</code>
          </h2>
          <button class="button" onClick={() => setGeneration(generation + 1)} title="Load again">
            Refresh
          </button>
          <button class="icon-button" onClick={onClose} title="Close (Esc)" aria-label="Close timeline">
            ✕
          </button>
        </div>
        <div class="scope-switch" role="group" aria-label="Which tokens">
          <button
            class={`toggle${shownToken ? ' on' : ''}`}
            aria-pressed={shownToken !== null}
            disabled={!shownToken && !oneToken}
            title="Only the exchanges that carried this one token"
            onClick={() => !shownToken && oneToken && onScope({ ...scope, token: oneToken })}
          >
            This token
          </button>
          <button
            class={`toggle${shownToken ? '' : ' on'}`}
            aria-pressed={shownToken === null}
            title="Every token of this subject, with the point where each came into use marked"
            onClick={() => shownToken && onScope({ ...scope, token: null, origin: oneToken })}
          >
            Every token{loaded ? ` (${subjectTokens})` : ''}
          </button>
          {shownToken ? <TokenName token={loaded?.summaries.find((s) => s.token && tokenKey(s.token) === shownToken)?.token ?? null} /> : null}
        </div>
        {timeline ? (
          <div class="detail-sub">
            <span>{countOf(timeline.entries.filter((e) => e.kind === 'exec').length, '/exec call')}</span>
            <span>{countOf(timeline.connections.length, 'WebSocket connection')}</span>
            <span>{countOf(timeline.entries.filter((e) => e.kind === 'ws-event').length, 'event')}</span>
            <span class={lostMs > 0 ? 'lost-total' : 'muted'}>
              {countOf(timeline.lost.length, 'stretch', 'stretches')} without a WebSocket ({formatDuration(lostMs) || '0 ms'}): events lost
            </span>
            {loaded?.capped ? <span class="muted">showing the latest {maxExchanges} exchanges</span> : null}
          </div>
        ) : null}
      </header>
      {error ? <div class="banner error">{error}</div> : null}
      {!timeline && !error ? <div class="detail-loading">Loading the token's exchanges…</div> : null}
      {timeline && timeline.entries.length === 0 ? <p class="empty-note">{shownToken ? 'No exchange carried this token.' : 'No exchange carried a token of this subject.'}</p> : null}
      {timeline && timeline.entries.length > 0 ? (
        <div class="detail-body">
          <Lanes timeline={timeline} />
          <ol class="timeline-entries">
            {timeline.entries.map((entry, i) => (
              <EntryRow key={i} entry={entry} start={timeline.start} onOpen={onOpen} />
            ))}
          </ol>
        </div>
      ) : null}
    </aside>
  );
}

function TokenName({ token }: { token: TokenRef | null }) {
  if (!token) return null;
  return (
    <span class="muted">
      <code>{token.prefix}…</code>
      {token.exp !== undefined ? `, expires ${formatDateTime(token.exp * 1000)}` : ''}
    </span>
  );
}

function Lanes({ timeline }: { timeline: Timeline }) {
  const width = (from: number, to: number) => `${Math.max(0.3, percentAt(to, timeline) - percentAt(from, timeline))}%`;
  const boundaries = timeline.entries
    .filter((e): e is Extract<TimelineEntry, { kind: 'token' }> => e.kind === 'token' && e.index > 0)
    .map((e) => <span key={`t${e.index}`} class="lane-tick token" style={{ left: `${percentAt(e.at, timeline)}%` }} title={`token ${e.index + 1} of ${e.count} first used`} />);
  return (
    <div class="lanes" aria-label="Timeline overview">
      <div class="lane">
        <span class="lane-label">WebSocket</span>
        <div class="lane-track">
          {timeline.lost.map((gap, i) => (
            <span key={`l${i}`} class="lane-lost" style={{ left: `${percentAt(gap.from, timeline)}%`, width: width(gap.from, gap.to) }} title={`events lost for ${formatDuration(gap.to - gap.from)}`} />
          ))}
          {timeline.connections.map((c) => (
            <span key={c.exchangeId} class={`lane-connected${c.open ? ' open' : ''}`} style={{ left: `${percentAt(c.from, timeline)}%`, width: width(c.from, c.to) }} title={`connected ${formatDuration(c.to - c.from)}`} />
          ))}
          {timeline.entries
            .filter((e): e is Extract<TimelineEntry, { kind: 'ws-event' }> => e.kind === 'ws-event')
            .map((e, i) => (
              <span key={`e${i}`} class="lane-tick event" style={{ left: `${percentAt(e.at, timeline)}%` }} />
            ))}
          {boundaries}
        </div>
      </div>
      <div class="lane">
        <span class="lane-label">/exec</span>
        <div class="lane-track">
          {timeline.entries
            .filter((e): e is Extract<TimelineEntry, { kind: 'exec' }> => e.kind === 'exec')
            .map((e) => (
              <span
                key={e.summary.id}
                class={`lane-tick exec${e.summary.errors.length ? ' error' : ''}`}
                style={{ left: `${percentAt(e.at, timeline)}%` }}
                title={`${exchangeLabel(e.summary)} ${e.summary.errors.join(', ')}`}
              />
            ))}
          {boundaries}
        </div>
      </div>
      <div class="lane-axis">
        <span>{formatClock(timeline.start)}</span>
        <span>{formatDuration(timeline.end - timeline.start)}</span>
        <span>{formatClock(timeline.end)}</span>
      </div>
      <div class="lane-legend">
        <span>
          <i class="legend connected" /> connected
        </span>
        <span>
          <i class="legend lost" /> events lost
        </span>
        <span>
          <i class="legend event" /> event
        </span>
        <span>
          <i class="legend exec" /> /exec call
        </span>
        {timeline.tokenCount > 1 ? (
          <span>
            <i class="legend token" /> a new token comes into use
          </span>
        ) : null}
      </div>
    </div>
  );
}

function EntryRow({ entry, start, onOpen }: { entry: TimelineEntry; start: number; onOpen: (id: number) => void }) {
  const when = (
    <span class="entry-when">
      {formatClock(entry.at)} <span class="muted">{formatOffset(entry.at - start)}</span>
    </span>
  );
  switch (entry.kind) {
    case 'lost':
      return (
        <li class="entry lost">
          {when}
          <span class="entry-icon">⚠</span>
          <span class="entry-text">
            <strong>events lost</strong>: no WebSocket connected for {formatDuration(entry.to - entry.at) || '0 ms'} (until {formatClock(entry.to)})
          </span>
        </li>
      );
    case 'token':
      return (
        <li class="entry token-boundary">
          {when}
          <span class="entry-icon">◆</span>
          <span class="entry-text">
            <strong>
              token {entry.index + 1} of {entry.count}
            </strong>{' '}
            first used: <TokenName token={entry.token} />
            {entry.token.expired ? <span class="badge error">already expired</span> : null}
          </span>
        </li>
      );
    case 'exec':
      return (
        <li class={`entry exec${entry.summary.errors.length ? ' has-errors' : ''}`} onClick={() => onOpen(entry.summary.id)}>
          {when}
          <span class="entry-icon">→</span>
          <span class="entry-text">
            {exchangeLabel(entry.summary)} <StatusBadge summary={entry.summary} /> <ErrorChips errors={entry.summary.errors} />
          </span>
        </li>
      );
    case 'ws-open':
      return (
        <li class="entry ws" onClick={() => onOpen(entry.summary.id)}>
          {when}
          <span class="entry-icon">⇄</span>
          <span class="entry-text">
            WebSocket {entry.summary.status === 101 || entry.summary.status === null ? 'connected' : `refused (${entry.summary.status})`}
          </span>
        </li>
      );
    case 'ws-event':
      return (
        <li class="entry event" onClick={() => onOpen(entry.exchangeId)}>
          {when}
          <span class="entry-icon">←</span>
          <span class="entry-text">
            event: {frameSummary(entry.frame)} <ErrorChips errors={entry.frame.decoded?.summary.errors ?? []} />
          </span>
        </li>
      );
    case 'ws-close':
      return (
        <li class="entry ws-close" onClick={() => onOpen(entry.summary.id)}>
          {when}
          <span class="entry-icon">✕</span>
          <span class="entry-text">WebSocket {entry.close ? closeSummary(entry.close) : 'ended'}</span>
        </li>
      );
  }
}
