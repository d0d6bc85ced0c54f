// Field-level differences between two decoded messages, with paths in the JSON tree's
// notation ("billing.balances[1].amount_minor"). Between a recorded response and its
// replay, what changes on every call by design is left out: the trx, any value that is
// a token on both sides (a fresh JWT is not a regression), and the paths the user
// ignores. Between what a rule was given and what it sent on, every field counts.
// Shared by replay (replay/replayer.ts), the breakpoints (intercept/pauses.ts) and the
// inspector app, so it lives in model/: no Node imports.

import type { Difference, JsonValue } from './types.ts';
import { childPath } from './json-path.ts';
import { isJwt } from './jwt.ts';
import { isIgnored, parseIgnorePath, type IgnorePath } from './ignore-path.ts';

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
  walk(before, after, '', [], { ignore: patterns, freshTokens: true }, out);
  return out;
}

/** Every difference from `before` (as sent) to `after` (as a rule sent it on), trx and tokens included, in tree order. */
export function diffAll(before: JsonValue | undefined, after: JsonValue | undefined): Difference[] {
  const out: Difference[] = [];
  walk(before, after, '', [], { ignore: [], freshTokens: false }, out);
  return out;
}

interface Leaving {
  ignore: IgnorePath[];
  /** Whether a token in place of another token is left out. */
  freshTokens: boolean;
}

function walk(before: JsonValue | undefined, after: JsonValue | undefined, path: string, segments: string[], leaving: Leaving, out: Difference[]): void {
  if (segments.length > 0 && isIgnored(leaving.ignore, segments)) return;
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
    for (let i = 0; i < length; i++) walk(before[i], after[i], childPath(path, i, true), [...segments, `[${i}]`], leaving, out);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const key of keys) walk(before[key], after[key], childPath(path, key, false), [...segments, key], leaving, out);
    return;
  }
  if (before === after) return;
  if (leaving.freshTokens && isJwtValue(before) && isJwtValue(after)) return;
  out.push({ path, change: 'changed', before, after });
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
