// What the decoded-message editor (Edit and resend, the Paused panel) and the replay
// comparison need, without the DOM: the JSON as typed (checked as you type), a token's
// expiry, and the differences by path for the tree.

import type { Difference, JsonValue } from '../../../model/types.ts';
import { readJwt } from '../../../model/jwt.ts';

export type Edited = { ok: true; value: JsonValue } | { ok: false; error: string };

/** The editor's text as JSON, or what is wrong with it in a sentence; `noun` and `decoded` name what it holds. */
export function parseEdited(text: string, noun = 'request', decoded = 'ClientRequest'): Edited {
  try {
    const value = JSON.parse(text) as JsonValue;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: `The ${noun} must be a JSON object: the decoded ${decoded}.` };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: `Not JSON yet: ${(err as Error).message}` };
  }
}

export interface TokenExpiry {
  /** Seconds since the epoch. */
  exp: number;
  expired: boolean;
}

/** A JWT's exp, read without checking the signature; null for anything else. */
export function tokenExpiry(token: string, nowMs: number): TokenExpiry | null {
  const exp = readJwt(token)?.exp;
  if (typeof exp !== 'number') return null;
  return { exp, expired: exp * 1000 <= nowMs };
}

/** Each differing path of the replayed answer and how it changed, for the JSON tree to mark. */
export function diffMarks(diff: readonly Difference[]): ReadonlyMap<string, Difference['change']> {
  return new Map(diff.map((d) => [d.path, d.change]));
}

/** A value of a difference for one line of text. */
export function diffValue(value: JsonValue, present: boolean): string {
  if (!present) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) + '…' : text;
}
