// Checkpointing a recording's WAL from a connection of its own, for a store opened with
// checkpointsElsewhere (storage/open.ts). A PASSIVE checkpoint copies what the WAL holds
// into the database file and syncs it without taking the write lock, so the recorder's
// commits go on meanwhile; once everything is copied, the recorder's next commit starts
// the WAL over from its beginning, so it stays small.

import Database from 'better-sqlite3';
import { StorageError } from './storage-error.ts';

/** What one checkpoint found: frames in the WAL, and how many of them are now in the database file. */
export interface CheckpointResult {
  walFrames: number;
  copied: number;
}

export class WalCheckpointer {
  private constructor(private readonly db: Database.Database) {}

  /** Opens a second connection to a recording a store already has open for writing. Throws StorageError. */
  static open(file: string): WalCheckpointer {
    try {
      return new WalCheckpointer(new Database(file, { fileMustExist: true }));
    } catch (err) {
      throw new StorageError(`Could not open ${file} to checkpoint its WAL: ${(err as Error).message}.`);
    }
  }

  /** One PASSIVE checkpoint. Throws what SQLite throws (a full disk, say); the next may succeed. */
  step(): CheckpointResult {
    const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return { walFrames: Math.max(0, row?.log ?? 0), copied: Math.max(0, row?.checkpointed ?? 0) };
  }

  close(): void {
    this.db.close();
  }
}
