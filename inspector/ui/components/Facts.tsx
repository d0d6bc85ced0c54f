// The facts about one exchange that are not its bodies: timing, the token it carried
// (subject, expiry, expired or not when it was seen) and the protocol-check problems.

import type { ExchangeDetail, TokenFacts } from '../../../model/types.ts';
import { scopeOf, type TimelineScope } from '../model/token-timeline.ts';
import { formatClock, formatDateTime, formatDuration, formatRelative } from '../model/format.ts';
import { countOf, formatSize } from '../../../model/format.ts';

export function ProblemsCard({ detail }: { detail: ExchangeDetail }) {
  if (detail.problems.length === 0 && !detail.error) return null;
  return (
    <section class="card problems-card" aria-label="Problems">
      <h3>Problems</h3>
      <ul>
        {detail.error ? <li class="problem-error">{detail.error}</li> : null}
        {detail.problems.map((problem, i) => (
          <li key={i}>{problem}</li>
        ))}
      </ul>
    </section>
  );
}

export function TimingCard({ detail }: { detail: ExchangeDetail }) {
  const started = Date.parse(detail.startedAt);
  const ended = detail.durationMs === null ? null : started + detail.durationMs;
  return (
    <section class="card">
      <h3>Timing</h3>
      <table class="kv-table">
        <tbody>
          <tr>
            <th scope="row">Started</th>
            <td>
              {formatDateTime(started)}
              <span class="muted">{formatClock(started).slice(-4)}</span>
            </td>
          </tr>
          <tr>
            <th scope="row">{detail.kind === 'ws' ? 'Connected for' : 'Duration'}</th>
            <td>{detail.durationMs === null ? <span class="badge live">still open</span> : formatDuration(detail.durationMs)}</td>
          </tr>
          {ended !== null ? (
            <tr>
              <th scope="row">Ended</th>
              <td>{formatClock(ended)}</td>
            </tr>
          ) : null}
          <tr>
            <th scope="row">Sizes</th>
            <td>
              request {formatSize(detail.requestSize)} · response {formatSize(detail.responseSize)}
            </td>
          </tr>
          <tr>
            <th scope="row">State</th>
            <td>{detail.state}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

interface TokenCardProps {
  detail: ExchangeDetail;
  onTimeline: (scope: TimelineScope) => void;
}

/** Token facts from the decoded request (or WsAuth frame), falling back on the summary's TokenRef. */
export function TokenCard({ detail, onTimeline }: TokenCardProps) {
  const facts: TokenFacts | undefined =
    detail.request.decoded?.summary.token ??
    detail.frames.find((f) => f.direction === 'client' && f.decoded?.summary.token)?.decoded?.summary.token;
  const ref = detail.token;
  if (!ref && !facts?.present) {
    return (
      <section class="card">
        <h3>Token</h3>
        <p class="empty-note">This exchange carried no token.</p>
      </section>
    );
  }
  const seenAt = Date.parse(detail.startedAt);
  const sub = facts?.jwt?.sub ?? ref?.sub;
  const exp = facts?.jwt?.exp ?? ref?.exp;
  const expired = facts?.jwt?.expired ?? ref?.expired;
  return (
    <section class="card token-card" aria-label="Token">
      <h3>Token</h3>
      <table class="kv-table">
        <tbody>
          <tr>
            <th scope="row">Subject</th>
            <td>{sub ? <code>{sub}</code> : <span class="muted">not a JWT with a subject</span>}</td>
          </tr>
          {ref ? (
            <tr>
              <th scope="row">Starts with</th>
              <td>
                <code>{ref.prefix}…</code>
                {facts ? <span class="muted"> ({countOf(facts.length, 'character')})</span> : null}
              </td>
            </tr>
          ) : null}
          {facts?.jwt?.iat !== undefined ? (
            <tr>
              <th scope="row">Issued</th>
              <td>{formatDateTime(facts.jwt.iat * 1000)}</td>
            </tr>
          ) : null}
          <tr>
            <th scope="row">Expires</th>
            <td>
              {exp === undefined ? (
                <span class="muted">no expiry claim</span>
              ) : (
                <>
                  {formatDateTime(exp * 1000)}{' '}
                  {expired ? (
                    <span class="badge error">expired {formatRelative(exp * 1000, seenAt).replace(' ago', '')} before this call</span>
                  ) : (
                    <span class="badge ok">valid, {formatRelative(exp * 1000, seenAt).replace('in ', '')} left at the time</span>
                  )}
                </>
              )}
            </td>
          </tr>
        </tbody>
      </table>
      {ref ? (
        <div class="token-actions">
          <button class="button" onClick={() => onTimeline(scopeOf(ref, false))}>
            Timeline of this token
          </button>
          {ref.sub ? (
            <button class="button" onClick={() => onTimeline(scopeOf(ref, true))}>
              Timeline of this subject (every token)
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
