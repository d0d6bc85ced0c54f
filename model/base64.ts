// What the REST API takes as base64: standard alphabet, padded to a multiple of 4
// characters. Buffer.from(text, 'base64') takes anything and drops what it cannot read,
// so "A" became 0 bytes sent on as an edit; checking first turns that into a sentence.
// No Node imports: the browser's editors may ask the same.

const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/** How base64 must be written, for the sentence that refuses it. */
export const BASE64_RULE = 'A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters';

export function isPaddedBase64(text: unknown): text is string {
  return typeof text === 'string' && text.length % 4 === 0 && ALPHABET.test(text);
}
