// Whether a JSON value fits what the encoder (proto/encoder.ts) must write: a number in a
// field's range, a decimal string for 64 bits, an enum name, base64 bytes, a map key. Each
// check gives the value in the form the writer takes, or reports one problem naming the
// path and what was expected, and gives null.

import type { JsonObject, JsonValue } from '../model/types.ts';
import { BOOL, STRING, type FieldPlan } from './plan.ts';

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const UINT32_MAX = 2 ** 32 - 1;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
export const DECIMAL = /^-?\d+$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** One per encoder: it keeps each enum's numbers by name once it has looked them up. */
export class ValueChecks {
  private readonly enumNumbers = new WeakMap<Map<number, string>, Map<string, number>>();

  constructor(private readonly problem: (path: string, reason: string) => void) {}

  integer(value: JsonValue, path: string, min: number, max: number, what: string): number | null {
    const n = typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim()) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      this.problem(path, `expected ${what}, got ${describe(value)}`);
      return null;
    }
    if (n < min || n > max) {
      this.problem(path, `${n} is out of range for ${what} (${min} to ${max})`);
      return null;
    }
    return n;
  }

  bigInteger(value: JsonValue, path: string, min: bigint, max: bigint, what: string): bigint | null {
    let n: bigint | null = null;
    if (typeof value === 'string' && DECIMAL.test(value.trim())) n = BigInt(value.trim());
    else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
    if (n === null) {
      this.problem(path, `expected ${what} (a number or a decimal string), got ${describe(value)}`);
      return null;
    }
    if (n < min || n > max) {
      this.problem(path, `${n} is out of range for ${what} (${min} to ${max})`);
      return null;
    }
    return n;
  }

  float(value: JsonValue, path: string): number | null {
    if (typeof value === 'number') return value;
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    this.problem(path, `expected a number, got ${describe(value)}`);
    return null;
  }

  enumValue(field: FieldPlan, value: JsonValue, path: string): number | null {
    const names = field.enumNames!;
    if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value;
    if (typeof value === 'string') {
      let numbers = this.enumNumbers.get(names);
      if (!numbers) {
        numbers = new Map();
        for (const [number, name] of names) numbers.set(name, number);
        this.enumNumbers.set(names, numbers);
      }
      const number = numbers.get(value);
      if (number !== undefined) return number;
      const known = [...numbers.keys()];
      this.problem(path, `"${value}" is not a value of this enum; use one of ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''} or a number`);
      return null;
    }
    this.problem(path, `expected an enum name or number, got ${describe(value)}`);
    return null;
  }

  base64(value: JsonValue, path: string): Uint8Array | null {
    if (typeof value !== 'string' || !BASE64.test(value)) {
      this.problem(path, `expected base64 bytes, got ${describe(value)}`);
      return null;
    }
    return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  }

  /** Map keys are strings in JSON; the key field's own kind decides what they must spell. */
  mapKey(key: FieldPlan, text: string, path: string): JsonValue {
    if (key.kind === STRING) return text;
    if (key.kind === BOOL) {
      if (text === 'true' || text === 'false') return text === 'true';
      this.problem(path, `map key "${text}" must be true or false`);
      return null;
    }
    return text;
  }
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value as a problem sentence names it: its JSON, cut short, or its shape. */
export function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? text.slice(0, 37) + '…' : text;
}
