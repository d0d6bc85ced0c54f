// The filter box: autocomplete for keys and for values already seen, quick toggles,
// and the parser's (or server's) error under the box with its position marked.

import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { applySuggestion, hasTerm, kindsOn, suggest, toggleKind, toggleTerm, type FilterKeyHelp, type Suggestion } from '../model/filter-edit.ts';

export interface FilterProblem {
  message: string;
  position: number | null;
}

interface FilterBarProps {
  text: string;
  problem: FilterProblem | null;
  keys: FilterKeyHelp[];
  seen: (key: string, prefix: string) => string[];
  inputRef: RefObject<HTMLInputElement>;
  onChange: (text: string) => void;
  /** Apply now (Enter, a toggle) instead of after the typing pause. */
  onApply: (text: string) => void;
}

const toggles: { label: string; title: string; on: (text: string) => boolean; toggle: (text: string) => string }[] = [
  { label: 'Errors only', title: 'Exchanges whose response or events carry a ServerError', on: (text) => hasTerm(text, 'error:any'), toggle: (text) => toggleTerm(text, 'error:any') },
  { label: 'exec', title: '/exec calls (with ws on too: both)', on: (text) => kindsOn(text).has('exec'), toggle: (text) => toggleKind(text, 'exec') },
  { label: 'ws', title: 'WebSocket connections (with exec on too: both)', on: (text) => kindsOn(text).has('ws'), toggle: (text) => toggleKind(text, 'ws') },
];

export function FilterBar(props: FilterBarProps) {
  const [caret, setCaret] = useState(0);
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  // -1: nothing picked yet, so Enter applies the filter as typed.
  const [active, setActive] = useState(-1);

  const problem = props.problem;
  const suggestions = focused && !dismissed ? suggest(props.text, caret, props.keys, props.seen) : [];
  const activeIndex = Math.min(active, suggestions.length - 1);


  const update = (text: string, nextCaret: number) => {
    setCaret(nextCaret);
    setActive(-1);
    setDismissed(false);
    props.onChange(text);
  };
  const accept = (suggestion: Suggestion) => {
    const next = applySuggestion(props.text, caret, suggestion);
    update(next.text, next.caret);
    requestAnimationFrame(() => props.inputRef.current?.setSelectionRange(next.caret, next.caret));
    if (!suggestion.isKey) props.onApply(next.text);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (suggestions.length > 0 && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive(activeIndex < 0 && step < 0 ? suggestions.length - 1 : (activeIndex + step + suggestions.length) % suggestions.length);
    } else if (suggestions.length > 0 && event.key === 'Tab') {
      event.preventDefault();
      accept(suggestions[Math.max(activeIndex, 0)]!);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (suggestions.length > 0 && activeIndex >= 0) accept(suggestions[activeIndex]!);
      else {
        setDismissed(true);
        props.onApply(props.text);
      }
    } else if (event.key === 'Escape') {
      event.preventDefault();
      if (suggestions.length > 0) setDismissed(true);
      else props.inputRef.current?.blur();
    }
  };

  return (
    <div class="filter-bar">
      <div class={`filter-box${problem ? ' invalid' : ''}`}>
        <span class="filter-icon" aria-hidden="true">
          ⌕
        </span>
        <input
          ref={props.inputRef}
          type="text"
          spellcheck={false}
          autocomplete="off"
          aria-label="Filter"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'filter-error' : undefined}
          placeholder="Filter: service:auth status:5xx error:expired_token dur:>200ms token:<JWT subject> …  (press / to focus)"
          value={props.text}
          onInput={(event) => {
            const input = event.currentTarget;
            update(input.value, input.selectionStart ?? input.value.length);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(event) => setCaret(event.currentTarget.selectionStart ?? 0)}
          onClick={(event) => setCaret(event.currentTarget.selectionStart ?? 0)}
          onFocus={(event) => {
            setFocused(true);
            setCaret(event.currentTarget.selectionStart ?? props.text.length);
          }}
          onBlur={() => setFocused(false)}
        />
        {props.text ? (
          <button class="icon-button" title="Clear the filter" aria-label="Clear the filter" onClick={() => props.onApply('')}>
            ✕
          </button>
        ) : null}
        {suggestions.length > 0 ? (
          <ul class="suggestions" role="listbox">
            {problem ? (
              <li class="suggestion-problem" aria-hidden="true">
                {problem.message}
              </li>
            ) : null}
            {suggestions.map((s, i) => (
              <li
                key={s.label}
                role="option"
                aria-selected={i === activeIndex}
                class={i === activeIndex ? 'active' : ''}
                onMouseDown={(event) => {
                  event.preventDefault();
                  accept(s);
                }}
                onMouseEnter={() => setActive(i)}
              >
                <span class="mono">{s.label}</span>
                {s.description ? <span class="muted">{s.description}</span> : null}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <div class="toggles" role="group" aria-label="Quick filters">
        {toggles.map((t) => {
          const on = t.on(props.text);
          return (
            <button key={t.label} class={`toggle${on ? ' on' : ''}`} aria-pressed={on} title={t.title} onClick={() => props.onApply(t.toggle(props.text))}>
              {t.label}
            </button>
          );
        })}
      </div>
      {problem ? <FilterError text={props.text} problem={problem} /> : null}
    </div>
  );
}

/** The problem under a filter box, its position marked in the text; `id` for the box's aria-describedby. */
export function FilterError({ text, problem, id = 'filter-error' }: { text: string; problem: FilterProblem; id?: string }) {
  const at = problem.position;
  return (
    <div class="filter-error" id={id} role="alert">
      {at !== null && at <= text.length ? (
        <code class="filter-error-text">
          {text.slice(0, at)}
          <mark>{text[at] ?? ' '}</mark>
          {text.slice(at + 1)}
        </code>
      ) : null}
      <span>{problem.message}</span>
    </div>
  );
}
