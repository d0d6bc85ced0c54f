// Evaluates a parsed filter on one exchange summary in memory: the live stream and the
// UI use this for rows as they arrive. storage/filter-sql.ts gives the same answers
// over stored rows; test/storage/filter-sql.test.ts checks the two agree.
// Browser-safe: no Node imports.

import { valuesAt } from './field-path.ts';
import { parseFilter, searchTokens, type FieldTest, type FilterNode, type NumberTest } from './filter.ts';
import { anyTerm } from './filter-terms.ts';
import { isNumberText } from './filter-values.ts';
import type { DecodeResult, ExchangeDetail, ExchangeSummary, FrameDirection, JsonValue } from './types.ts';

export interface MatchContext {
  /** ms epoch that relative times (since:10m) count back from; defaults to Date.now(). */
  now?: number;
  /**
   * The exchange's other searchable texts, when the caller has them: detailSearchTexts()
   * of its detail. Bare words always search the summary's text fields too.
   */
  text?: string | readonly string[];
  /**
   * Directions of the frames seen on a WebSocket exchange. Without it, dir: matches any
   * exchange that has frames, since a summary only counts them.
   */
  frameDirections?: ReadonlySet<FrameDirection>;
  /**
   * The decoded JSON that field: terms test: of the request, the response and each frame,
   * or in an interception rule only the message at hand. Without it no message has a
   * field, so a caller that has none (the live list, from summaries) asks storage
   * instead for filters that need them (needsMessages).
   */
  messages?: readonly JsonValue[];
}

/** Whether the exchange passes the filter; a null filter (empty text) passes everything. */
export function matches(filter: FilterNode | null, summary: ExchangeSummary, context: MatchContext = {}): boolean {
  if (filter === null) return true;
  const evaluation = new Evaluation(summary, context);
  return evaluation.test(filter);
}

/** Parses once, then tests many summaries; throws FilterError for a malformed filter. */
export function compileMatcher(source: string): (summary: ExchangeSummary, context?: MatchContext) => boolean {
  const filter = parseFilter(source);
  return (summary, context) => matches(filter, summary, context);
}

/** Whether the filter has field: terms, which only the decoded messages can answer. */
export function needsMessages(node: FilterNode | null): boolean {
  return anyTerm(node, (term) => term.type === 'decoded');
}

/** The summary's text fields as one searchable text, the same one storage indexes. */
export function summarySearchText(summary: ExchangeSummary): string {
  return [
    summary.method,
    summary.path,
    summary.service ?? '',
    summary.operation ?? '',
    summary.trx ?? '',
    summary.errors.join(' '),
    summary.problems.join('\n'),
    summary.token?.sub ?? '',
    summary.token?.prefix ?? '',
  ].join('\n');
}

/**
 * The text of a decoded message that bare words search, the same one storage indexes:
 * every key and value of the JSON on its own line, so a phrase is found inside a value
 * as it reads rather than as JSON escapes it.
 */
export function decodedSearchText(decoded: DecodeResult | null): string | null {
  if (decoded === null) return null;
  const lines: string[] = [];
  const walk = (value: JsonValue): void => {
    if (value === null) return;
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        lines.push(key);
        walk(item);
      }
    } else {
      lines.push(String(value));
    }
  };
  walk(decoded.json);
  return lines.join('\n');
}

/** Everything bare words search besides the summary: the error sentence and the decoded messages and frames. */
export function detailSearchTexts(detail: ExchangeDetail): string[] {
  const texts = [detail.error, ...[detail.request, detail.response, ...detail.frames].map((m) => decodedSearchText(m?.decoded ?? null))];
  return texts.filter((text): text is string => text !== null);
}

/** SQLite's NOCASE and LIKE fold ASCII letters only; matching the same way keeps the evaluators in step. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function compare(actual: number, test: NumberTest): boolean {
  switch (test.op) {
    case '=':
      return actual === test.value;
    case '>':
      return actual > test.value;
    case '>=':
      return actual >= test.value;
    case '<':
      return actual < test.value;
    case '<=':
      return actual <= test.value;
  }
}

const integerPattern = /^[+-]?\d+$/;

/** A value's number as text, when it is one: a JSON number, or a string in number form (a 64-bit integer). */
function numberText(value: JsonValue): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && isNumberText(value) ? value : null;
}

