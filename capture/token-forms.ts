// The forms a learned token takes in an export: as written, percent-encoded, in hex (either
// case), and in base64 and base64url at each of the three places it can start within a
// 3-byte group, so that it is found inside a longer base64 text as well as alone. The
// redactor replaces every form it finds (capture/token-replace.ts); the fail-closed check looks
// for every form (capture/leak-check.ts).

import { TextSearch } from './text-search.ts';

export type FormKind = 'plain' | 'percent' | 'hex' | 'base64';

export interface TokenForm {
  kind: FormKind;
  /** What to search for: ASCII, except a plain token's own characters. */
  text: string;
  /** base64: how many bytes of the 3-byte group come before the token (0, 1 or 2). */
  offset: number;
  /** base64: how many characters before `text` still encode bytes of that group. */
  lead: number;
}

/** Every form of `token`, each text once. */
export function tokenForms(token: string): TokenForm[] {
  const bytes = Buffer.from(token);
  const forms: TokenForm[] = [{ kind: 'plain', text: token, offset: 0, lead: 0 }];
  const add = (kind: FormKind, text: string, offset = 0, lead = 0) => {
    if (text.length > 0 && !forms.some((f) => f.text === text)) forms.push({ kind, text, offset, lead });
  };
  add('percent', encodeURIComponent(token));
  add('hex', bytes.toString('hex'));
  add('hex', bytes.toString('hex').toUpperCase());
  for (let offset = 0; offset < 3; offset++) {
    // Only the characters whose 6 bits all come from the token are the same whatever surrounds it.
    const first = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    add('base64', padded.toString('base64').slice(first, end), offset, first);
    add('base64', padded.toString('base64url').slice(first, end), offset, first);
  }
  return forms;
}

/** Every form of some tokens as one search, in JS text and in a latin-1 view of bytes, and what each found text is. */
export interface FormIndex {
  text: TextSearch;
  bytes: TextSearch;
  forms: Map<string, { token: string; form: TokenForm }>;
  /** The longest form: a search in pieces overlaps them by this much. */
  longest: number;
  /** The shortest form, as text or as bytes: nothing shorter can hold one. */
  shortest: number;
}

export function formIndex(tokens: readonly string[]): FormIndex | null {
  if (tokens.length === 0) return null;
  const forms = new Map<string, { token: string; form: TokenForm }>();
  const textForms: string[] = [];
  const bytesForms: string[] = [];
  for (const token of tokens) {
    for (const form of tokenForms(token)) {
      const asBytes = form.kind === 'plain' ? Buffer.from(token).toString('latin1') : form.text;
      textForms.push(form.text);
      bytesForms.push(asBytes);
      for (const key of [form.text, asBytes]) if (!forms.has(key)) forms.set(key, { token, form });
    }
  }
  const lengths = [...textForms, ...bytesForms].map((f) => f.length);
  return { text: new TextSearch(textForms), bytes: new TextSearch(bytesForms), forms, longest: Math.max(...lengths), shortest: Math.min(...lengths) };
}
