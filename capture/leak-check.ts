// The fail-closed check run before an export is written: every string of the output, the
// bytes of every string that reads as base64, and every byte of a capture file, searched
// for every form of every original token (capture/token-forms.ts): as written,
// percent-encoded, in hex, and in base64 or base64url wherever it starts.

import { closeSync, openSync, readSync } from 'node:fs';
import type { TextSearch } from './text-search.ts';
import { formIndex, type FormIndex } from './token-forms.ts';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/**
 * Bytes are searched as latin-1 text in pieces of this size, so a file of any size fits in
 * a string, and in little memory: small enough that each piece is made in V8's young
 * generation, whose garbage is cheap. Pieces of 1 MiB were large objects, which only a
 * full collection frees, and checking a 100,000-exchange capture raised peak RSS by 50 MB.
 */
const PIECE = 64 * 1024;

export class LeakCheck {
  private readonly index: FormIndex | null;

  constructor(tokens: readonly string[]) {
    this.index = formIndex(tokens);
  }

  /** The first original token found in `value` (any JSON-like value, or bytes), in any form, or null. */
  find(value: unknown): string | null {
    if (this.index === null) return null;
    if (typeof value === 'string') return this.findInString(value);
    if (value instanceof Uint8Array) return this.findInBytes(value);
    if (Array.isArray(value)) {
      for (const item of value) {
        const found = this.find(item);
        if (found !== null) return found;
      }
      return null;
    }
    if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        const found = this.findInString(key) ?? this.find((value as Record<string, unknown>)[key]);
        if (found !== null) return found;
      }
    }
    return null;
  }

  findInBytes(bytes: Uint8Array): string | null {
    if (this.index === null) return null;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let start = 0; start < buffer.length; start += PIECE) {
      const piece = buffer.toString('latin1', start, Math.min(buffer.length, start + PIECE + this.index.longest));
      const found = this.search(piece, this.index.bytes);
      if (found !== null) return found;
    }
    return null;
  }

  /** findInBytes over a file, read a piece at a time. */
  findInFile(file: string): string | null {
    if (this.index === null) return null;
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(PIECE + this.index.longest);
      for (let start = 0; ; start += PIECE) {
        let read = 0;
        for (let got = -1; got !== 0 && read < buffer.length; read += got) got = readSync(fd, buffer, read, buffer.length - read, start + read);
        const found = this.search(buffer.toString('latin1', 0, read), this.index.bytes);
        if (found !== null) return found;
        if (read < buffer.length) return null;
      }
    } finally {
      closeSync(fd);
    }
  }

  private findInString(text: string): string | null {
    const { shortest } = this.index!;
    // Shorter than every form, as written or as the bytes its base64 holds: most keys and values.
    if (text.length < shortest) return null;
    const found = this.search(text, this.index!.text);
    if (found !== null) return found;
    if (Math.ceil((text.length * 3) / 4) >= shortest && BASE64.test(text)) return this.findInBytes(Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64'));
    return null;
  }

  private search(text: string, search: TextSearch): string | null {
    const found = search.next(text);
    return found ? this.index!.forms.get(found.text)!.token : null;
  }
}
