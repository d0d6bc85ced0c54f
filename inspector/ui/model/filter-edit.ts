// Editing the filter text: the word under the caret, autocomplete suggestions for
// keys and values, and the quick toggles, which add or remove one top-level term.
// The grammar itself lives in model/filter.ts; this only works on words.

export interface FilterKeyHelp {
  /** The key without its colon: "service". */
  key: string;
  description: string;
  /** Fixed values the key accepts, such as kind's exec, ws and http. */
  values?: string[];
}

export interface Suggestion {
  /** What the list shows. */
  label: string;
  /** What replaces the word under the caret. */
  insert: string;
  description?: string;
  /** A key suggestion keeps the list open for its values. */
  isKey: boolean;
}

export interface WordAtCaret {
  start: number;
  end: number;
  /** Leading "-" (negation) kept out of the completion. */
  negated: boolean;
  /** The key when the word already has a colon. */
  key: string | null;
  /** What is typed after the colon, or the whole word when there is no colon. */
  partial: string;
}

const separators = /[\s()]/;

export function wordAtCaret(text: string, caret: number): WordAtCaret {
  let start = caret;
  while (start > 0 && !separators.test(text[start - 1]!)) start--;
  let end = caret;
  while (end < text.length && !separators.test(text[end]!)) end++;
  let word = text.slice(start, caret);
  const negated = word.startsWith('-');
  if (negated) word = word.slice(1);
  const colon = word.indexOf(':');
  if (colon < 0) return { start, end, negated, key: null, partial: word };
  return { start, end, negated, key: word.slice(0, colon), partial: word.slice(colon + 1).replace(/^"/, '') };
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"()]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function suggest(
  text: string,
  caret: number,
  keys: FilterKeyHelp[],
  seen: (key: string, prefix: string) => string[],
  limit = 12,
): Suggestion[] {
  const word = wordAtCaret(text, caret);
  if (word.key === null) {
    const lower = word.partial.toLowerCase();
    if (lower === 'or' || lower === 'not') return [];
    return keys
      .filter((k) => k.key.startsWith(lower))
      .slice(0, limit)
      .map((k) => ({ label: `${k.key}:`, insert: `${k.key}:`, description: k.description, isKey: true }));
  }
  const help = keys.find((k) => k.key === word.key);
  if (!help) return [];
  const lower = word.partial.toLowerCase();
  const fixed = (help.values ?? []).filter((v) => v.toLowerCase().startsWith(lower));
  const values = [...new Set([...fixed, ...seen(help.key, word.partial)])];
  return values
    .filter((v) => v !== word.partial)
    .slice(0, limit)
    .map((v) => ({ label: v, insert: `${help.key}:${quoteIfNeeded(v)}`, isKey: false }));
}

/** Replaces the word under the caret with the suggestion; a completed value gets a trailing space. */
export function applySuggestion(text: string, caret: number, suggestion: Suggestion): { text: string; caret: number } {
  const word = wordAtCaret(text, caret);
  const head = text.slice(0, word.start) + (word.negated ? '-' : '') + suggestion.insert;
  const tail = text.slice(word.end);
  const spacer = suggestion.isKey || tail.startsWith(' ') ? '' : ' ';
  return { text: head + spacer + tail, caret: head.length + spacer.length };
}

function topLevelWords(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export function hasTerm(text: string, term: string): boolean {
  return topLevelWords(text).includes(term);
}

/** Adds `term` when absent and removes it when present. Only simple top-level words are touched; the rest of the filter stays as typed. */
export function toggleTerm(text: string, term: string): string {
  const words = topLevelWords(text);
  if (words.includes(term)) return words.filter((w) => w !== term).join(' ');
  return [...words, term].join(' ');
}

/** The kinds with a quick toggle. Both on is written as one group, since `kind:exec kind:ws` would match nothing. */
export type ToggleKind = 'exec' | 'ws';
const toggleKinds: ToggleKind[] = ['exec', 'ws'];
const bothKinds = ['(kind:exec', 'or', 'kind:ws)'];

/** Where the kind toggles' terms are among the top-level words, and which kinds they turn on. */
function kindTerms(words: string[]): { at: Set<number>; kinds: Set<ToggleKind> } {
  const at = new Set<number>();
  const kinds = new Set<ToggleKind>();
  words.forEach((word, i) => {
    const group = [word, words[i + 1], words[i + 2]].map((w) => w?.toLowerCase());
    if (group.join(' ') === bothKinds.join(' ') || group.join(' ') === '(kind:ws or kind:exec)') {
      [i, i + 1, i + 2].forEach((j) => at.add(j));
      toggleKinds.forEach((kind) => kinds.add(kind));
    }
    const kind = toggleKinds.find((k) => word === `kind:${k}`);
    if (kind) {
      at.add(i);
      kinds.add(kind);
    }
  });
  return { at, kinds };
}

export function kindsOn(text: string): Set<ToggleKind> {
  return kindTerms(topLevelWords(text)).kinds;
}

/**
 * Turns one kind toggle on or off; the other keeps its state, so both on shows both
 * kinds. Turning one on drops a kind:http, which no toggle shows.
 */
export function toggleKind(text: string, kind: ToggleKind): string {
  const words = topLevelWords(text);
  const { at, kinds } = kindTerms(words);
  const adding = !kinds.has(kind);
  if (adding) kinds.add(kind);
  else kinds.delete(kind);
  const rest = words.filter((word, i) => !at.has(i) && !(adding && word === 'kind:http'));
  const term = kinds.size === 2 ? bothKinds : [...kinds].map((k) => `kind:${k}`);
  return [...rest, ...term].join(' ');
}
