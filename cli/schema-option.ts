// How commands that read recordings pick their codec and open the file, with mistakes
// turned into usage errors: --proto when given, else the schema a capture file carries,
// else the bundled envelope.

import { existsSync } from 'node:fs';
import { codecForRecording, type Codec } from '../proto/codec.ts';
import { recordingCodec } from '../storage/capture-meta.ts';
import { Store } from '../storage/store.ts';
import { UserError } from '../model/user-error.ts';
import { recoverOrphanedJournal } from '../recorder/tap-journal.ts';

export function codecFor(protoPaths: string[], embedded: { bytes: Uint8Array; label: string } | null): Codec {
  return codecForRecording(protoPaths, embedded);
}

/** Opens an existing recording or capture with the codec it is read with. */
export function openRecording(db: string, protoPaths: string[]): { store: Store; codec: Codec } {
  // Opening would create an empty recording; a mistyped path deserves a sentence instead.
  if (!existsSync(db)) throw new UserError(`${db} does not exist; pass --db with the file the proxy recorded into.`);
  const codec = recordingCodec(db, protoPaths);
  const store = Store.open(db, { codec });
  recoverOrphanedJournal(store, codec, (line) => process.stderr.write(`ca2-inspector: ${line}\n`));
  return { store, codec };
}
