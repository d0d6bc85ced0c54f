// Reading what `import`, `open`, `list`, `export`, `mock` and `replay` are given: a HAR
// file, or an SQLite file (a capture, or any recording). An SQLite file is a reader's
// input and is never written: storage/file-check.ts finds out what it is read-only, then
// it is read as it is, through a read-only connection, or, when it cannot be (an older
// version, a journal its killed run left), through a copy of its rows in a temporary
// folder, migrated and completed there.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureMeta, type CaptureMeta } from '../storage/capture-meta.ts';
import { codecForRecording, type Codec } from '../proto/codec.ts';
import { examine, isSqliteFile, type EmbeddedSchema, type FileUse } from '../storage/file-check.ts';
import { schemaVersion } from '../storage/migrations.ts';
import { copyRows } from '../storage/row-copy.ts';
import { impossibleValueIn, type ImpossibleValue } from '../storage/value-check.ts';
import { Store, StorageError } from '../storage/store.ts';
import type { Flow } from '../model/flow.ts';
import { harFlows } from './har-import.ts';
import { HarReader } from './har-read.ts';
import { RECORD_BATCH } from './record.ts';
import { SourceError } from './source-error.ts';
import { recoverOrphanedJournal } from '../recorder/tap-journal.ts';

/** A recording or capture opened to be read; close() closes it and removes any copy. */
export interface OpenedRecording {
  store: Store;
  /** What the store decodes with: --proto, else the schema the file keeps, else the bundled envelope. */
  codec: Codec;
  /** Present for a capture file (this tool's export), absent for a plain recording. */
  capture: { meta: CaptureMeta; descriptorSet: Uint8Array } | null;
  /** The schema the file keeps (a capture's embedded one, or what its recorder stored), if any. */
  schema: EmbeddedSchema | null;
  close(): void;
}

export interface ReadOptions {
  use: FileUse;
  /** --proto; none reads with the schema the file keeps. */
  protoPaths?: string[];
  /** Told, in a sentence, about a journal stored into rows in the copy. */
  notice?: (line: string) => void;
  /**
   * Reads the tap journal in the file as it is, if it can (whether it could): `list` lists
   * journaled exchanges from it. A journal its run left (`abandoned`) then needs no copy.
   */
  readJournal?: (store: Store, codec: Codec, abandoned: boolean) => boolean;
  /** SQLite's page cache for the file (or its copy), in bytes; else the store's default. */
  cacheBytes?: number;
}

/**
 * Opens a recording or capture for reading, never writing it. Throws StorageError (or
 * SchemaError for --proto) with a sentence fit for how the command named the file.
 */
export function openForReading(file: string, options: ReadOptions): OpenedRecording {
  const { use } = options;
  if (!existsSync(file)) {
    throw new StorageError(
      use.flag === null
        ? `${file} does not exist; ${use.command} a capture made by 'ca2-inspector export' or a recording.`
        : `${file} does not exist; pass ${use.flag} with the file the proxy recorded into.`,
    );
  }
  const facts = examine(file, use);
  if (facts.version === 0) {
    throw new StorageError(`${file} is empty: it holds no recording; ${use.flag === null ? `${use.command} a capture or a recording` : `pass ${use.flag} with the file the proxy recorded into`}.`);
  }
  const codec = codecForRecording(options.protoPaths ?? [], facts.schema && { bytes: facts.schema.descriptorSet, label: file, fingerprint: facts.schema.fingerprint });
  const capture = facts.capture ? readCaptureMeta(file) : null;
  if (facts.version === schemaVersion && (!facts.orphanedJournal || options.readJournal)) {
    const store = Store.openReadOnly(file, { codec, use, cacheBytes: options.cacheBytes });
    const inPlace = options.readJournal?.(store, codec, facts.orphanedJournal) ?? false;
    if (!facts.orphanedJournal || inPlace) return { store, codec, capture, schema: facts.schema, close: () => store.close() };
    store.close();
  }
  const dir = mkdtempSync(join(tmpdir(), 'ca2-read-'));
  const copy = join(dir, 'copy.sqlite');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const inFile = (message: string) => message.split(copy).join(file);
  try {
    copyRows(file, facts, copy, use);
    const store = Store.open(copy, { codec, use, cacheBytes: options.cacheBytes });
    try {
      recoverOrphanedJournal(store, codec, (line) => options.notice?.(inFile(line)));
    } catch (err) {
      store.close();
      throw err;
    }
    return { store, codec, capture, schema: facts.schema, close: () => (store.close(), remove()) };
  } catch (err) {
    remove();
    if (err instanceof StorageError) throw new StorageError(inFile(err.message));
    throw err;
  }
}

