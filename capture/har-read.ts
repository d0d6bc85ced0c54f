// A HAR file read entry by entry, so that a file larger than memory imports: the document
// is walked as far as `log.entries` (its other values are read whole and checked as
// JSON, then dropped), and each entry is handed over as JSON.parse makes it, read from
// the file as the iteration asks for it. Only the skeleton is walked here; every value
// in it goes through JSON.parse, so a file this accepts is one JSON.parse accepts.
//
// A pretty-printed file closes every entry on a line of its own, indented as the first
// one closed; no string can hold that line, since a JSON string holds no newline. So
// the entries up to the last such close in the next RUN_BYTES are parsed in one
// JSON.parse, with no walk through their bytes (a third of reading a HAR file). When
// that text does not parse as a list of values (the close found was not an entry's),
// the entries are walked one by one as before, which says where the file is wrong.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SourceError } from './source-error.ts';

/** Read at a time: a few entries of a large file, or all of a small one. */
const CHUNK = 1 << 20;
/**
 * The most bytes of entries parsed in one: 16-64 KB read the bench's HAR file in 1.4 s, a
 * third less than one entry at a time; runs of a whole megabyte took twice as long, most of
 * it in making their text.
 */
const RUN_BYTES = 1 << 16;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Where the string whose content starts at `from` closes, or -1 when its close is not in `buffer`. */
function closingQuote(buffer: Buffer, from: number): number {
  for (;;) {
    const quote = buffer.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let escapes = 0;
    while (buffer[quote - 1 - escapes] === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/**
 * closingQuote, its first bytes looked at here one by one: most strings of an entry are keys
 * and short values, for which the call into Buffer.indexOf cost more than the look itself.
 * After a backslash the byte escaped is passed over, so the quote found is one that closes.
 */
function closingQuoteNear(buffer: Buffer, from: number, end: number): number {
  const near = Math.min(end, from + 32);
  let at = from;
  while (at < near) {
    const c = buffer[at];
    if (c === QUOTE) return at;
    at += c === BACKSLASH ? 2 : 1;
  }
  return closingQuote(buffer, at);
}

export class HarReader {
  /** The file's size in bytes, and how many of them the reading has passed: for progress. */
  readonly size: number;
  /** What is read and not yet let go, at the start of `backing`. */
  private buffer = Buffer.alloc(0);
  private backing = Buffer.alloc(0);
  /** The file offset of buffer[0]. */
  private base = 0;
  /** Where the walk is, in buffer. */
  private at = 0;
  /** How the first entry closed ("\n" and its indent, "},"), once it closed on a line of its own; null while entries are walked one by one. */
  private entryClose: Buffer | null = null;
  /** False once a run of entries did not parse: the rest are walked. */
  private grouping = true;
  /** The start of the value being read, in buffer: kept when more is read. */
  private mark = -1;
  private eof = false;

  constructor(
    private readonly fd: number,
    /** How errors name the file. */
    readonly label: string,
  ) {
    this.size = fstatSync(fd).size;
  }

  /** Opens `file`; reading fails with a SourceError naming it. */
  static open(file: string): HarReader {
    try {
      return new HarReader(openSync(file, 'r'), file);
    } catch (err) {
      throw new SourceError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
  }

  get done(): number {
    return this.base + this.at;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The entries of log.entries, in order. Throws SourceError when the file is not JSON or has no log.entries. */
  *entries(): Generator<unknown> {
    let found = false;
    this.skipByteOrderMark();
    const document = this.peek() === 0x7b;
    if (document) this.at++;
    else this.value();
    for (const key of document ? this.members() : []) {
      if (key !== 'log' || this.peek() !== 0x7b) {
        this.value();
        continue;
      }
      this.expect(0x7b, '');
      for (const logKey of this.members()) {
        if (logKey !== 'entries' || this.peek() !== 0x5b) {
          this.value();
          continue;
        }
        if (found) throw new SourceError(`${this.label}: log.entries appears twice; keep one, nothing from this file was imported.`);
        found = true;
        this.expect(0x5b, '');
        if (this.peek() === 0x5d) {
          this.at++;
          continue;
        }
        for (;;) {
          const run = this.entryRun();
          if (run !== null) yield* run;
          else {
            yield this.value();
            this.learnEntryClose();
          }
          if (this.separator(0x5d)) break;
        }
      }
    }
    if (this.peek() !== -1) this.notJson('more follows the document');
    if (!found) throw new SourceError(`${this.label}: log.entries is missing, so this is not a HAR file; pass a .har file or a capture.`);
  }

  /**
   * The entries from the walk up to the last entry close in the next RUN_BYTES, parsed in one,
   * the walk then at the comma after them; null when there is no such close, or the text
   * up to it is not a list of values (see the top of this file).
   */
  private entryRun(): unknown[] | null {
    if (this.entryClose === null || !this.grouping) return null;
    if (this.peek() !== 0x7b) return null;
    if (this.buffer.length - this.at < RUN_BYTES) this.more();
    const found = this.buffer.subarray(this.at, this.at + RUN_BYTES).lastIndexOf(this.entryClose);
    if (found < 0) return null;
    const close = this.at + found;
    // Up to the closing brace, not the comma after it.
    const end = close + this.entryClose.length - 1;
    let run: unknown;
    try {
      run = JSON.parse(`[${this.buffer.toString('utf8', this.at, end)}]`);
    } catch {
      this.grouping = false;
      return null;
    }
    this.at = end;
    return run as unknown[];
  }

  /** After an entry is walked: how it closed, when it is an object that closed on a line of its own; else entries are walked one by one. */
  private learnEntryClose(): void {
    if (this.entryClose !== null || !this.grouping) return;
    let start = this.at - 1;
    if (this.buffer[start] !== 0x7d) {
      this.grouping = false;
      return;
    }
    while (start > 0 && (this.buffer[start - 1] === 0x20 || this.buffer[start - 1] === 0x09)) start--;
    if (this.buffer[start - 1] !== 0x0a) {
      this.grouping = false;
      return;
    }
    this.entryClose = Buffer.concat([this.buffer.subarray(start - 1, this.at), Buffer.from(',')]);
  }

  /** The keys of the object just opened, each with the walk at its value; the caller reads the value. */
  private *members(): Generator<string> {
    if (this.peek() === 0x7d) {
      this.at++;
      return;
    }
    for (;;) {
      if (this.peek() !== QUOTE) this.notJson('expected a key in quotes');
      const key = this.value();
      this.expect(0x3a, 'expected : after a key');
      this.peek();
      yield key as string;
      if (this.separator(0x7d)) return;
    }
  }

  /** After a value: true at the closing `close`, false at a comma. */
  private separator(close: number): boolean {
    const c = this.peek();
    this.at++;
    if (c === close) return true;
    if (c !== 0x2c) this.notJson(`expected , or ${String.fromCharCode(close)}`);
    return false;
  }

  /** The value at the walk, read whole and parsed. */
  private value(): unknown {
    this.peek();
    this.mark = this.at;
    const first = this.buffer[this.at];
    if (first === QUOTE) this.pastString();
    else if (first === 0x7b || first === 0x5b) this.pastNested();
    else this.pastScalar();
    const start = this.mark;
    this.mark = -1;
    try {
      return JSON.parse(this.buffer.toString('utf8', start, this.at));
    } catch (err) {
      throw this.notJsonError(`${(err as Error).message}, in the value at byte ${this.base + start}`);
    }
  }

  private pastString(): void {
    // Counted from the opening quote, which more() may move in the buffer.
    let searched = 1;
    for (;;) {
      const close = closingQuote(this.buffer, this.at + searched);
      if (close >= 0) {
        this.at = close + 1;
        return;
      }
      searched = this.buffer.length - this.at;
      if (!this.more()) this.notJson('a string runs to the end of the file');
    }
  }

  private pastNested(): void {
    let depth = 0;
    for (;;) {
      // Locals, not fields, in the loop over every byte of an entry: the walk was a third of a HAR import's reading.
      const buffer = this.buffer;
      const end = buffer.length;
      let at = this.at;
      while (at < end) {
        const c = buffer[at];
        if (c === QUOTE) {
          const close = closingQuoteNear(buffer, at + 1, end);
          if (close < 0) break;
          at = close + 1;
          continue;
        }
        at++;
        if (c === 0x7b || c === 0x5b) depth++;
        else if ((c === 0x7d || c === 0x5d) && --depth === 0) {
          this.at = at;
          return;
        }
      }
      this.at = at;
      // A string that runs past what is read: pastString reads on to its end.
      if (at < end) this.pastString();
      else if (!this.more()) this.notJson('the file ends inside a value');
    }
  }

  private pastScalar(): void {
    for (;;) {
      if (this.at >= this.buffer.length && !this.more()) return;
      const c = this.buffer[this.at];
      if (c === 0x2c || c === 0x7d || c === 0x5d || WHITESPACE.has(c)) return;
      this.at++;
    }
  }

  /** The next byte that is not whitespace, the walk at it; -1 at the end of the file. */
  private peek(): number {
    for (;;) {
      if (this.at >= this.buffer.length && !this.more()) return -1;
      const c = this.buffer[this.at];
      if (!WHITESPACE.has(c)) return c;
      this.at++;
    }
  }

  private expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.notJson(what);
    this.at++;
  }

  private skipByteOrderMark(): void {
    this.peek();
    if (this.buffer[0] === 0xef && this.buffer[1] === 0xbb && this.buffer[2] === 0xbf && this.base === 0) this.at = 3;
  }

  /** Reads on; what the walk has passed (before the value being read) is let go. Whether anything came. */
  private more(): boolean {
    if (this.eof) return false;
    const keep = this.mark >= 0 ? this.mark : this.at;
    const kept = this.buffer.length - keep;
    // What is kept moves to the front of the same memory, which grows only for an entry larger than it.
    const room = this.backing.length < kept + CHUNK ? Buffer.allocUnsafe(2 * (kept + CHUNK)) : this.backing;
    this.buffer.copy(room, 0, keep);
    this.backing = room;
    let read: number;
    try {
      read = readSync(this.fd, room, kept, CHUNK, this.base + this.buffer.length);
    } catch (err) {
      throw new SourceError(`${this.label}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
    this.buffer = room.subarray(0, kept + read);
    this.base += keep;
    this.at -= keep;
    if (this.mark >= 0) this.mark -= keep;
    if (read === 0) this.eof = true;
    return read > 0;
  }

  private notJson(what: string): never {
    const c = this.at < this.buffer.length ? JSON.stringify(String.fromCharCode(this.buffer[this.at])) : 'the end';
    throw this.notJsonError(`${what}; found ${c} at byte ${this.done}`);
  }

  private notJsonError(what: string): SourceError {
    return new SourceError(`${this.label}: not JSON (${what}); a HAR file is the JSON that "Save all as HAR" or an export writes.`);
  }
}
