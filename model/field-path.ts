// Field paths in the detail pane's notation ("billing.balances[0].amount_minor", "[*]" for
// every element): the one reading for the rules' set and delete (intercept/) and the filter's
// field: terms, so a path that selects a value in one selects it in the other. Strict where
// --ignore paths are lenient: a rule or a filter that names no field by mistake must say so.
// No Node imports: the inspector app uses the notation too.

import type { JsonValue } from './types.ts';
import { UserError } from './user-error.ts';

export type PathSegment = { key: string } | { index: number } | { every: true };

export class FieldPathError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** 0-based index into the path where the problem is, for a caller that marks it inside longer text. */
    readonly offset: number,
  ) {
    super(`field path "${path}": ${reason}`);
  }
}

const KEY = /^[A-Za-z0-9_]+/;

/** "a.b[2][*].c" → [{key a}, {key b}, {index 2}, {every}, {key c}]; throws FieldPathError naming what is wrong. */
export function parseFieldPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let at = 0;
  if (path === '') throw new FieldPathError(path, 'is empty; name a field, e.g. billing.balances[0].amount_minor', 0);
  while (at < path.length) {
    if (path[at] === '[') {
      const close = path.indexOf(']', at);
      if (close < 0) throw new FieldPathError(path, `"[" at ${at + 1} has no "]"`, at);
      const inside = path.slice(at + 1, close);
      if (inside === '*') segments.push({ every: true });
      else if (/^\d+$/.test(inside) && inside.length < 10) segments.push({ index: Number(inside) });
      else throw new FieldPathError(path, `"[${inside}]" at ${at + 1} is not an index: use [0], [1], … or [*]`, at);
      at = close + 1;
    } else {
      if (segments.length > 0) {
        if (path[at] !== '.') throw new FieldPathError(path, `expected "." or "[" at ${at + 1}, found "${path[at]}"`, at);
        at++;
      }
      const key = KEY.exec(path.slice(at));
      if (!key) throw new FieldPathError(path, `expected a field name at ${at + 1}`, at);
      segments.push({ key: key[0] });
      at += key[0].length;
    }
  }
  return segments;
}

export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if ('key' in s) out += out === '' ? s.key : `.${s.key}`;
    else if ('index' in s) out += `[${s.index}]`;
    else out += '[*]';
  }
  return out;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every value the path selects ([*] fans out); none when a step is missing. */
export function valuesAt(json: JsonValue, segments: readonly PathSegment[]): JsonValue[] {
  let current: JsonValue[] = [json];
  for (const s of segments) {
    const next: JsonValue[] = [];
    for (const value of current) {
      if ('key' in s) {
        if (isObject(value) && Object.hasOwn(value, s.key)) next.push(value[s.key]!);
      } else if (Array.isArray(value)) {
        if ('every' in s) next.push(...value);
        else if (s.index < value.length) next.push(value[s.index]!);
      }
    }
    current = next;
  }
  return current;
}

/**
 * Sets the value at the path, making the objects on the way (a rule may set a field the
 * message left out); [*] sets every element. Returns where it could not: an index past an
 * array's end, or a step through something that is not an object or array.
 */
export function setAt(json: JsonValue, segments: readonly PathSegment[], value: JsonValue): string | null {
  return walkToParents(json, segments, true, (parent, last) => {
    if ('key' in last) {
      if (!isObject(parent)) return 'is not inside a message';
      parent[last.key] = structuredClone(value);
    } else if (!Array.isArray(parent)) {
      return 'is not inside a list';
    } else if ('every' in last) {
      for (let i = 0; i < parent.length; i++) parent[i] = structuredClone(value);
    } else {
      if (last.index > parent.length) return `is past the end of a list of ${parent.length}`;
      parent[last.index] = structuredClone(value);
    }
    return null;
  });
}

/** Removes the value at the path ([*]: every element); a path that selects nothing changes nothing. */
export function deleteAt(json: JsonValue, segments: readonly PathSegment[]): void {
  walkToParents(json, segments, false, (parent, last) => {
    if ('key' in last) {
      if (isObject(parent)) delete parent[last.key];
    } else if (Array.isArray(parent)) {
      if ('every' in last) parent.length = 0;
      else if (last.index < parent.length) parent.splice(last.index, 1);
    }
    return null;
  });
}

function walkToParents(
  json: JsonValue,
  segments: readonly PathSegment[],
  make: boolean,
  act: (parent: JsonValue, last: PathSegment) => string | null,
): string | null {
  if (segments.length === 0) return 'names no field';
  let parents: JsonValue[] = [json];
  for (const s of segments.slice(0, -1)) {
    const next: JsonValue[] = [];
    for (const value of parents) {
      if ('key' in s) {
        if (!isObject(value)) continue;
        if (!Object.hasOwn(value, s.key) || value[s.key] === null) {
          if (!make) continue;
          value[s.key] = {};
        }
        next.push(value[s.key]!);
      } else if (Array.isArray(value)) {
        if ('every' in s) next.push(...value);
        else if (s.index < value.length) next.push(value[s.index]!);
      }
    }
    parents = next;
  }
  const last = segments[segments.length - 1]!;
  if (parents.length === 0 && make) return 'selects nothing in this message';
  for (const parent of parents) {
    const problem = act(parent, last);
    if (problem !== null) return problem;
  }
  return null;
}
