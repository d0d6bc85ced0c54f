// Telling text from binary for bytes the schema does not describe, and reading
// UTF-8 strings fast (most ca2 strings are short ASCII).

/** Not valid UTF-8, or holds control characters other than tab, newline and carriage return. */
export const NOT_TEXT = 0;
/** Printable UTF-8 that also holds tabs or line breaks. */
export const TEXT_WITH_BREAKS = 1;
/** Printable UTF-8 with no control character at all. */
export const PLAIN_TEXT = 2;

export function classifyText(buf: Uint8Array, start: number, end: number): number {
  let result = PLAIN_TEXT;
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      if (b < 0x20 || b === 0x7f) {
        if (b === 0x09 || b === 0x0a || b === 0x0d) result = TEXT_WITH_BREAKS;
        else return NOT_TEXT;
      }
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return NOT_TEXT;
    }
    if (i + need >= end) return NOT_TEXT;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80) return NOT_TEXT;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates, out of range, and the C1 control block.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f)) return NOT_TEXT;
    i += need + 1;
  }
  return result;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const lossyDecoder = new TextDecoder('utf-8');

/** The string, or null when the bytes are not valid UTF-8. */
export function readUtf8(buf: Uint8Array, start: number, end: number): string | null {
  if (end - start < 48) {
    let out = '';
    for (let i = start; i < end; i++) {
      const b = buf[i];
      if (b >= 0x80) return decodeSlow(buf, start, end);
      out += String.fromCharCode(b);
    }
    return out;
  }
  return decodeSlow(buf, start, end);
}

function decodeSlow(buf: Uint8Array, start: number, end: number): string | null {
  try {
    return fatalDecoder.decode(buf.subarray(start, end));
  } catch {
    return null;
  }
}

export function readUtf8Lossy(buf: Uint8Array, start: number, end: number): string {
  return lossyDecoder.decode(buf.subarray(start, end));
}
