// Editing the filter text: the word under the caret, autocomplete suggestions for
// keys and values, and the quick toggles, which add or remove one term the whole
// filter requires. The grammar itself lives in model/filter.ts; this only splits the
// text as typed into words and groups, so what the user wrote stays as written.

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

/** A filter value as typed: quoted where it has a space, a quote or a parenthesis. */
export function quoteIfNeeded(value: string): string {
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

/**
 * The filter's top-level units as typed: a word (a quoted value kept whole, quotes and
 * all), a group in parentheses (what it nests inside it), or a keyword (or, and, not);
 * a leading - stays with what follows it. Text that does not parse yet (an unclosed
 * group or quote) runs to the end, so a toggle never breaks it further.
 */
function topLevelUnits(text: string): string[] {
  const units: string[] = [];
  let i = 0;
  const skipQuote = () => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    i++;
  };
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    while (text[i] === '-') i++;
    if (text[i] === '(') {
      let depth = 0;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') {
          skipQuote();
          continue;
        }
        i++;
        if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
    } else if (text[i] === ')') {
      i++;
    } else {
      while (i < text.length && !/[\s()]/.test(text[i]!)) {
        if (text[i] === '"') skipQuote();
        else i++;
      }
    }
    units.push(text.slice(start, Math.min(i, text.length)));
  }
  return units;
}

const isKeyword = (unit: string | undefined, keyword: 'or' | 'and' | 'not') => unit?.toLowerCase() === keyword;
/** `not` or a - standing apart: it negates the unit after it. */
const isNegation = (unit: string | undefined) => isKeyword(unit, 'not') || (unit !== undefined && /^-+$/.test(unit));
/** How a toggle's term is compared: any case, any spacing. */
const normal = (unit: string) => unit.toLowerCase().replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');

/**
 * What the quick toggles see: units that all must match. A filter with a top-level
 * `or` is one unit, in parentheses, since a term added beside it must hold for either side.
 */
function conjunction(text: string): string[] {
  const units = topLevelUnits(text);
  return units.some((unit) => isKeyword(unit, 'or')) ? [`(${text.trim()})`] : units;
}

/** The terms the whole filter requires, normalised; negated ones left out. */
function requiredTerms(text: string): string[] {
  const units = conjunction(text);
  return units.filter((unit, i) => !isNegation(unit) && !isNegation(units[i - 1]) && !isKeyword(unit, 'and')).map(normal);
}

/** The toggles' own group: never unwrapped, since each toggle must keep finding it. */
const bothKinds = '(kind:exec or kind:ws)';
const isBothKinds = (term: string) => term === bothKinds || term === '(kind:ws or kind:exec)';

/**
 * Drops the required terms `drop` picks (with an `and` that joined one) and adds `add`.
 * When only the user's own part is left and it is a group around an `or`, which the
 * toggles wrapped for their terms, the parentheses go again.
 */
function editTerms(text: string, drop: (term: string) => boolean, add: string[]): string {
  const units = conjunction(text);
  const kept: string[] = [];
  let dropped = false;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    if (isNegation(unit)) {
      while (isNegation(units[i]) && i < units.length) kept.push(units[i++]!);
      if (i < units.length) kept.push(units[i]!);
      continue;
    }
    if (isKeyword(unit, 'and') || !drop(normal(unit))) {
      kept.push(unit);
      continue;
    }
    dropped = true;
    if (isKeyword(kept.at(-1), 'and')) kept.pop();
    else if (isKeyword(units[i + 1], 'and')) i++;
  }
  const only = kept.length === 1 && add.length === 0 && dropped ? kept[0]! : null;
  if (only !== null && only.startsWith('(') && only.endsWith(')') && !isBothKinds(normal(only))) {
    const inner = only.slice(1, -1).trim();
    if (topLevelUnits(inner).some((unit) => isKeyword(unit, 'or'))) return inner;
  }
  return [...kept, ...add].join(' ');
}

/** Whether the whole filter requires `term` (error:any, say), as a toggle shows it. */
export function hasTerm(text: string, term: string): boolean {
  return requiredTerms(text).includes(normal(term));
}

/** Adds `term` when the filter does not require it and removes it when it does; the rest of the filter stays as typed. */
export function toggleTerm(text: string, term: string): string {
  const wanted = normal(term);
  return hasTerm(text, term) ? editTerms(text, (t) => t === wanted, []) : editTerms(text, () => false, [term]);
}

/** The kinds with a quick toggle. Both on is written as one group, since `kind:exec kind:ws` would match nothing. */
export type ToggleKind = 'exec' | 'ws';
const toggleKinds: ToggleKind[] = ['exec', 'ws'];

function kindsOf(term: string): ToggleKind[] {
  if (isBothKinds(term)) return toggleKinds;
  return toggleKinds.filter((kind) => term === `kind:${kind}`);
}

export function kindsOn(text: string): Set<ToggleKind> {
  return new Set(requiredTerms(text).flatMap(kindsOf));
}

/**
 * Turns one kind toggle on or off; the other keeps its state, so both on shows both
 * kinds. Turning one on drops a kind:http, which no toggle shows.
 */
export function toggleKind(text: string, kind: ToggleKind): string {
  const kinds = kindsOn(text);
  const adding = !kinds.has(kind);
  if (adding) kinds.add(kind);
  else kinds.delete(kind);
  const term = kinds.size === 2 ? [bothKinds] : [...kinds].map((k) => `kind:${k}`);
  return editTerms(text, (t) => kindsOf(t).length > 0 || (adding && t === 'kind:http'), term);
}
