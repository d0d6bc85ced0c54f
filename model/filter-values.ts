// The values of the filter's keys that need reading: field: paths and comparisons,
// statuses, sizes, durations and times. Each throws a FilterError at the value's position.

import { FieldPathError, parseFieldPath, type PathSegment } from './field-path.ts';
import { FilterError } from './filter-error.ts';
import type { Word } from './filter-tokens.ts';
import type { Comparison, FieldOp, FilterNode, NumberTest } from './filter.ts';

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
export function parseField(word: Word, source: string): FilterNode {
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

export function parseStatus(value: string, at: number): NumberTest[] {
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

export function parseSize(value: string, at: number): NumberTest {
  return parseQuantity(value, at, 'size', sizeUnits, 'b', 'a size like >10kb, <512b or >=1.5mb');
}

export function parseDuration(value: string, at: number): NumberTest {
  return parseQuantity(value, at, 'dur', durationUnits, 'ms', 'a duration like >200ms or <1.5s');
}

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

export function parseTime(bound: 'since' | 'until', value: string, at: number): FilterNode {
  const relative = /^(\d+(?:\.\d+)?)([smhd])$/i.exec(value);
  if (relative) return { type: 'time', bound, agoMs: Number(relative[1]) * relativeUnits[relative[2].toLowerCase()] };
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new FilterError(at, `expected a time like 2024-05-01T10:00 or a relative one like 10m, 2h, 1d after "${bound}:"`);
  }
  return { type: 'time', bound, at: time };
}
