// Telling text from binary for bytes the schema does not describe, and reading
// UTF-8 strings fast (most ca2 strings are short ASCII).

import type { BufferSlices } from './scalars.ts';

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
    i = sequenceEnd(buf, i, end, true);
    if (i < 0) return NOT_TEXT;
  }
  return result;
}

/** The string, or null when the bytes are not valid UTF-8. */
export function readUtf8(buf: Buffer, start: number, end: number): string | null {
  let i = start;
  if (end - start <= SHORT) {
    const text = shortAscii(buf, start, end - start);
    if (text !== null) return text;
  } else {
    while (i < end && buf[i] < 0x80) i++;
    if (i === end) return (buf as Buffer & BufferSlices).latin1Slice(start, end);
  }
  while (i < end) {
    if (buf[i] < 0x80) i++;
    else {
      i = sequenceEnd(buf, i, end, false);
      if (i < 0) return null;
    }
  }
  return (buf as Buffer & BufferSlices).utf8Slice(start, end);
}

/** Whether the bytes are valid UTF-8: readUtf8 without making the string. */
export function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  // Nearly always ASCII: eight bytes OR-ed at a time cost a third less than a test per byte.
  let any = 0;
  let i = start;
  for (; i + 8 <= end; i += 8) any |= buf[i] | buf[i + 1] | buf[i + 2] | buf[i + 3] | buf[i + 4] | buf[i + 5] | buf[i + 6] | buf[i + 7];
  for (; i < end; i++) any |= buf[i];
  if (any < 0x80) return true;
  i = start;
  while (i < end) {
    if (buf[i] < 0x80) i++;
    else {
      i = sequenceEnd(buf, i, end, false);
      if (i < 0) return false;
    }
  }
  return true;
}

/** Whether plainText would give a string for the bytes, without making it. */
export function isPlainText(buf: Uint8Array, start: number, end: number): boolean {
  // Printable ASCII (0x20 to 0x7e) eight bytes at a time, as shortPrintable tests it: c - 32 is negative below, c + 1 reaches 0x80 above.
  let any = 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const c0 = buf[i], c1 = buf[i + 1], c2 = buf[i + 2], c3 = buf[i + 3], c4 = buf[i + 4], c5 = buf[i + 5], c6 = buf[i + 6], c7 = buf[i + 7];
    any |= (c0 - 32) | (c0 + 1) | (c1 - 32) | (c1 + 1) | (c2 - 32) | (c2 + 1) | (c3 - 32) | (c3 + 1) | (c4 - 32) | (c4 + 1) | (c5 - 32) | (c5 + 1) | (c6 - 32) | (c6 + 1) | (c7 - 32) | (c7 + 1);
  }
  for (; i < end; i++) any |= (buf[i] - 32) | (buf[i] + 1);
  if ((any & -128) === 0) return true;
  return classifyText(buf, start, end) === PLAIN_TEXT;
}

/** The string of bytes that are printable text (no control character at all), or null when they are anything else. */
export function plainText(buf: Buffer, start: number, end: number): string | null {
  // A message's first byte is mostly a tag below 0x20: out before reading the rest.
  if (end - start <= SHORT && (start === end || buf[start] >= 0x20)) {
    const text = shortPrintable(buf, start, end - start);
    if (text !== null) return text;
  }
  let i = start;
  for (; i < end; i++) {
    const b = buf[i];
    if (b < 0x20 || b === 0x7f) return null;
    if (b >= 0x80) break;
  }
  if (i === end) return asciiText(buf, start, end);
  return classifyText(buf, i, end) === PLAIN_TEXT ? (buf as Buffer & BufferSlices).utf8Slice(start, end) : null;
}

/** Bytes known to be ASCII, as a string. */
export function asciiText(buf: Buffer, start: number, end: number): string {
  return end - start <= SHORT ? shortAscii(buf, start, end - start)! : (buf as Buffer & BufferSlices).latin1Slice(start, end);
}

/**
 * Up to this many bytes are read in one fromCharCode call: its cost is mostly per call,
 * and up to about 24 arguments one call is cheaper than the fixed cost of a Buffer
 * method (two calls joined would make a cons string of 13 or more).
 */
const SHORT = 24;

type ShortReader = (b: Uint8Array, s: number, length: number) => string | null;

/**
 * Up to SHORT bytes as a string in one fromCharCode call with one argument per byte, when
 * every byte passes `test` (an expression over the byte values c0, c1, ...), else null.
 * The test is a few operations a byte without a branch, in place of a scan of its own.
 */
function shortReader(name: string, test: (values: string[]) => string): ShortReader {
  const cases = Array.from({ length: SHORT + 1 }, (_, n) => {
    if (n === 0) return "    case 0: return '';";
    const values = Array.from({ length: n }, (_, i) => `c${i}`);
    return `    case ${n}: { const ${values.map((v, i) => `${v} = b[s + ${i}]`).join(', ')}; return ${test(values)} ? fromCharCode(${values.join(', ')}) : null; }`;
  });
  return new Function('fromCharCode', `return function ${name}(b, s, length) {\n  switch (length) {\n${cases.join('\n')}\n  }\n};`)(String.fromCharCode) as ShortReader;
}

/** ASCII bytes as a string, else null. */
const shortAscii = shortReader('shortAscii', (c) => `(${c.join(' | ')}) < 0x80`);
/** Printable ASCII bytes (0x20 to 0x7e) as a string, else null: c - 32 is negative below, c + 1 reaches 0x80 above. */
const shortPrintable = shortReader('shortPrintable', (c) => `((${c.map((v) => `(${v} - 32) | (${v} + 1)`).join(' | ')}) & -128) === 0`);

/** Invalid sequences become U+FFFD. */
export function readUtf8Lossy(buf: Buffer, start: number, end: number): string {
  return (buf as Buffer & BufferSlices).utf8Slice(start, end);
}

/**
 * The offset after the multi-byte UTF-8 sequence starting at i, or -1 when it
 * is invalid (overlong, surrogate, out of range, cut short) or, with rejectC1,
 * a C1 control character.
 */
function sequenceEnd(buf: Uint8Array, i: number, end: number, rejectC1: boolean): number {
  const b = buf[i];
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
    return -1;
  }
  if (i + need >= end) return -1;
  for (let k = 1; k <= need; k++) {
    const c = buf[i + k];
    if ((c & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return -1;
  if (rejectC1 && cp <= 0x9f) return -1;
  return i + need + 1;
}
