// A HAR document written a batch of entries at a time, so that memory holds one batch
// whatever the export's size, formatted to the byte as JSON.stringify(document, null, 1)
// formats the whole document: the log around the entries is that call's own output, and
// each batch is that call's output for the batch nested as deep as the entries stand.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Har, HarEntry } from './har.ts';

const MARK = '\u0000entries\u0000';
/** JSON.stringify puts each entry on its own line, three levels in: log, entries, the entry. */
const ENTRY_INDENT = '\n   ';
/** How JSON.stringify(value, null, 1) opens and closes an array nested three deep, around its elements. */
const [NESTED_OPEN, NESTED_CLOSE] = JSON.stringify([[[MARK]]], null, 1).split(`   ${JSON.stringify(MARK)}`);

export class HarWriter {
  private readonly fd: number;
  private readonly tail: string;
  private entries = 0;
  /** Reused for every write: a new buffer each time costs more than the encoding. */
  private bytes = Buffer.alloc(0);

  /** Opens `file` and writes what comes before the entries; `log` is everything in the log but them. */
  constructor(file: string, log: Omit<Har['log'], 'entries'>) {
    const document = JSON.stringify({ log: { version: log.version, creator: log.creator, entries: [MARK], ...(log._ca2 ? { _ca2: log._ca2 } : {}) } }, null, 1);
    const [head, tail] = document.split(`${ENTRY_INDENT}${JSON.stringify(MARK)}`);
    this.tail = tail;
    this.fd = openSync(file, 'w');
    this.put(head);
  }

  /** Writes the next entries, in order. */
  write(entries: HarEntry[]): void {
    if (entries.length === 0) return;
    const nested = JSON.stringify([[entries]], null, 1);
    this.put((this.entries === 0 ? '\n' : ',\n') + nested.slice(NESTED_OPEN.length, nested.length - NESTED_CLOSE.length));
    this.entries += entries.length;
  }

  /** Writes what follows the entries. */
  end(): void {
    // No entries: JSON.stringify writes the empty array on one line.
    this.put(this.entries === 0 ? this.tail.replace(/^\n */, '') : this.tail);
  }

  /** Closes the file, ended or not (the caller removes what an export stopped before the end). */
  close(): void {
    closeSync(this.fd);
  }

  private put(text: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    if (this.bytes.length < text.length * 3) this.bytes = Buffer.allocUnsafe(text.length * 3);
    const length = this.bytes.write(text);
    for (let done = 0; done < length; ) done += writeSync(this.fd, this.bytes, done, length - done);
  }
}
