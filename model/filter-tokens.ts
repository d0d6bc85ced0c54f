// The filter's text split into words and marks: a word keeps where it starts, its key
// (key:value), its quoting and a trailing *, so the parser can say where a mistake is.

import { FilterError } from './filter-error.ts';

export interface Word {
  kind: 'word';
  start: number;
  /** The text as typed, quotes included, up to whitespace or a parenthesis. */
  raw: string;
  /** Set when the word is key:value with a known-looking key. */
  key?: string;
  /** The word (or the value after the key) with quotes removed. */
  value: string;
  valueStart: number;
  /** Whether any part of the value was quoted (quoted text is taken literally). */
  quoted: boolean;
  /** An unquoted trailing * (a prefix search). */
  star: boolean;
}

interface Mark {
  kind: '(' | ')' | '-';
  start: number;
}

export type Token = Word | Mark;

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '-') {
      // A - counts only at the start of a word: in foo-bar it is part of the word.
      tokens.push({ kind: c, start: i });
      i++;
    } else {
      const start = i;
      let value = '';
      let quoted = false;
      let key: string | undefined;
      let valueStart = start;
      while (i < source.length && !/[\s()]/.test(source[i])) {
        const ch = source[i];
        if (ch === '"') {
          const open = i;
          quoted = true;
          i++;
          for (;;) {
            if (i >= source.length) throw new FilterError(open, 'expected a closing " for the quote opened here');
            if (source[i] === '\\' && i + 1 < source.length) {
              value += source[i + 1];
              i += 2;
            } else if (source[i] === '"') {
              i++;
              break;
            } else {
              value += source[i++];
            }
          }
        } else if (ch === ':' && key === undefined && !quoted && /^[A-Za-z]+$/.test(value)) {
          key = value.toLowerCase();
          value = '';
          i++;
          valueStart = i;
        } else {
          value += ch;
          i++;
        }
      }
      const raw = source.slice(start, i);
      // A * after the closing quote still counts: "web ser"* is a phrase ending in a prefix.
      const star = key === undefined && raw.endsWith('*');
      if (star) value = value.slice(0, -1);
      tokens.push({ kind: 'word', start, raw, key, value, valueStart, quoted, star });
    }
  }
  return tokens;
}

export function isKeyword(token: Token | undefined, word: 'or' | 'and' | 'not'): boolean {
  return token?.kind === 'word' && !token.quoted && token.key === undefined && !token.star && token.value.toLowerCase() === word;
}
