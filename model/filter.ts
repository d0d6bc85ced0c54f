// The one filter language: text → syntax tree. The tree is evaluated in memory on live
// summaries (model/filter-match.ts) and compiled to SQL over stored traffic
// (storage/filter-sql.ts); both read the tree defined here, so they cannot drift apart
// on what a filter means. Browser-safe: no Node imports.

import { FieldPathError, parseFieldPath, type PathSegment } from './field-path.ts';
import type { ExchangeKind, ExchangeState, FrameDirection } from './types.ts';
import { UserError } from './user-error.ts';

/** A malformed filter: `position` is the 0-based character index the message refers to. */
export class FilterError extends UserError {
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {
    super(`at ${position}: ${expected}`, { details: { position } });
  }
}

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

export interface FilterKey {
  key: string;
  description: string;
  values?: string[];
}

/** The ServerError names of the documented API (proto/ca2/ca2.proto): the names error: accepts. */
export const serverErrorNames = [
  'SE_UNKNOWN_ERROR',
  'SE_TRX_REQUIRED_ERROR',
  'SE_INVALID_TRX_ERROR',
  'SE_INVALID_TOKEN_ERROR',
  'SE_EXPIRED_TOKEN_ERROR',
  'SE_INTERNAL_SERVER_ERROR',
  'SE_TOKEN_REQUIRED_ERROR',
  'SE_RATE_LIMIT_EXCEEDED_ERROR',
];

const exchangeStates: readonly ExchangeState[] = ['complete', 'pending', 'error', 'aborted', 'interrupted'];

/** Every key, for the filter bar's autocomplete and help. */
export const filterKeys: FilterKey[] = [
  { key: 'service', description: 'service called, e.g. service:instances' },
  { key: 'op', description: 'operation within the service, e.g. op:create' },
  { key: 'kind', description: 'exec (/exec calls), ws (WebSocket connections) or http (anything else)', values: ['exec', 'ws', 'http'] },
  {
    key: 'error',
    description: 'a ServerError in the response: full name, short form (expired_token) or any',
    values: ['any', ...serverErrorNames.map(shortErrorName)],
  },
  {
    key: 'state',
    description: 'complete, pending (still running), error, aborted (by the client) or interrupted (the proxy stopped first)',
    values: [...exchangeStates],
  },
  { key: 'status', description: 'HTTP status: 200, 5xx, >=400, <300', values: ['2xx', '4xx', '5xx', '>=400'] },
  { key: 'trx', description: 'transaction id, or its first characters' },
  { key: 'token', description: 'JWT subject or its first characters, or the first characters of the token' },
  { key: 'path', description: 'text contained in the request path' },
  { key: 'dir', description: 'WebSocket connections with frames sent by the client or the server', values: ['client', 'server'] },
  { key: 'since', description: 'started at or after a time: 10m, 2h, 1d ago, or 2024-05-01T10:00' },
  { key: 'until', description: 'started at or before a time: 10m, 2h, 1d ago, or 2024-05-01T10:00' },
  { key: 'size', description: 'request plus response bytes: >10kb, <512b, >=1.5mb' },
  { key: 'dur', description: 'duration: >200ms, <1s' },
  { key: 'problem', description: 'protocol-check problems: any, or a word in the problem text', values: ['any'] },
  { key: 'replay', description: 'replayed exchanges: any, or the replays of one exchange id (replay:12)', values: ['any'] },
  { key: 'rule', description: 'changed in flight by a rule: any, or the rule\'s name (rule:"billing is rate limited")', values: ['any'] },
  {
    key: 'field',
    description:
      'a field of the decoded messages is set (field:billing.top_up), or has a value: =, !=, and <, >, <=, >= for numbers (field:billing.balance.balances[*].amount>1000)',
  },
];

const keyNames = new Set(filterKeys.map((k) => k.key));

/** The longest filter accepted; keeps compiled queries within SQLite's parameter limit. */
export const maxFilterLength = 10_000;
/**
 * How deep parentheses and not may nest, and how many terms a filter may hold. Every
 * evaluator walks the tree recursively and SQLite refuses expressions deeper than 1000,
 * so these bounds keep a crafted filter from overflowing a stack anywhere.
 */
export const maxFilterDepth = 64;
export const maxFilterTerms = 256;

/** SE_EXPIRED_TOKEN_ERROR → expired_token. */
export function shortErrorName(name: string): string {
  return name.replace(/^SE_/, '').replace(/_ERROR$/, '').toLowerCase();
}

/**
 * expired_token, EXPIRED_TOKEN, SE_EXPIRED_TOKEN_ERROR → SE_EXPIRED_TOKEN_ERROR; numbers
 * stay as they are (a value the enum does not list is recorded as its number); null for
 * anything that names no known ServerError.
 */
export function fullErrorName(value: string): string | null {
  if (/^\d+$/.test(value)) return value;
  let name = value.toUpperCase();
  if (!name.startsWith('SE_')) name = `SE_${name}`;
  if (!name.endsWith('_ERROR')) name = `${name}_ERROR`;
  return serverErrorNames.includes(name) ? name : null;
}

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

