// The key a ClientRequest is looked up by: its decoded JSON without what is fresh on
// every call (trx, field 1; token, field 2) and without the --ignore paths, serialised
// canonically (object keys sorted) so equal content gives an equal string whatever order
// the fields came in. Repeated fields keep their order: it is part of the content.

import type { JsonObject, JsonValue } from '../model/types.ts';

/** Left out of every key: the trx is new on each call and a token expires. */
const FRESH_FIELDS = new Set(['trx', 'token']);

/** Segments of an --ignore path: keys, [n] indexes, and * (any key or index) or [*] (any index). */
export type IgnorePattern = string[];

/** "billing.balances[*].updated_at_ms" → ["billing", "balances", "[*]", "updated_at_ms"], the JSON tree's notation. */
export function parseIgnore(path: string): IgnorePattern {
  return path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
}

function segmentMatches(pattern: string, segment: string): boolean {
  return pattern === segment || pattern === '*' || (pattern === '[*]' && segment.startsWith('['));
}

/** Whether the value at `segments` is ignored: the pattern names it or one of its ancestors. */
function ignored(patterns: readonly IgnorePattern[], segments: readonly string[]): boolean {
  return patterns.some((p) => p.length <= segments.length && p.every((s, i) => segmentMatches(s, segments[i])));
}

/** The request's content as matched: trx, token and ignored paths removed. */
export function normalizeRequest(json: JsonObject, patterns: readonly IgnorePattern[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (FRESH_FIELDS.has(key)) continue;
    const kept = patterns.length === 0 ? value : without(value, [key], patterns);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function without(value: JsonValue, segments: string[], patterns: readonly IgnorePattern[]): JsonValue | undefined {
  if (ignored(patterns, segments)) return undefined;
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