/** A file being imported: its exchanges, read one at a time as they are asked for. */
export interface Source {
  /** The schema the file keeps (a capture's embedded one, or what its recorder stored), if any. */
  descriptorSet: Uint8Array | null;
  /** Oldest first, once. One that cannot be read throws SourceError naming it. */
  flows: Iterable<Flow>;
  /** How many exchanges the file holds, where that is known before they are read (a recording). */
  total: number | null;
  /** How much of the file is read, from 0 to 1, where `total` is not known: a HAR file, by its bytes. */
  share?(): number;
  /**
   * For a recording or capture: the SQLite file its rows are read from (the file, or a
   * copy in a temporary folder until close()), for refuseImpossibleValues when the caller
   * checks its values.
   */
  rows: string | null;
  close(): void;
}

/**
 * Opens a HAR file, a capture or a recording to import. Throws SourceError with a sentence
 * naming the file: for a value no recording can hold too, unless `checkValues` is false and
 * the caller checks them (refuseImpossibleValues) before it takes any exchange.
 */
export function openSource(file: string, { checkValues = true }: { checkValues?: boolean } = {}): Source {
  if (!isSqliteFile(file)) {
    const reader = HarReader.open(file);
    return { descriptorSet: null, flows: harFlows(reader), total: null, share: () => (reader.size === 0 ? 1 : reader.done / reader.size), rows: null, close: () => reader.close() };
  }
  let source: OpenedRecording;
  try {
    source = openForReading(file, { use: importUse, cacheBytes: IMPORT_READ_CACHE_BYTES });
  } catch (err) {
    if (err instanceof StorageError) throw new SourceError(err.message);
    throw err;
  }
  try {
    if (checkValues) refuseImpossible(file, source.store.impossibleValue());
    const ids = source.store.exchangeIds({ order: 'oldest' });
    return {
      descriptorSet: source.schema?.descriptorSet ?? null,
      flows: namedFlows(source.store, ids),
      total: ids.length,
      rows: source.store.file,
      close: () => source.close(),
    };
  } catch (err) {
    source.close();
    throw err;
  }
}

const importUse: FileUse = { flag: null, command: 'import', writes: false };
/**
 * An import reads each exchange once, in id order: a page cache keeps little it reads again
 * but the b-trees' upper pages. The default 16 MB filled up with pages read once, beside the
 * writer's own cache, as much again of a 100,000-exchange capture import's peak RSS.
 */
const IMPORT_READ_CACHE_BYTES = 2 * 2 ** 20;

/**
 * Whether openSource reads `file`'s rows where they are (a recording or capture of this
 * version that no killed run left a journal in), so that its values can be checked
 * (refuseImpossibleValues) before it is opened. False for anything else, and for a file
 * that cannot be examined: opening it says why, in the sentence it always has.
 */
export function readsInPlace(file: string): boolean {
  try {
    if (!isSqliteFile(file)) return false;
    const facts = examine(file, importUse);
    return facts.version === schemaVersion && !facts.orphanedJournal;
  } catch {
    return false;
  }
}

/**
 * Refuses the recording or capture `file`, whose rows `rows` holds (Source.rows), when it has
 * a value no recording can hold: SourceError, naming the exchange.
 */
export function refuseImpossibleValues(file: string, rows: string): void {
  refuseImpossible(file, impossibleValueIn(rows, importUse));
}

function refuseImpossible(file: string, bad: ImpossibleValue | null): void {
  if (bad) {
    throw new SourceError(
      `${file}: exchange ${bad.exchangeId} has ${bad.column} ${JSON.stringify(bad.value) ?? String(bad.value)}, not ${bad.expected}; nothing from this file was imported.`,
    );
  }
}

/**
 * The ids of the exchanges an export or a replay takes, oldest first: those the filter
 * selects (all without one), or the chosen ids, of which one that is not stored is an
 * error naming it.
 */
export function selectIds(store: Store, selection: { filter?: string; ids?: readonly number[] }): number[] {
  const ids = store.exchangeIds({ filter: selection.filter, ids: selection.ids, order: 'oldest' });
  const found = new Set(ids);
  const missing = selection.ids?.find((id) => !found.has(id));
  if (missing !== undefined) throw new SourceError(`No exchange has id ${missing}; select rows that are stored.`, { status: 404 });
  return ids;
}

/** The exchanges of `ids`, read a batch at a time (one read transaction each), each with the name an export gives it. */
export function* namedFlows(store: Store, ids: readonly number[]): Generator<Flow> {
  for (let from = 0; from < ids.length; from += RECORD_BATCH) {
    yield* store.reading(() => store.namedFlows(ids.slice(from, from + RECORD_BATCH)));
  }
}
