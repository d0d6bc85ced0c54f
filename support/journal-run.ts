// The worker's side of a proxy run, driven by hand over a real ring, recorder, journal
// and SQLite file (what app/worker.ts does with each batch), and tap calls to feed
// it: for the journal's tests and the inspector's view of a journal being stored.

import Database from 'better-sqlite3';
import type { Codec } from '../proto/codec.ts';
import type { TappedFlow, TappedFrame } from '../proxy/tap.ts';
import { Recorder } from '../recorder/recorder.ts';
import { readRing, type ReadLimits } from '../recorder/read-ring.ts';
import { TapJournal, type TapJournalOptions } from '../recorder/tap-journal.ts';
import { createRing, RingReader, RingWriter } from '../recorder/tap-ring.ts';
import { headerListSql } from '../storage/header-pairs.ts';
import { Store } from '../storage/store.ts';

// ClientRequest { trx: "trx-0001", utils { ping {} } } as bytes: field 1 (trx), field 10 (utils).
const execBody = (n: number) => new Uint8Array([0x0a, 8, ...Buffer.from(`trx-${String(n).padStart(4, '0')}`), 0x52, 2, 0x0a, 0]);

export function exec(id: number): TappedFlow {
  return {
    id, source: 'live', kind: 'exec', startedAt: 1_800_000_000_000 + id, endedAt: 1_800_000_000_002 + id, clientAddress: '127.0.0.1:4000',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [['Content-Type', 'application/x-protobuf']], body: execBody(id), size: 14, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: [['Content-Type', 'application/x-protobuf']], body: new Uint8Array([0x0a, 8, ...Buffer.from(`trx-${String(id).padStart(4, '0')}`)]), size: 10, truncated: false },
    error: null,
  };
}

export const ws = (id: number): TappedFlow => ({
  ...exec(id),
  kind: 'ws',
  endedAt: null,
  request: { method: 'GET', path: '/ws', httpVersion: '1.1', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
  response: { status: 101, statusMessage: 'Switching Protocols', headers: [['Upgrade', 'websocket']], body: new Uint8Array(0), size: 0, truncated: false },
});
export const frame = (flowId: number, seq: number): TappedFrame => ({
  flowId, seq, direction: seq % 2 ? 'server' : 'client', at: 1_800_000_001_000 + seq, opcode: 2, body: new Uint8Array([0x12, 1, 0x41 + (seq % 26)]), size: 3, truncated: false,
});

/** The worker's side of a proxy run, driven by hand: a ring, and the recorder with its journal. */
export function journalRun(file: string, codec: Codec, options: Partial<TapJournalOptions> = {}) {
  const ring = createRing();
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const store = Store.open(file, { codec, recording: true, idleAfterMs: 60_000 });
  /** What the run found left in the file, as the proxy run does before it listens. */
  const recovered = TapJournal.recover(store, codec, () => undefined);
  const recorder = new Recorder(codec, store);
  const journal = new TapJournal(store, recorder, { log: () => undefined, idleAfterMs: 60_000, ...options });
  /** What worker.ts does until the ring is read: by default in journal rows of 3 calls. */
  const pump = (limits: ReadLimits = { journalRowCalls: 3 }) => {
    while (readRing({ reader, recorder, journal, store, log: () => undefined }, false, limits));
  };
  const rows = () => {
    const db = new Database(file, { readonly: true });
    try {
      return {
        exchanges: db.prepare('SELECT id, kind, trx, state, client_frames + server_frames AS frames FROM exchanges ORDER BY id').all() as { id: number; kind: string; trx: string | null; state: string; frames: number }[],
        frames: db.prepare('SELECT exchange_id, seq FROM frames ORDER BY rowid').all() as { exchange_id: number; seq: number }[],
        journaled: (db.prepare('SELECT count(*) AS n FROM tap_journal').get() as { n: number }).n,
      };
    } finally {
      db.close();
    }
  };
  const close = () => {
    journal.expandAll();
    journal.stop();
    recorder.stop();
    store.close();
  };
  return { file, writer, store, recorder, journal, recovered, pump, rows, close };
}

/** Every exchange (but `except`), body and frame as stored, for comparing two files column by column. */
export function everything(file: string, except = -1) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      // Header lists as their pairs: the ids of the pairs depend on the order each file first met them.
      exchanges: db
        .prepare(
          `SELECT e.*, b.*, ${['request_headers', 'response_headers', 'original_request_headers', 'original_response_headers'].map((c) => `${headerListSql(`b.${c}`)} AS ${c}`).join(', ')}
           FROM exchanges e JOIN exchange_bodies b ON b.id = e.id WHERE e.id <> ? ORDER BY e.id`,
        )
        .all(except),
      frames: db.prepare('SELECT * FROM frames ORDER BY exchange_id, seq').all(),
    };
  } finally {
    db.close();
  }
}


/**
 * A journal row's calls as another ca2-inspector wrote them: each with another version
 * byte, or with none (null), as before calls carried one (recorder/tap-codec.ts).
 */
export function otherVersion(records: Buffer, version: number | null): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < records.length; ) {
    const length = records.readUInt32LE(at);
    const rest = records.subarray(at + 5, at + 4 + length);
    const call = version === null ? rest : Buffer.concat([Buffer.from([version]), rest]);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(call.length);
    parts.push(head, call);
    at += 4 + length;
  }
  return Buffer.concat(parts);
}
