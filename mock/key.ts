// The key a ClientRequest is looked up by: its decoded JSON without what is fresh on
// every call (trx, field 1; token, field 2) and without the --ignore paths, serialised
// canonically (object keys sorted) so equal content gives an equal string whatever order
// the fields came in. Repeated fields keep their order: it is part of the content.

import { isIgnored, type IgnorePath } from '../model/ignore-path.ts';
import type { JsonObject, JsonValue } from '../model/types.ts';

/** Left out of every key: the trx is new on each call and a token expires. */
const FRESH_FIELDS = new Set(['trx', 'token']);


/** The request's content as matched: trx, token and ignored paths removed. */
export function normalizeRequest(json: JsonObject, patterns: readonly IgnorePath[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (FRESH_FIELDS.has(key)) continue;
    const kept = patterns.length === 0 ? value : without(value, [key], patterns);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function without(value: JsonValue, segments: string[], patterns: readonly IgnorePath[]): JsonValue | undefined {
  if (isIgnored(patterns, segments)) return undefined;
  if (Array.isArray(value)) {
    // An ignored entry stays as null so the entries after it keep their indexes.
    return value.map((v, i) => without(v, [...segments, `[${i}]`], patterns) ?? null);
  }
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      const kept = without(v, [...segments, key], patterns);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  }
  return value;
}

/** A canonical serialisation: JSON with every object's keys sorted. */
export function canonicalKey(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalKey(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
