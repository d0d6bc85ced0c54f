// The recording's WAL is checkpointed by a connection of its own (storage/checkpoint.ts),
// never by the recorder's commits, which therefore never wait for the disk to sync; and
// the WAL still stays small while that connection checkpoints it.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WalCheckpointer } from '../../storage/checkpoint.ts';
import { Store } from '../../storage/store.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-'));
  file = path.join(dir, 'traffic.sqlite');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;
const walBytes = () => fs.statSync(`${file}-wal`).size;

/** 16 MB of journal rows, each committed on its own as the recorder commits its reads. */
function record(store: Store, between: () => void = () => {}): void {
  for (let i = 0; i < 64; i++) {
    store.putJournal(new Uint8Array(256 * 1024).fill(i), 1, { exchanges: 0, frames: 0 }, { first: 1, begins: 0, openFlows: [] });
    store.flush();
    between();
  }
}

describe('checkpointing the WAL elsewhere', () => {
  it('a store that checkpoints elsewhere never checkpoints on its commits', () => {
    const store = Store.open(file, { onError: () => {}, checkpointsElsewhere: true });
    try {
      record(store);
      assert.ok(walBytes() > 16 * MB, `the WAL holds every commit (${walBytes()} bytes)`);
    } finally {
      store.close();
    }
  });

  it('a store on its own checkpoints as SQLite does by default, every 1000 pages', () => {
    const store = Store.open(file, { onError: () => {} });
    try {
      record(store);
      assert.ok(walBytes() < 8 * MB, `the WAL was started over (${walBytes()} bytes)`);
    } finally {
      store.close();
    }
  });

  it('the checkpointer copies the WAL into the file while the store goes on writing, and the WAL stays small', () => {
    const store = Store.open(file, { onError: () => {}, checkpointsElsewhere: true });
    const checkpointer = WalCheckpointer.open(file);
    try {
      let copied = 0;
      record(store, () => {
        const result = checkpointer.step();
        assert.equal(result.copied, result.walFrames, 'every frame is copied: nobody else reads');
        copied += result.copied;
      });
      assert.ok(copied * 4096 > 16 * MB, 'what was written went through the checkpointer');
      assert.ok(walBytes() < 2 * MB, `each commit started the WAL over (${walBytes()} bytes)`);
    } finally {
      checkpointer.close();
      store.close();
    }
    // The last connection to close made the last checkpoint: the file stands alone.
    assert.equal(fs.existsSync(`${file}-wal`), false);
    const reread = Store.openReadOnly(file, { use: { flag: '--db', command: 'list', writes: false } });
    try {
      assert.equal(reread.stats().journaled, 64);
    } finally {
      reread.close();
    }
  });

  it('opening a file that is not there to checkpoint says so', () => {
    assert.throws(() => WalCheckpointer.open(path.join(dir, 'missing.sqlite')), /Could not open .*missing\.sqlite to checkpoint its WAL/);
  });
});
