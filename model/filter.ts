// The one filter language: text → syntax tree. The tree is evaluated in memory on live
// summaries (model/filter-match.ts) and compiled to SQL over stored traffic
// (storage/filter-sql.ts); both read the tree defined here, so they cannot drift apart
// on what a filter means. Browser-safe: no Node imports.

import type { PathSegment } from './field-path.ts';
import { FilterError } from './filter-error.ts';
import { exchangeStates, filterKeys, isFilterKey } from './filter-keys.ts';
import { isKeyword, tokenize, type Token, type Word } from './filter-tokens.ts';
import { parseDuration, parseField, parseSize, parseStatus, parseTime } from './filter-values.ts';
import { fullErrorName, serverErrorNames } from './server-errors.ts';
import type { ExchangeKind, ExchangeState, FrameDirection } from './types.ts';

export type Comparison = '=' | '>' | '>=' | '<' | '<=';

/** How field: compares a decoded value; all but = and != compare numbers. */
export type FieldOp = Comparison | '!=';

/** A field: term's test of one value, VALUE in the decoded JSON's form as typed. */
export interface FieldTest {
  op: FieldOp;
  value: string;
}

/** One numeric test; a term holds one or two (status:5xx is >=500 and <=599). */
export interface NumberTest {
  op: Comparison;
  value: number;
}

export type FilterNode =
  | { type: 'and'; items: FilterNode[] }
  | { type: 'or'; items: FilterNode[] }
  | { type: 'not'; item: FilterNode }
  /** service: and op: equal, path: contains, trx: starts with; all ASCII case-insensitive. */
  | { type: 'field'; field: 'service' | 'op' | 'path' | 'trx'; value: string }
  /** A JWT subject, the start of the stored token prefix, or a whole token that starts with it. */
  | { type: 'token'; value: string }
  | { type: 'kind'; value: ExchangeKind }
  | { type: 'state'; value: ExchangeState }
  /** name null: any error. */
  | { type: 'error'; name: string | null }
  /** text null: any problem; otherwise a problem containing the text. */
  | { type: 'problem'; text: string | null }
  /** of null: any replay; otherwise replays of that exchange id. */
  | { type: 'replay'; of: number | null }
  /** name null: changed by any rule; otherwise by the rule of that name (exact, case-sensitive as rule names are). */
  | { type: 'rule'; name: string | null }
  | { type: 'number'; field: 'status' | 'size' | 'dur'; tests: NumberTest[] }
  | { type: 'dir'; value: FrameDirection }
  /** Exactly one of `at` (ms epoch) and `agoMs` (relative to the evaluation's `now`). */
  | { type: 'time'; bound: 'since' | 'until'; at?: number; agoMs?: number }
  /** A bare word or quoted phrase: `tokens` as the search index splits them; prefix = last token may continue. */
  | { type: 'text'; tokens: string[]; prefix: boolean }
  /**
   * field:PATH, a field of the decoded messages (model/field-path.ts notation, `source` as
   * typed): true when a message has a value there that passes `test`, or any value when test is null.
   */
  | { type: 'decoded'; path: PathSegment[]; source: string; test: FieldTest | null };

/** The longest filter accepted; keeps compiled queries within SQLite's parameter limit. */
export const maxFilterLength = 10_000;
/**
 * How deep parentheses and not may nest, and how many terms a filter may hold. Every
 * evaluator walks the tree recursively and SQLite refuses expressions deeper than 1000,
 * so these bounds keep a crafted filter from overflowing a stack anywhere.
 */
export const maxFilterDepth = 64;
export const maxFilterTerms = 256;

/**
 * Splits text the way SQLite FTS5's unicode61 tokenizer (remove_diacritics 2) does:
 * runs of letters and digits, case-folded, accents removed. Shared by the in-memory
 * matcher and the SQL compiler so a bare word means the same thing to both.
 */
