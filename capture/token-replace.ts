// Finding learned tokens and JWTs in text and putting their placeholders in
// (capture/placeholders.ts), in whatever form each token takes there
// (capture/token-forms.ts): as written, percent-encoded, in hex, or inside base64, whose
// surrounding bytes are decoded, patched and encoded again so they stay as they were.

import { isJwt } from '../model/jwt.ts';
import type { Placeholders } from './placeholders.ts';
import type { TokenForm } from './token-forms.ts';

/** A JWT anywhere in text: three base64url parts, the header's starting as `{"` does. */
export const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export interface ReplaceOptions {
  /** `text` is a latin-1 view of bytes: tokens are searched in their byte forms. */
  bytes: boolean;
  /** Each token becomes a placeholder of its own length. */
  sameLength: boolean;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Every form of every learned token, and every JWT, replaced in one pass over `text`, so
 * a placeholder put in is never searched again. A second pass finds what overlapped a
 * replacement (two tokens side by side in base64) or sat in the claims a JWT placeholder
 * keeps. `tally` is told of each placeholder put in, and gives it back.
 */
export function replaceTokens(text: string, placeholders: Placeholders, options: ReplaceOptions, tally: (placeholder: string) => string): string {
  let out = replacePass(text, placeholders, options, tally, true);
  // A text the first pass left as it was has nothing a second could find.
  if (out === text) return out;
  for (let pass = 0; pass < 3; pass++) {
    const next = replacePass(out, placeholders, options, tally, false);
    if (next === out) break;
    out = next;
  }
  return out;
}

function replacePass(text: string, placeholders: Placeholders, { bytes, sameLength }: ReplaceOptions, tally: (placeholder: string) => string, jwts: boolean): string {
  const edits: Edit[] = [];
  const patterns = placeholders.forms();
  if (patterns) {
    for (const match of (bytes ? patterns.bytes : patterns.text).matches(text)) {
      const edit = formEdit(text, match.index, match.text, patterns.forms.get(match.text)!, placeholders, sameLength);
      if (edit) edits.push(edit);
    }
  }
  if (jwts) {
    for (const match of text.matchAll(JWT)) {
      const jwt = match[0];
      if (!isJwt(jwt) || placeholders.isPlaceholder(jwt)) continue;
      edits.push({ start: match.index!, end: match.index! + jwt.length, text: sameLength ? placeholders.sameLengthOf(jwt) : placeholders.of(jwt) });
    }
  }
  if (edits.length === 0) return text;
  edits.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  for (const edit of edits) {
    if (edit.start < pos) continue;
    out += text.slice(pos, edit.start) + tally(edit.text);
    pos = edit.end;
  }
  return out + text.slice(pos);
}

/** The replacement for one form found at `at`; null for base64 whose surroundings do not decode to the token. */
function formEdit(text: string, at: number, found: string, { token, form }: { token: string; form: TokenForm }, placeholders: Placeholders, sameLength: boolean): Edit | null {
  const end = at + found.length;
  switch (form.kind) {
    case 'plain':
      return { start: at, end, text: sameLength ? placeholders.sameLengthOf(token) : placeholders.of(token) };
    case 'percent':
      return { start: at, end, text: encodeURIComponent(sameLength ? placeholders.sameLengthOf(token) : placeholders.of(token)) };
    case 'hex': {
      const hex = Buffer.from(placeholders.sameLengthOf(token)).toString('hex');
      return { start: at, end, text: found === found.toLowerCase() ? hex : hex.toUpperCase() };
    }
    case 'base64':
      return base64Edit(text, at, token, form, placeholders);
  }
}

/**
 * The whole 4-character groups around a base64 form, decoded, the token's bytes swapped for
 * a placeholder of the same length, and encoded again in the same alphabet: every byte
 * around it, and the length of the text, stay as they were.
 */
function base64Edit(text: string, at: number, token: string, form: TokenForm, placeholders: Placeholders): Edit | null {
  const start = at - form.lead;
  if (start < 0) return null;
  const original = Buffer.from(token);
  const groups = Math.ceil((form.offset + original.length) / 3) * 4;
  let end = start;
  while (end < text.length && end - start < groups && /[A-Za-z0-9+/_=-]/.test(text[end])) end++;
  const window = text.slice(start, end);
  const unpadded = window.replace(/=+$/, '');
  const decoded = Buffer.from(unpadded, 'base64');
  if (!decoded.subarray(form.offset, form.offset + original.length).equals(original)) return null;
  Buffer.from(placeholders.sameLengthOf(token)).copy(decoded, form.offset);
  const url = base64urlAround(text, start, end);
  const encoded = decoded.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
  if (encoded.length !== unpadded.length) return null;
  return { start, end, text: encoded + window.slice(unpadded.length) };
}

/** Whether the base64 text around [start, end) uses the URL-safe alphabet. */
function base64urlAround(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && /[A-Za-z0-9+/_-]/.test(text[from - 1])) from--;
  while (to < text.length && /[A-Za-z0-9+/_-]/.test(text[to])) to++;
  const run = text.slice(from, to);
  return /[-_]/.test(run) && !/[+/]/.test(run);
}