interface Word {
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

type Token = Word | Mark;

function tokenize(source: string): Token[] {
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

/** Parses a filter; an empty or blank filter gives null (everything matches). */
export function parseFilter(source: string): FilterNode | null {
  if (source.length > maxFilterLength) {
    throw new FilterError(maxFilterLength, `expected at most ${maxFilterLength} characters (the filter has ${source.length})`);
  }
  const parser = new Parser(source, tokenize(source));
  return parser.parse();
}

function isKeyword(token: Token | undefined, word: 'or' | 'and' | 'not'): boolean {
  return token?.kind === 'word' && !token.quoted && token.key === undefined && !token.star && token.value.toLowerCase() === word;
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
    if (!keyNames.has(key)) {
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
        return { type: 'number', field: 'size', tests: [parseQuantity(value, at, 'size', sizeUnits, 'b', 'a size like >10kb, <512b or >=1.5mb')] };
      case 'dur':
        return { type: 'number', field: 'dur', tests: [parseQuantity(value, at, 'dur', durationUnits, 'ms', 'a duration like >200ms or <1.5s')] };
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

const comparisonPattern = '(>=|<=|>|<|=)?';

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Whether field: compares `value` as a number: the form of a JSON number or a 64-bit integer. */
export function isNumberText(value: string): boolean {
  return numberPattern.test(value);
}

/**
 * field:PATH, field:PATH=VALUE, or with !=, <, >, <=, >=. The path and operator are read from
 * the text as typed, so only VALUE may be quoted: field:description="top up".
 */
function parseField(word: Word, source: string): FilterNode {
  const typed = source.slice(word.valueStart, word.start + word.raw.length);
  const pathText = /^[^=<>!"]*/.exec(typed)![0];
  const rest = typed.slice(pathText.length);
  const at = word.valueStart + pathText.length;
  if (rest.startsWith('"')) throw new FilterError(at, 'expected the field path unquoted, then =, !=, <, >, <= or >= and the value (quote only the value)');
  let path: PathSegment[];
  try {
    path = parseFieldPath(pathText);
  } catch (err) {
    if (!(err instanceof FieldPathError)) throw err;
    throw new FilterError(word.valueStart + err.offset, err.message);
  }
  if (rest === '') return { type: 'decoded', path, source: pathText, test: null };
  const op = /^(!=|<=|>=|=|<|>)/.exec(rest)?.[1] as FieldOp | undefined;
  if (op === undefined) throw new FilterError(at, 'expected "!=" after the field path; "!" alone is not an operator');
  // Nothing before the value was quoted, so the tokenizer's unquoted text ends with it.
  const value = word.value.slice(pathText.length + op.length);
  const valueAt = at + op.length;
  if (value === '' && !rest.slice(op.length).includes('"')) {
    throw new FilterError(valueAt, `expected a value after "${op}" (quote it to compare with the empty text: "")`);
  }
  if (op !== '=' && op !== '!=' && !isNumberText(value)) {
    throw new FilterError(valueAt, `expected a number after "${op}", as <, >, <= and >= compare numbers; got "${value}"`);
  }
  return { type: 'decoded', path, source: pathText, test: { op, value } };
}

function parseStatus(value: string, at: number): NumberTest[] {
  const klass = /^([1-5])xx$/i.exec(value);
  if (klass) {
    const base = Number(klass[1]) * 100;
    return [
      { op: '>=', value: base },
      { op: '<=', value: base + 99 },
    ];
  }
  const exact = new RegExp(`^${comparisonPattern}(\\d{3})$`).exec(value);
  if (!exact) throw new FilterError(at, 'expected a status like 200, 5xx or >=400 after "status:"');
  return [{ op: (exact[1] as Comparison | undefined) ?? '=', value: Number(exact[2]) }];
}

const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

function parseQuantity(
  value: string,
  at: number,
  key: string,
  units: Record<string, number>,
  defaultUnit: string,
  example: string,
): NumberTest {
  const match = new RegExp(`^${comparisonPattern}(\\d+(?:\\.\\d+)?)([a-z]*)$`, 'i').exec(value);
  const unit = (match?.[3] || defaultUnit).toLowerCase();
  if (!match || !(unit in units)) throw new FilterError(at, `expected ${example} after "${key}:"`);
  return { op: (match[1] as Comparison | undefined) ?? '=', value: Number(match[2]) * units[unit] };
}

const relativeUnits: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseTime(bound: 'since' | 'until', value: string, at: number): FilterNode {
  const relative = /^(\d+(?:\.\d+)?)([smhd])$/i.exec(value);
  if (relative) return { type: 'time', bound, agoMs: Number(relative[1]) * relativeUnits[relative[2].toLowerCase()] };
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new FilterError(at, `expected a time like 2024-05-01T10:00 or a relative one like 10m, 2h, 1d after "${bound}:"`);
  }
  return { type: 'time', bound, at: time };
}
