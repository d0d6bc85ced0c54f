// Field-level differences between a recorded response and its replay, with paths in
// the JSON tree's notation ("billing.balances[1].amount_minor"). What changes on
// every call by design is left out: the trx, any value that is a token on both
// sides (a fresh JWT is not a regression), and the paths the user ignores.
// No Node imports: the inspector app uses it too.

import type { Difference, JsonValue } from '../model/types.ts';
import { childPath } from '../model/json-path.ts';
import { isJwt } from '../model/jwt.ts';
import { isIgnored, parseIgnorePath, type IgnorePath } from '../model/ignore-path.ts';

export type { Difference };

/** A value that is a token: a fresh JWT in place of another is not a regression. */
export function isJwtValue(value: JsonValue | undefined): value is string {
  return typeof value === 'string' && isJwt(value);
}

/** Always left out: the trx is fresh on every replay. */
const ALWAYS_IGNORED: IgnorePath[] = [['trx']];

/** Differences from `before` (recorded) to `after` (replayed), in tree order. */
export function diffJson(before: JsonValue | undefined, after: JsonValue | undefined, ignore: readonly string[] = []): Difference[] {
  const patterns = [...ALWAYS_IGNORED, ...ignore.map(parseIgnorePath)];
  const out: Difference[] = [];
  walk(before, after, '', [], patterns, out);
  return out;
}

function walk(before: JsonValue | undefined, after: JsonValue | undefined, path: string, segments: string[], ignore: IgnorePath[], out: Difference[]): void {
  if (segments.length > 0 && isIgnored(ignore, segments)) return;
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path, change: 'added', before: null, after: after! });
    return;
  }
  if (after === undefined) {
    out.push({ path, change: 'removed', before, after: null });
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(before[i], after[i], childPath(path, i, true), [...segments, `[${i}]`], ignore, out);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const key of keys) walk(before[key], after[key], childPath(path, key, false), [...segments, key], ignore, out);
    return;
  }
  if (before === after) return;
  if (isJwtValue(before) && isJwtValue(after)) return;
  out.push({ path, change: 'changed', before, after });
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
