// The filter box: the text as typed and the filter applied to the list. A valid filter
// is applied after a typing pause (Enter applies it at once); a malformed one shows its
// problem at once and leaves the applied filter as it was. The values seen in the
// traffic so far are kept here too, as the box's completions.

import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { compileLiveFilter, type FilterProblem } from '../model/live-filter.ts';
import { SeenValues } from '../model/seen-values.ts';

/** Typing pause before a valid filter is applied. */
const applyDelayMs = 300;

export interface Filter {
  text: string;
  applied: string;
  problem: FilterProblem | null;
  seen: SeenValues;
  inputRef: RefObject<HTMLInputElement>;
  change: (text: string) => void;
  applyNow: (text: string) => void;
  /** The server refused the applied filter: its problem shows under the box. */
  reject: (problem: FilterProblem) => void;
  focus: () => void;
}

function problemOf(text: string): FilterProblem | null {
  const compiled = compileLiveFilter(text);
  return compiled.ok ? null : compiled.problem;
}

export function useFilter(initial: string): Filter {
  const seen = useRef(new SeenValues()).current;
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(initial);
  const [applied, setApplied] = useState(() => (compileLiveFilter(initial).ok ? initial : ''));
  const [problem, setProblem] = useState(() => problemOf(initial));

  const change = (next: string) => {
    setText(next);
    setProblem(problemOf(next));
  };
  const applyNow = (next: string) => {
    change(next);
    if (compileLiveFilter(next).ok) setApplied(next.trim());
  };
  useEffect(() => {
    if (text.trim() === applied || !compileLiveFilter(text).ok) return;
    const timer = window.setTimeout(() => setApplied(text.trim()), applyDelayMs);
    return () => clearTimeout(timer);
  }, [text, applied]);

  const focus = () => {
    inputRef.current?.focus();
    inputRef.current?.select();
  };
  return { text, applied, problem, seen, inputRef, change, applyNow, reject: setProblem, focus };
}
