// What the decoded-message editor (Edit and resend, the Paused panel) and the replay
// comparison need, without the DOM: the JSON as typed (its syntax checked here at once,
// its fit to the schema by the server a moment later), a token's expiry, and the
// differences by path for the tree.

import type { Difference, JsonValue, MessageCheckAnswer, MessageCheckRequest, MessageType } from '../../../model/types.ts';
import { countOf } from '../../../model/format.ts';
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

/** The server's check (POST /api/messages/check) of the editor's JSON as it is now. */
export type SchemaCheck =
  | { state: 'checking' }
  | { state: 'fits'; type: MessageType; bytes: number }
  | { state: 'unfit'; error: string }
  /** The server gave no verdict (it did not answer): the action's own answer will say whether the message fits. */
  | { state: 'unchecked'; error: string };

/** What to ask the server about the editor's JSON, encoded as `type` over the original bytes when given; null when it is not a JSON object yet. */
export function checkRequestOf(edited: Edited, type: MessageType, base64?: string): MessageCheckRequest | null {
  if (!edited.ok) return null;
  return base64 === undefined ? { type, json: edited.value } : { type, json: edited.value, base64 };
}

export function schemaCheckOf(type: MessageType, answer: MessageCheckAnswer): SchemaCheck {
  return answer.ok ? { state: 'fits', type, bytes: answer.bytes } : { state: 'unfit', error: answer.error };
}

/** Whether the editor's action may go: a JSON object that fits the schema, or that the server could not check (null: nothing to check). */
export function editorAllows(edited: Edited, check: SchemaCheck | null): boolean {
  return edited.ok && (check === null || check.state === 'fits' || check.state === 'unchecked');
}

/** The line under the editor: what is wrong with the text, or where its check is; null when there is nothing to say. */
export function editorStatus(edited: Edited, check: SchemaCheck | null): { state: 'syntax' | SchemaCheck['state']; text: string } | null {
  if (!edited.ok) return { state: 'syntax', text: edited.error };
  if (check === null) return null;
  switch (check.state) {
    case 'checking':
      return { state: 'checking', text: 'Checking against the schema…' };
    case 'fits':
      return { state: 'fits', text: `Fits ${check.type}: ${countOf(check.bytes, 'byte')}.` };
    case 'unfit':
      return { state: 'unfit', text: check.error };
    case 'unchecked':
      return { state: 'unchecked', text: `Not checked against the schema: ${check.error} Sending says whether it fits.` };
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