/** Exact for two integers of any size (64-bit ones are strings); otherwise as doubles. */
function compareNumbers(actual: string, wanted: string): number {
  if (integerPattern.test(actual) && integerPattern.test(wanted)) {
    const [a, b] = [BigInt(actual), BigInt(wanted)];
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const [a, b] = [Number(actual), Number(wanted)];
  return a < b ? -1 : a > b ? 1 : 0;
}

/** = and != compare the value as the decoded JSON writes it (a JSON number by its value); the others compare numbers. */
function passesFieldTest(value: JsonValue, test: FieldTest): boolean {
  if (test.op === '=' || test.op === '!=') {
    const equal =
      typeof value === 'string'
        ? value === test.value
        : typeof value === 'number'
          ? isNumberText(test.value) && Number(test.value) === value
          : typeof value === 'boolean' && String(value) === test.value;
    return equal === (test.op === '=');
  }
  const actual = numberText(value);
  if (actual === null) return false;
  const order = compareNumbers(actual, test.value);
  switch (test.op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/**
 * The integer ms bounds a time term tests against. A summary's startedAt has whole
 * milliseconds while storage keeps sub-millisecond times, so bounds are rounded to whole
 * milliseconds in the direction that makes both give the same answer.
 */
export function timeBound(node: Extract<FilterNode, { type: 'time' }>, now: number): number {
  const at = node.at ?? now - (node.agoMs ?? 0);
  return node.bound === 'since' ? Math.ceil(at) : Math.floor(at);
}

class Evaluation {
  private documents: string[][] | undefined;

  constructor(
    private readonly summary: ExchangeSummary,
    private readonly context: MatchContext,
  ) {}

  test(node: FilterNode): boolean {
    const s = this.summary;
    switch (node.type) {
      case 'and':
        return node.items.every((item) => this.test(item));
      case 'or':
        return node.items.some((item) => this.test(item));
      case 'not':
        return !this.test(node.item);
      case 'field': {
        const value = asciiLower(node.value);
        switch (node.field) {
          case 'service':
            return s.service !== null && asciiLower(s.service) === value;
          case 'op':
            return s.operation !== null && asciiLower(s.operation) === value;
          case 'path':
            return asciiLower(s.path).includes(value);
          case 'trx':
            return s.trx !== null && asciiLower(s.trx).startsWith(value);
        }
        break;
      }
      case 'token': {
        if (s.token === null) return false;
        const value = asciiLower(node.value);
        const prefix = asciiLower(s.token.prefix);
        return (
          (s.token.sub !== undefined && asciiLower(s.token.sub).startsWith(value)) ||
          prefix.startsWith(value) ||
          (prefix.length > 0 && value.startsWith(prefix))
        );
      }
      case 'kind':
        return s.kind === node.value;
      case 'state':
        return s.state === node.value;
      case 'error':
        return node.name === null ? s.errors.length > 0 : s.errors.includes(node.name);
      case 'problem': {
        if (node.text === null) return s.problems.length > 0;
        const text = asciiLower(node.text);
        return s.problems.some((p) => asciiLower(p).includes(text));
      }
      case 'replay':
        return s.replayOf !== null && (node.of === null || s.replayOf === node.of);
      case 'rule':
        return node.name === null ? s.rules.length > 0 : s.rules.includes(node.name);
      case 'number': {
        const actual = node.field === 'status' ? s.status : node.field === 'size' ? s.requestSize + s.responseSize : s.durationMs;
        return actual !== null && node.tests.every((t) => compare(actual, t));
      }
      case 'dir':
        return this.context.frameDirections ? this.context.frameDirections.has(node.value) : s.frames > 0;
      case 'time': {
        const started = Date.parse(s.startedAt);
        const bound = timeBound(node, this.context.now ?? Date.now());
        return node.bound === 'since' ? started >= bound : started <= bound;
      }
      case 'text':
        return this.searchDocuments().some((doc) => containsPhrase(doc, node.tokens, node.prefix));
      case 'decoded': {
        const { path, test } = node;
        return (this.context.messages ?? []).some((message) =>
          valuesAt(message, path).some((value) => value !== null && (test === null || passesFieldTest(value, test))),
        );
      }
    }
  }

  private searchDocuments(): string[][] {
    if (this.documents === undefined) {
      const extra = this.context.text === undefined ? [] : typeof this.context.text === 'string' ? [this.context.text] : this.context.text;
      this.documents = [summarySearchText(this.summary), ...extra].map(searchTokens);
    }
    return this.documents;
  }
}

/** Whether `phrase` occurs as consecutive tokens of `doc`, the last one as a prefix if asked. */
function containsPhrase(doc: string[], phrase: string[], prefix: boolean): boolean {
  const last = phrase.length - 1;
  outer: for (let i = 0; i + last < doc.length; i++) {
    for (let j = 0; j < last; j++) {
      if (doc[i + j] !== phrase[j]) continue outer;
    }
    const tail = doc[i + last];
    if (prefix ? tail.startsWith(phrase[last]) : tail === phrase[last]) return true;
  }
  return false;
}
