// A HAR document written an entry at a time, so that memory holds little whatever the
// export's size, formatted to the byte as JSON.stringify(document, null, 1) formats the
// whole document: the log around the entries is that call's own output, and
// each entry is that call's output for it nested as deep as the entries stand.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Har, HarEntry } from './har.ts';

const MARK = '\u0000entries\u0000';
/** JSON.stringify puts each entry on its own line, three levels in: log, entries, the entry. */
const ENTRY_INDENT = '\n   ';
/** How JSON.stringify(value, null, 1) opens and closes an array nested three deep, around its elements. */
const [NESTED_OPEN, NESTED_CLOSE] = JSON.stringify([[[MARK]]], null, 1).split(`   ${JSON.stringify(MARK)}`);

/**
 * Output gathered before it is written: each entry is encoded into it as it comes and the
 * whole written in one call once full. A string per batch of entries, encoded at once, cost
 * V8 a copy of the whole batch into one flat string first (a third of the write).
 */
const GATHER_BYTES = 4 * 2 ** 20;

export class HarWriter {
  private readonly fd: number;
  private readonly tail: string;
  private entries = 0;
  private readonly gathered = Buffer.allocUnsafe(GATHER_BYTES);
  private used = 0;

  /** Opens `file` and writes what comes before the entries; `log` is everything in the log but them. */
  constructor(file: string, log: Omit<Har['log'], 'entries'>) {
    const document = JSON.stringify({ log: { version: log.version, creator: log.creator, entries: [MARK], ...(log._ca2 ? { _ca2: log._ca2 } : {}) } }, null, 1);
    const [head, tail] = document.split(`${ENTRY_INDENT}${JSON.stringify(MARK)}`);
    this.tail = tail;
    this.fd = openSync(file, 'w');
    this.put(head);
  }

  /** Writes the next entry. */
  write(entry: HarEntry): void {
    const nested = JSON.stringify([[[entry]]], null, 1);
    // Put apart: joined to the separator, the entry would be a cons string, which V8 copies into a flat one before encoding it.
    this.put(this.entries === 0 ? '\n' : ',\n');
    this.put(nested.slice(NESTED_OPEN.length, nested.length - NESTED_CLOSE.length));
    this.entries++;
  }

  /** Writes what follows the entries, and all that is still gathered. */
  end(): void {
    // No entries: JSON.stringify writes the empty array on one line.
    this.put(this.entries === 0 ? this.tail.replace(/^\n */, '') : this.tail);
    this.flush();
  }

  /** Closes the file, ended or not (the caller removes what an export stopped before the end). */
  close(): void {
    closeSync(this.fd);
  }

  private put(text: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    if (this.used + text.length * 3 > this.gathered.length) {
      this.flush();
      if (text.length * 3 > this.gathered.length) return this.writeAll(Buffer.from(text));
    }
    this.used += this.gathered.write(text, this.used);
  }

  private flush(): void {
    this.writeAll(this.gathered.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(bytes: Buffer): void {
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }
}
