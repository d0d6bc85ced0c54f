// "Break on…": a filter (the list's filter language) and a point make a breakpoint, a
// rule with break: true added to the running set (POST /api/rules) under a name that
// says what it does. The Rules panel lists it, with a button that removes it.

import { useEffect, useRef, useState } from 'preact/hooks';
import { rulePoints, type RulePoint, type RuleView } from '../../../model/rules.ts';
import { compileLiveFilter } from '../model/live-filter.ts';
import { breakpointRule } from '../model/pauses-panel.ts';
import { pointMeaning } from '../model/rules-panel.ts';
import { FilterError } from './FilterBar.tsx';
import { showToast } from './Toast.tsx';

interface BreakOnDialogProps {
  /** Where the filter starts: the list's, so what is shown is what breaks. */
  filter: string;
  arm: (match: string, at: RulePoint) => Promise<RuleView>;
  onClose: () => void;
}

export function BreakOnDialog({ filter, arm, onClose }: BreakOnDialogProps) {
  const [text, setText] = useState(filter);
  const [at, setAt] = useState<RulePoint>('request');
  const [arming, setArming] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const compiled = compileLiveFilter(text);
  const { name } = breakpointRule(text, at);

  const submit = (event: Event) => {
    event.preventDefault();
    if (!compiled.ok || arming) return;
    setArming(true);
    setRefusal(null);
    arm(text, at).then(
      (view) => {
        showToast(`Armed "${view.name}"`);
        onClose();
      },
      (err: Error) => {
        setRefusal(err.message);
        setArming(false);
      },
    );
  };

  return (
    <div class="overlay" onClick={onClose}>
      <form class="dialog break-on" role="dialog" aria-label="Break on" onClick={(event) => event.stopPropagation()} onSubmit={submit}>
        <h2>Break on…</h2>
        <label class="replay-field">
          <span>Messages that match (the list's filter; empty: every one)</span>
          <input
            class="break-filter mono"
            value={text}
            spellcheck={false}
            ref={input}
            aria-invalid={compiled.ok ? undefined : true}
            aria-describedby={compiled.ok ? undefined : 'break-filter-error'}
            onInput={(event) => setText((event.target as HTMLInputElement).value)}
          />
        </label>
        {compiled.ok ? null : <FilterError text={text} problem={compiled.problem} id="break-filter-error" />}
        <label class="replay-field">
          <span>At</span>
          <select class="break-point" value={at} onChange={(event) => setAt((event.target as HTMLSelectElement).value as RulePoint)}>
            {rulePoints.map((point) => (
              <option key={point} value={point}>
                {point}: {pointMeaning[point]}
              </option>
            ))}
          </select>
        </label>
        <p class="muted">
          Adds the rule <code class="break-name">{name}</code> to the running rules until the proxy stops; the Rules panel lists it and removes it.
        </p>
        {refusal ? (
          <div class="banner error" role="alert">
            {refusal}
          </div>
        ) : null}
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={arming || !compiled.ok}>
            {arming ? 'Arming…' : 'Arm'}
          </button>
        </div>
      </form>
    </div>
  );
}
