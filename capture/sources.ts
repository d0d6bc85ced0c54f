// Reading what `import` and `open` are given: a HAR file, or an SQLite file (a capture, or
// any recording). SQLite files are read through a snapshot in a temporary folder, so the
// original is never migrated or written.

import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../model/user-error.ts';
import { readCaptureMeta, snapshotDatabase, type CaptureMeta } from '../storage/capture-meta.ts';
import { createCodec, type Codec } from '../proto/codec.ts';
import { Store, StorageError } from '../storage/store.ts';
import { capturedFromDetail, type CapturedExchange } from './captured.ts';
import { HarError, parseHar } from './har-import.ts';
import { recoverOrphanedJournal } from '../recorder/tap-journal.ts';

const SQLITE_MAGIC = 'SQLite format 3\0';

export class SourceError extends UserError {}

export function isSqliteFile(file: string): boolean {
  return readHead(file, SQLITE_MAGIC.length) === SQLITE_MAGIC;
}

/** A snapshot of an SQLite source, opened as a store; remove() deletes it. */
export interface Snapshot {
  store: Store;
  /** Present for a capture file (this tool's export), absent for a plain recording. */
  /** What the store decodes with: the capture's own schema, or what the caller chose. */
  codec: Codec;
  capture: { meta: CaptureMeta; descriptorSet: Uint8Array } | null;
  remove(): void;
}

/** `codecOf` picks the codec the snapshot is read with, from the schema a capture carries. */
export function openSnapshot(file: string, codecOf: (descriptorSet: Uint8Array | null) => Codec = () => createCodec()): Snapshot {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-snapshot-'));
  const copy = join(dir, 'snapshot.sqlite');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unreadable = (err: unknown) => {
    remove();
    if (err instanceof StorageError) return new SourceError(err.message.split(copy).join(file));
    return new SourceError(`${file}: cannot be read as a recording (${(err as Error).message}); pass a .har file, a capture or a recording.`);
  };
  let capture: Snapshot['capture'];
  try {
    snapshotDatabase(file, copy);
    capture = readCaptureMeta(copy);
  } catch (err) {
    throw unreadable(err);
  }
  let codec: Codec;
  try {
    // A schema that does not load is the caller's to report, in its own words.
    codec = codecOf(capture?.descriptorSet ?? null);
  } catch (err) {
    remove();
    throw err;
  }
  try {
    const store = Store.open(copy, { codec });
    // A recording whose proxy was killed still has its last traffic journaled: imported too.
    recoverOrphanedJournal(store, codec, () => undefined);
    return { store, codec, capture, remove: () => (store.close(), remove()) };
  } catch (err) {
    throw unreadable(err);
  }
}

/** Every exchange of a source, oldest first, and the schema a capture carries. */
export function readSource(file: string): { exchanges: CapturedExchange[]; descriptorSet: Uint8Array | null } {
  let text: string;
  if (isSqliteFile(file)) {
    const snapshot = openSnapshot(file);
    try {
      return { exchanges: allExchanges(snapshot.store), descriptorSet: snapshot.capture?.descriptorSet ?? null };
    } finally {
      snapshot.remove();
    }
  }
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SourceError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  try {
    return { exchanges: parseHar(text, file), descriptorSet: null };
  } catch (err) {
    if (err instanceof HarError) throw new SourceError(err.message);
    throw err;
  }
}

/** Every exchange the filter selects, oldest first, as tapped objects. */
export function allExchanges(store: Store, filter?: string): CapturedExchange[] {
  const ids: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = store.listExchanges({ limit: 1000, before, filter });
    ids.push(...page.items.map((item) => item.id));
    if (page.next === null) break;
    before = page.next;
  }
  ids.reverse();
  return ids.map((id, index) => capturedFromDetail(store.getExchange(id)!, index, store.exchangeIdentity(id)!));
}

/** These exchanges, oldest first; an id with no exchange is an error naming it. */
export function selectedExchanges(store: Store, ids: readonly number[]): CapturedExchange[] {
  return [...new Set(ids)]
    .sort((a, b) => a - b)
    .map((id, index) => {
      const detail = store.getExchange(id);
      if (!detail) throw new SourceError(`No exchange has id ${id}; select rows that are stored.`, { status: 404 });
      return capturedFromDetail(detail, index, store.exchangeIdentity(id)!);
    });
}

function readHead(file: string, length: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