export function searchTokens(text: string): string[] {
  return (
    text
      .normalize('NFD')
      .replace(/\p{Mn}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []
  );
}

/** Parses a filter; an empty or blank filter gives null (everything matches). */
export function parseFilter(source: string): FilterNode | null {
  if (source.length > maxFilterLength) {
    throw new FilterError(maxFilterLength, `expected at most ${maxFilterLength} characters (the filter has ${source.length})`);
  }
  const parser = new Parser(source, tokenize(source));
  return parser.parse();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private terms = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): FilterNode | null {
    if (this.tokens.length === 0) return null;
    const node = this.parseOr();
    const extra = this.tokens[this.pos];
    if (extra) {
      // Only an unmatched ) can stop parseOr before the end.
      throw new FilterError(extra.start, 'unexpected ")" without a matching "("');
    }
    return node;
  }

  private get end(): number {
    return this.source.length;
  }

  private parseOr(): FilterNode {
    const items = [this.parseAnd()];
    while (isKeyword(this.tokens[this.pos], 'or')) {
      this.pos++;
      if (this.atTermEnd()) throw new FilterError(this.nextStart(), 'expected a term after "or"');
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0] : { type: 'or', items };
  }

  private parseAnd(): FilterNode {
    const items: FilterNode[] = [];
    for (;;) {
      const token = this.tokens[this.pos];
      if (token === undefined || token.kind === ')' || isKeyword(token, 'or')) break;
      if (isKeyword(token, 'and')) {
        if (items.length === 0) throw new FilterError(token.start, 'expected a term before "and"');
        this.pos++;
        if (this.atTermEnd()) throw new FilterError(this.nextStart(), 'expected a term after "and"');
        continue;
      }
      items.push(this.parseUnary());
    }
    if (items.length === 0) {
      const token = this.tokens[this.pos];
      if (token === undefined) throw new FilterError(this.end, 'expected a term');
      if (token.kind === ')') throw new FilterError(token.start, 'expected a term before ")"');
      throw new FilterError(token.start, 'expected a term before "or"');
    }
    return items.length === 1 ? items[0] : { type: 'and', items };
  }

  private atTermEnd(): boolean {
    const token = this.tokens[this.pos];
    return token === undefined || token.kind === ')' || isKeyword(token, 'or') || isKeyword(token, 'and');
  }

  private nextStart(): number {
    return this.tokens[this.pos]?.start ?? this.end;
  }

  private parseUnary(): FilterNode {
    const token = this.tokens[this.pos];
    if (isKeyword(token, 'not') || token.kind === '-') {
      this.pos++;
      const what = token.kind === '-' ? '-' : 'not';
      if (this.atTermEnd()) throw new FilterError(this.nextStart(), `expected a term after "${what}"`);
      this.enter(token);
      const item = this.parseUnary();
      this.depth--;
      return { type: 'not', item };
    }
    if (token.kind === '(') {
      this.pos++;
      const next = this.tokens[this.pos];
      if (next === undefined || next.kind === ')') throw new FilterError(next?.start ?? this.end, 'expected a term after "("');
      this.enter(token);
      const inner = this.parseOr();
      this.depth--;
      const close = this.tokens[this.pos];
      if (close?.kind !== ')') throw new FilterError(close?.start ?? this.end, `expected ")" to close the "(" at ${token.start}`);
      this.pos++;
      return inner;
    }
    this.pos++;
    if (++this.terms > maxFilterTerms) throw new FilterError(token.start, `the filter has more than ${maxFilterTerms} terms`);
    return this.parseWord(token as Word);
  }

  /** Checked before recursing, so a filter nested thousands deep is refused instead of overflowing the stack. */
  private enter(token: Token): void {
    if (++this.depth > maxFilterDepth) throw new FilterError(token.start, `the filter nests deeper than ${maxFilterDepth} levels`);
  }

  private parseWord(word: Word): FilterNode {
    if (word.key === undefined) return this.parseText(word);
    const key = word.key;
    if (!isFilterKey(key)) {
      throw new FilterError(
        word.start,
        `unknown key "${key}:" — expected one of ${filterKeys.map((k) => `${k.key}:`).join(', ')} (put text with a colon in quotes to search for it)`,
      );
    }
    const value = word.value;
    if (value === '' && !word.quoted) throw new FilterError(word.valueStart, `expected a value after "${key}:"`);
    const at = word.valueStart;
    switch (key) {
      case 'service':
        return { type: 'field', field: 'service', value };
      case 'op':
        return { type: 'field', field: 'op', value };
      case 'path':
        return { type: 'field', field: 'path', value };
      case 'trx':
        return { type: 'field', field: 'trx', value };
      case 'token':
        return { type: 'token', value };
      case 'kind': {
        const kind = value.toLowerCase();
        if (kind !== 'exec' && kind !== 'ws' && kind !== 'http') {
          throw new FilterError(at, 'expected exec, ws or http after "kind:"');
        }
        return { type: 'kind', value: kind };
      }
      case 'state': {
        const state = exchangeStates.find((s) => s === value.toLowerCase());
        if (state === undefined) throw new FilterError(at, `expected ${exchangeStates.join(', ')} after "state:"`);
        return { type: 'state', value: state };
      }
      case 'dir': {
        const dir = value.toLowerCase();
        if (dir !== 'client' && dir !== 'server') throw new FilterError(at, 'expected client or server after "dir:"');
        return { type: 'dir', value: dir };
      }
      case 'error': {
        if (!word.quoted && value.toLowerCase() === 'any') return { type: 'error', name: null };
        const name = fullErrorName(value);
        if (name === null) {
          throw new FilterError(
            at,
            `expected any or a ServerError after "error:", one of ${serverErrorNames.join(', ')}, or its short form (expired_token); got "${value}"`,
          );
        }
        return { type: 'error', name };
      }
      case 'problem':
        if (!word.quoted && value.toLowerCase() === 'any') return { type: 'problem', text: null };
        return { type: 'problem', text: value };
      case 'rule':
        if (!word.quoted && value.toLowerCase() === 'any') return { type: 'rule', name: null };
        if (value === '') throw new FilterError(at, 'expected any or a rule name after "rule:"');
        return { type: 'rule', name: value };
      case 'replay':
        if (!word.quoted && value.toLowerCase() === 'any') return { type: 'replay', of: null };
        if (!/^\d{1,15}$/.test(value)) throw new FilterError(at, 'expected any or an exchange id after "replay:"');
        return { type: 'replay', of: Number(value) };
      case 'status':
        return { type: 'number', field: 'status', tests: parseStatus(value, at) };
      case 'size':
        return { type: 'number', field: 'size', tests: [parseSize(value, at)] };
      case 'dur':
        return { type: 'number', field: 'dur', tests: [parseDuration(value, at)] };
      case 'since':
      case 'until':
        return parseTime(key, value, at);
      case 'field':
        return parseField(word, this.source);
    }
    throw new FilterError(word.start, `unknown key "${key}:"`);
  }

  private parseText(word: Word): FilterNode {
    const tokens = searchTokens(word.value);
    if (tokens.length === 0) {
      if (word.value === '' && word.star) throw new FilterError(word.start, 'expected letters or digits before "*"');
      throw new FilterError(word.start, `expected letters or digits to search for, found "${word.raw}"`);
    }
    return { type: 'text', tokens, prefix: word.star };
  }
}
