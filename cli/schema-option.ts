// How commands that read recordings pick their codec and open the file, with mistakes
// turned into usage errors: --proto when given, else the schema the file keeps (a
// capture's embedded one, or the one its proxy recorded with), else the bundled envelope.
// The file is only read (capture/sources.ts).

import { codecForRecording, type Codec } from '../proto/codec.ts';
import { openForReading, type OpenedRecording, type ReadOptions } from '../capture/sources.ts';

export function codecFor(protoPaths: string[], embedded: { bytes: Uint8Array; label: string; fingerprint?: string | null } | null): Codec {
  return codecForRecording(protoPaths, embedded);
}

/** Opens an existing recording or capture, named by --db of `command`, to read; close() when done. */
export function openRecording(db: string, protoPaths: string[], command: string, readJournal?: ReadOptions['readJournal']): OpenedRecording {
  return openForReading(db, {
    use: { flag: '--db', command, writes: false },
    protoPaths,
    notice: (line) => process.stderr.write(`ca2-inspector: ${line}\n`),
    readJournal,
  });
}
