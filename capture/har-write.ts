// A HAR document written entry by entry, so that memory holds one entry whatever the
// export's size, formatted to the byte as JSON.stringify(document, null, 1) formats the
// whole document: the log around the entries is that call's own output, and each entry is
// that call's output for the entry, indented to where it stands.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Har, HarEntry } from './har.ts';

/** Entries are gathered into writes of about this many characters. */
const WRITE_SIZE = 1 << 20;
/** JSON.stringify puts each entry on its own line, three levels in: log, entries, the entry. */
const ENTRY_INDENT = '\n   ';

export class HarWriter {
  private readonly fd: number;
  private readonly tail: string;
  private pending: string;
  private entries = 0;

  /** Opens `file` and writes what comes before the entries; `log` is everything in the log but them. */
  constructor(file: string, log: Omit<Har['log'], 'entries'>) {
    const mark = '\u0000entries\u0000';
    const document = JSON.stringify({ log: { version: log.version, creator: log.creator, entries: [mark], ...(log._ca2 ? { _ca2: log._ca2 } : {}) } }, null, 1);
    const [head, tail] = document.split(`${ENTRY_INDENT}${JSON.stringify(mark)}`);
    this.tail = tail;
    this.pending = head;
    this.fd = openSync(file, 'w');
  }

  entry(entry: HarEntry): void {
    this.pending += (this.entries++ === 0 ? '' : ',') + ENTRY_INDENT + JSON.stringify(entry, null, 1).replaceAll('\n', ENTRY_INDENT);
    if (this.pending.length >= WRITE_SIZE) this.write();
  }

  /** Writes what follows the entries. */
  end(): void {
    // No entries: JSON.stringify writes the empty array on one line.
    this.pending = this.entries === 0 ? this.pending + this.tail.replace(/^\n */, '') : this.pending + this.tail;
    this.write();
  }

  /** Closes the file, ended or not (the caller removes what an export stopped before the end). */
  close(): void {
    closeSync(this.fd);
  }

  private write(): void {
    const bytes = Buffer.from(this.pending);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
    this.pending = '';
  }
}
