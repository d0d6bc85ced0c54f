// How commands that read recordings pick their codec and open the file, with mistakes
// turned into usage errors: --proto when given, else the schema a capture file carries,
// else the bundled envelope.

import { existsSync } from 'node:fs';
import { codecForRecording, SchemaError, type Codec } from '../proto/codec.ts';
import { recordingCodec } from '../storage/capture-meta.ts';
import { Store, StorageError } from '../storage/store.ts';
import { UsageError } from './usage-error.ts';
import { recoverOrphanedJournal } from '../recorder/tap-journal.ts';

export function codecFor(protoPaths: string[], embedded: { bytes: Uint8Array; label: string } | null): Codec {
  return asUsage(() => codecForRecording(protoPaths, embedded));
}

/** Opens an existing recording or capture with the codec it is read with. */
export function openRecording(db: string, protoPaths: string[]): { store: Store; codec: Codec } {
  // Opening would create an empty recording; a mistyped path deserves a sentence instead.
  if (!existsSync(db)) throw new UsageError(`${db} does not exist; pass --db with the file the proxy recorded into.`);
  const codec = asUsage(() => recordingCodec(db, protoPaths));
  const store = asUsage(() => Store.open(db, { codec }));
  asUsage(() => recoverOrphanedJournal(store, codec, (line) => process.stderr.write(`ca2-inspector: ${line}\n`)));
  return { store, codec };
}

function asUsage<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof SchemaError || err instanceof StorageError) throw new UsageError(err.message);
    throw err;
  }
}
