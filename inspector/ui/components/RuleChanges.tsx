// What rules changed, in the detail pane: the "changed by rule" card with each replaced
// message's field differences, a message shown in either of its two versions, and the
// tag a dropped, injected or changed frame carries.

import { useMemo, useState } from 'preact/hooks';
import type { WsFrame } from '../../../model/types.ts';
import { changedByText, changeSummary, frameRuleTag, type RuleChange } from '../model/rule-changes.ts';
import { diffMarks } from '../model/replay.ts';
import { DiffList } from './DiffList.tsx';
import { MessageView } from './MessageView.tsx';

export function RuleChangesCard({ rules, changes, ws, atBreakpoint }: { rules: string[]; changes: RuleChange[]; ws: boolean; atBreakpoint: string | null }) {
  return (
    <section class="rule-changes" aria-label="Changed by rules">
      <h3>
        {changedByText(rules)}
        {atBreakpoint ? <span class="breakpoint-edit"> · {atBreakpoint}</span> : null}
      </h3>
      {changes.map((change) => (
        <div key={change.what} class="rule-change" data-what={change.what}>
          <p>
            <strong>{change.what === 'request' ? 'Request' : 'Response'}</strong>
            {change.atBreakpoint ? ' (edited at breakpoint)' : ''}, {change.original.label} → {change.current.label}: {changeSummary(change)}
            {change.status ? `; HTTP status ${change.status.before} → ${change.status.after}` : ''}
          </p>
          <DiffList diff={change.diff} />
        </div>
      ))}
      {changes.length === 0 ? (
        <p class="muted">
          {ws
            ? 'Its frames a rule dropped, injected or changed are marked in the timeline.'
            : 'No version of the request or the response was replaced: the rule acted otherwise (a delay, an answer of its own, a failure, a pause).'}
        </p>
      ) : null}
    </section>
  );
}

interface VersionedMessageProps {
  /** The message as it went on, when no rule replaced it. */
  change: RuleChange | null;
  current: { body: string; decoded: RuleChange['current']['decoded']; truncated: boolean };
  label: string;
  wireSize?: number;
  /** Without a change: the fields a replay answered differently. */
  marks?: ReadonlyMap<string, 'changed' | 'added' | 'removed'>;
}

/** A message with, when a rule replaced it, a switch between what was sent and what went on; the differing fields marked in both. */
export function VersionedMessage({ change, current, label, wireSize, marks: replayMarks }: VersionedMessageProps) {
  const [original, setOriginal] = useState(false);
  const marks = useMemo(() => (change ? diffMarks(change.diff) : undefined), [change]);
  if (!change) return <MessageView label={label} body={current.body} decoded={current.decoded} truncated={current.truncated} wireSize={wireSize} marks={replayMarks} />;
  const shown = original ? change.original : change.current;
  return (
    <div class="versioned-message">
      <div class="version-switch" role="group" aria-label={`Which version of the ${change.what}`}>
        {[change.original, change.current].map((version) => (
          <button
            key={version.label}
            class={`toggle${version === shown ? ' on' : ''}`}
            aria-pressed={version === shown}
            onClick={() => setOriginal(version === change.original)}
          >
            {version.label}
          </button>
        ))}
      </div>
      <MessageView
        key={shown.label}
        label={`${label} ${shown.label}`}
        body={shown.body}
        decoded={shown.decoded}
        truncated={shown.truncated}
        wireSize={original ? undefined : wireSize}
        marks={marks}
      />
    </div>
  );
}

export function FrameRuleTag({ frame }: { frame: WsFrame }) {
  const tag = frameRuleTag(frame);
  return tag ? (
    <span class={`rule-tag rule-${tag.text.replace(/ /g, "-")}`} title={tag.title}>
      {tag.text}
    </span>
  ) : null;
}
