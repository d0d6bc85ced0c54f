import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { FilterError } from '../../model/filter-error.ts';
import { createCodec } from '../../proto/codec.ts';
import { createRing, RingReader, RingWriter } from '../../recorder/tap-ring.ts';
import { flowHead, type FrameFields, type HeadFields } from '../../support/flow-head.ts';
import { summaryOf } from '../../storage/views.ts';
import { StorageError, Store, type StoreOptions } from '../../storage/store.ts';
import { sampleTraffic } from '../../support/sample-traffic.ts';

let dir: string;
let file: string;
const open: Store[] = [];
const others: Database.Database[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  file = path.join(dir, 'traffic.db');
});

afterEach(() => {
  for (const db of others.splice(0)) if (db.open) db.close();
  for (const store of open.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function openStore(options: StoreOptions = {}): Store {
  const store = Store.open(file, { onError: () => {}, ...options });
  open.push(store);
  return store;
}

/** Another connection to the same file, as a second program would have. */
function otherConnection(): Database.Database {
  const db = new Database(file);
  others.push(db);
  return db;
}

function countRows(db: Database.Database): number {
  return (db.prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n;
}

const codec = createCodec();
const utf8 = (text: string) => [...new TextEncoder().encode(text)];
/** A ClientRequest with trx 0102 and the token web-01. */
const requestBytes = new Uint8Array([0x0a, 0x02, 0x01, 0x02, 0x12, 6, ...utf8('web-01')]);
/** A ServerResponse with trx 0102. */
const responseBytes = new Uint8Array([0x0a, 0x02, 0x01, 0x02]);

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), 'condition not reached within 5 s');
}

function exec(id: number, overrides: Partial<HeadFields> = {}): HeadFields {
  return {
    id,
    kind: 'exec',
    startedAt: 1_768_478_400_000.25 + id,
    endedAt: 1_768_478_400_120.75 + id,
    method: 'POST',
    path: '/exec',
    status: 200,
    service: 'instances',
    operation: 'create',
    trx: `3f2a9c1e-0000-4000-8000-${String(id).padStart(12, '0')}`,
    errors: [],
    token: { sub: 'alice', prefix: 'eyJhbGciOi', exp: 1_800_000_000, expired: false },
    clientAddress: '127.0.0.1',
    state: 'complete',
    problems: [],
    error: null,
    request: {
      headers: [['Content-Type', 'application/x-protobuf'], ['X-Dup', 'a'], ['X-Dup', 'b']],
      body: requestBytes,
      truncated: false,
      size: requestBytes.length,
    },
    response: {
      headers: [['content-type', 'application/x-protobuf']],
      body: responseBytes,
      truncated: true,
      size: 20_000,
    },
    close: null,
    ...overrides,
  };
}

function wsRecord(id: number): HeadFields {
  return exec(id, {
    kind: 'ws',
    method: 'GET',
    path: '/ws',
    status: 101,
    service: null,
    operation: null,
    trx: null,
    endedAt: null,
    state: 'pending',
    response: { headers: [['upgrade', 'websocket']], body: new Uint8Array(), truncated: false, size: 0 },
  });
}

/** A client frame is a WsAuth whose token is the word; a server frame a WsEvent with one error. */
function frame(exchangeId: number, seq: number, direction: 'client' | 'server', word = 'event'): FrameFields {
  return {
    exchangeId,
    seq,
    direction,
    at: 1_768_478_401_000 + seq,
    opcode: 2,
    size: 10 + seq,
    body: direction === 'client' ? new Uint8Array([0x12, utf8(word).length, ...utf8(word)]) : new Uint8Array([0x10, seq]),
    truncated: false,
  };
}

describe('Store', () => {
  it('creates the file in WAL mode', () => {
    openStore();
    assert.equal(otherConnection().pragma('journal_mode', { simple: true }), 'wal');
  });

  it('returns what was put: summary, headers, bodies as base64, decoded on read with spans, truncation', () => {
    const store = openStore();
    const record = exec(store.allocateExchangeId());
    store.putExchange(flowHead(record));
    const detail = store.getExchange(record.id)!;
    const { frames: _frames, ...summary } = summaryOf(flowHead(record));
    assert.deepEqual({ ...detail, request: undefined, response: undefined, frames: undefined, close: undefined, error: undefined }, {
      ...summary,
      request: undefined,
      response: undefined,
      frames: undefined,
      close: undefined,
      error: undefined,
      original: null,
      editedAtBreakpoint: [],
    });
    assert.deepEqual(detail.request, {
      headers: record.request.headers,
      body: Buffer.from(record.request.body).toString('base64'),
      decoded: codec.decode('ClientRequest', requestBytes, { spans: true, now: record.startedAt }),
      truncated: false,
    });
    assert.equal(detail.request.decoded?.json.token, 'web-01');
    assert.ok(detail.request.decoded?.spans?.paths.includes('token'), 'spans for the hex view');
    assert.equal(detail.response?.truncated, true);
    assert.equal(detail.response?.body, 'CgIBAg==');
    assert.equal(detail.startedAt, new Date(record.startedAt).toISOString());
    assert.equal(detail.durationMs, 120.5);
    assert.equal(detail.error, null);
    assert.equal(detail.close, null);
    assert.deepEqual(detail.frames, []);
  });

  it('lists the same summary that summaryOf() gives the live stream', () => {
    const store = openStore();
    for (const { record, frames } of sampleTraffic(60, 3)) {
      store.putExchange(flowHead(record));
      for (const f of frames) store.putFrame(f);
      const totals = { clientFrames: 0, serverFrames: 0, clientBytes: 0, serverBytes: 0 };
      for (const f of frames) {
        if (f.direction === 'client') (totals.clientFrames++, (totals.clientBytes += f.size));
        else (totals.serverFrames++, (totals.serverBytes += f.size));
      }
      assert.deepEqual(store.listExchanges({ limit: 1 }).items[0], summaryOf(flowHead(record), totals));
    }
  });

  it('returns null for an exchange that was never recorded', () => {
    assert.equal(openStore().getExchange(999), null);
  });

  it('replaces a pending row with the finished one, updating what filters see', () => {
    const store = openStore();
    store.putExchange(flowHead(exec(1, { state: 'pending', status: null, response: null, endedAt: null, errors: ['SE_EXPIRED_TOKEN_ERROR'] })));
    store.flush();
    assert.equal(store.listExchanges({ filter: 'error:expired_token' }).items.length, 1);
    store.putExchange(flowHead(exec(1, { errors: ['SE_INTERNAL_SERVER_ERROR'], error: 'upstream reset the connection' })));
    const items = store.listExchanges({}).items;
    assert.equal(items.length, 1);
    assert.equal(items[0].state, 'complete');
    assert.equal(items[0].status, 200);
    assert.deepEqual(store.listExchanges({ filter: 'error:expired_token' }).items, []);
    assert.equal(store.listExchanges({ filter: 'error:internal_server' }).items.length, 1);
    assert.equal(store.listExchanges({ filter: 'reset' }).items.length, 1);
    assert.equal(store.stats().exchanges, 1);
  });

  it('stores WebSocket frames in seq order with their close, counting frames and bytes per direction', () => {
    const store = openStore();
    const record = wsRecord(1);
    store.putExchange(flowHead(record));
    store.putFrame(frame(1, 1, 'server'));
    store.putFrame(frame(1, 0, 'client', 'created'));
    store.flush();
    store.putFrame(frame(1, 2, 'server'));
    store.putExchange(flowHead({ ...record, endedAt: record.startedAt + 5000, state: 'complete', close: { code: 1000, reason: 'bye', by: 'client', at: record.startedAt + 5000 } }));
    const detail = store.getExchange(1)!;
    assert.deepEqual(detail.frames.map((f) => [f.seq, f.direction]), [[0, 'client'], [1, 'server'], [2, 'server']]);
    assert.deepEqual(detail.frames[1], {
      seq: 1,
      direction: 'server',
      at: new Date(1_768_478_401_001).toISOString(),
      opcode: 2,
      size: 11,
      body: Buffer.from([0x10, 1]).toString('base64'),
      decoded: codec.decode('WsEvent', new Uint8Array([0x10, 1]), { spans: true }),
      truncated: false,
    });
    assert.deepEqual(detail.close, { code: 1000, reason: 'bye', by: 'client', at: new Date(record.startedAt + 5000).toISOString() });
    const summary = store.listExchanges({}).items[0];
    assert.equal(summary.frames, 3);
    assert.equal(summary.requestSize, requestBytes.length + 10);
    assert.equal(summary.responseSize, 0 + 11 + 12);
    assert.equal(store.listExchanges({ filter: 'created' }).items.length, 1);
    assert.equal(store.listExchanges({ filter: 'dir:server' }).items.length, 1);
  });

  it('counts frames written before their exchange row, and a frame put twice once', () => {
    const store = openStore();
    store.putFrame(frame(7, 0, 'client'));
    store.putFrame(frame(7, 1, 'server'));
    store.flush();
    store.putExchange(flowHead(wsRecord(7)));
    store.putFrame(frame(7, 1, 'server'));
    store.putFrame({ ...frame(7, 0, 'server'), size: 100 });
    store.flush();
    const summary = store.listExchanges({}).items[0];
    assert.equal(summary.frames, 2);
    assert.equal(summary.requestSize, requestBytes.length);
    assert.equal(summary.responseSize, 100 + 11);
    assert.deepEqual(store.listExchanges({ filter: 'dir:client' }).items, []);
    assert.equal(store.stats().frames, 2);
  });

  it('pages newest first with next and before', () => {
    const store = openStore();
    for (let id = 1; id <= 25; id++) store.putExchange(flowHead(exec(id)));
    const first = store.listExchanges({ limit: 10 });
    assert.deepEqual(first.items.map((s) => s.id), [25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    assert.equal(first.next, 16);
    const second = store.listExchanges({ limit: 10, before: first.next! });
    assert.equal(second.items[0].id, 15);
    const last = store.listExchanges({ limit: 10, before: 6 });
    assert.deepEqual(last.items.map((s) => s.id), [5, 4, 3, 2, 1]);
    assert.equal(last.next, null);
    const all = store.listExchanges({ limit: 25 });
    assert.equal(all.next, 1, 'a full page always offers a next one');
    assert.deepEqual(store.listExchanges({ limit: 25, before: all.next! }), { items: [], next: null });
  });

  it('throws FilterError for a malformed filter', () => {
    assert.throws(() => openStore().listExchanges({ filter: 'status:' }), (err) => err instanceof FilterError && err.position === 7);
  });

  it('finds every earlier record after a restart and allocates ids after them', () => {
    let store = openStore();
    assert.equal(store.allocateExchangeId(), 1);
    assert.equal(store.allocateExchangeId(), 2);
    store.putExchange(flowHead(exec(2)));
    store.putExchange(flowHead(exec(5)));
    store.putFrame(frame(5, 0, 'client'));
    store.close();
    open.pop();
    store = openStore();
    assert.deepEqual(store.listExchanges({}).items.map((s) => s.id), [5, 2]);
    assert.equal(store.getExchange(5)?.frames.length, 1);
    assert.equal(store.allocateExchangeId(), 6);
  });

  it('marks what an earlier run left pending as interrupted when the recording store opens, and only then', () => {
    let store = openStore();
    store.putExchange(flowHead(exec(1, { state: 'pending', status: null, response: null, endedAt: null })));
    store.putExchange(flowHead(wsRecord(2)));
    store.putFrame(frame(2, 0, 'client'));
    store.putExchange(flowHead(exec(3)));
    store.close();
    open.pop();

    store = openStore();
    assert.deepEqual(store.listExchanges({ filter: 'state:pending' }).items.map((s) => s.id), [2, 1], 'a reader leaves them pending');
    store.close();
    open.pop();

    store = openStore({ recording: true });
    assert.deepEqual(store.listExchanges({}).items.map((s) => [s.id, s.state]), [[3, 'complete'], [2, 'interrupted'], [1, 'interrupted']]);
    const ws = store.getExchange(2)!;
    assert.equal(ws.error, 'the proxy stopped before this exchange ended');
    assert.equal(ws.durationMs, null);
    assert.equal(ws.frames.length, 1);
    assert.equal(store.getExchange(3)!.error, null);
    assert.deepEqual(store.listExchanges({ filter: 'state:interrupted' }).items.map((s) => s.id), [2, 1]);
    assert.deepEqual(store.listExchanges({ filter: '"proxy stopped"' }).items.map((s) => s.id), [2, 1], 'bare words find the sentence');
    // The WebSocket's upgrade request has no protobuf body to decode: only the exec rows say "web".
    assert.deepEqual(store.listExchanges({ filter: 'web' }).items.map((s) => s.id), [3, 1], 'and still the decoded request');
    assert.deepEqual(store.listExchanges({ filter: 'alice' }).items.map((s) => s.id), [3, 2, 1], 'and the summary text');
  });

  it('queues writes and commits them on the flush interval', async () => {
    const store = openStore({ flushIntervalMs: 20 });
    const reader = otherConnection();
    store.putExchange(flowHead(exec(1)));
    assert.equal(countRows(reader), 0);
    assert.equal(store.stats().queued, 1);
    await until(() => countRows(reader) === 1);
  });

  it('counts in queued the tap calls still waiting in the ring for the recorder', () => {
    const store = openStore({ flushIntervalMs: 60_000 });
    const ring = createRing();
    const writer = new RingWriter(ring);
    store.attachBacklog(() => new RingReader(ring).backlog());
    store.putExchange(flowHead(exec(1)));
    for (let seq = 0; seq < 3; seq++) {
      writer.wsFrame({ flowId: 1, seq, direction: 'client', at: 1_764_000_000_000, opcode: 2, body: new Uint8Array(4), size: 4, truncated: false });
    }
    assert.equal(store.stats().queued, 4);
  });

  it('commits at once when the queue reaches maxBatch', () => {
    const store = openStore({ flushIntervalMs: 60_000, maxBatch: 3 });
    const reader = otherConnection();
    store.putExchange(flowHead(exec(1)));
    store.putExchange(flowHead(exec(2)));
    assert.equal(countRows(reader), 0);
    store.putExchange(flowHead(exec(3)));
    assert.equal(countRows(reader), 3);
  });

  it('writes a pending row and its final version queued together once', () => {
    const store = openStore({ flushIntervalMs: 60_000 });
    store.putExchange(flowHead(exec(1, { state: 'pending' })));
    store.putExchange(flowHead(exec(1)));
    assert.equal(store.stats().queued, 1);
    assert.equal(store.getExchange(1)?.state, 'complete');
  });

  it('writes everything queued on close', () => {
    const store = openStore({ flushIntervalMs: 60_000 });
    store.putExchange(flowHead(exec(1)));
    store.putFrame(frame(1, 0, 'client'));
    store.close();
    open.pop();
    const reader = otherConnection();
    assert.equal(countRows(reader), 1);
  });
});

describe('Store write failures', () => {
  it('reports a locked database, keeps the records and writes them once the lock is gone', () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 60_000 });
    const locker = otherConnection();
    locker.exec('BEGIN EXCLUSIVE');
    store.putExchange(flowHead(exec(1)));
    assert.doesNotThrow(() => store.flush());
    assert.equal(messages.length, 1);
    assert.match(messages[0], new RegExp(`^Could not write to ${file.replace(/[.\\]/g, '\\$&')}: another program holds the database locked`));
    assert.match(messages[0], /1 records wait in memory and are retried/);
    assert.equal(store.stats().writeFailures, 1);
    assert.equal(store.stats().queued, 1);
    store.flush();
    assert.equal(messages.length, 1, 'a failure streak is reported once');
    locker.exec('COMMIT');
    store.flush();
    assert.equal(store.stats().queued, 0);
    assert.equal(store.stats().writeFailures, 2);
    assert.match(messages[1], /resumed after 2 failed attempts/);
    assert.equal(store.getExchange(1)?.id, 1);
  });

  it('retries on its own timer after a failure', async () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 5 });
    const locker = otherConnection();
    locker.exec('BEGIN EXCLUSIVE');
    store.putExchange(flowHead(exec(1)));
    await until(() => store.stats().writeFailures >= 2);
    locker.exec('COMMIT');
    await until(() => store.stats().queued === 0);
    assert.equal(countRows(locker), 1);
  });

  it('drops the oldest records beyond the queue bound while failing, and counts them', () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 60_000, maxQueue: 10, maxBatch: 4 });
    const locker = otherConnection();
    locker.exec('BEGIN EXCLUSIVE');
    for (let id = 1; id <= 15; id++) store.putExchange(flowHead(exec(id)));
    assert.deepEqual(store.stats().dropped, { exchanges: 5, frames: 0 });
    assert.equal(store.stats().queued, 10);
    assert.ok(messages.some((m) => /more than 10 records wait in memory: the oldest are being dropped/.test(m)));
    locker.exec('COMMIT');
    store.flush();
    assert.deepEqual(store.listExchanges({}).items.map((s) => s.id), [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
  });

  it('reports a full database as such and keeps the records for a retry', () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 60_000, maxBytes: 256 * 1024 });
    const big = (id: number) => exec(id, { request: { ...exec(id).request, body: new Uint8Array(100_000).fill(id), size: 100_000 } });
    for (let id = 1; id <= 5; id++) store.putExchange(flowHead(big(id)));
    assert.doesNotThrow(() => store.flush());
    assert.equal(messages.length, 1);
    assert.match(messages[0], /: the disk or the size limit is full \(SQLITE_FULL\); 5 records wait in memory/);
    assert.equal(store.stats().queued, 5);
    assert.equal(store.stats().writeFailures, 1);
    assert.deepEqual(store.listExchanges({}).items, []);
  });

  it('counts in stats, before closing, what its last write could not store', () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 60_000, maxBytes: 256 * 1024 });
    const big = (id: number) => exec(id, { request: { ...exec(id).request, body: new Uint8Array(100_000).fill(id), size: 100_000 } });
    for (let id = 1; id <= 5; id++) store.putExchange(flowHead(big(id)));
    store.putJournal(new Uint8Array(100_000), 40, { exchanges: 30, frames: 9 }, { first: 6, begins: 30, openFlows: [] });
    store.flushForGood();
    assert.deepEqual(store.stats().dropped, { exchanges: 35, frames: 9 }, 'the exchanges and the journaled calls that end exchanges and frames');
    assert.equal(store.stats().queued, 0);
    assert.match(messages.at(-1)!, /6 records could not be written to .* before closing and are lost\.$/);
  });

  it('drops only a record SQLite refuses and writes the rest of its batch', () => {
    const messages: string[] = [];
    const store = openStore({ onError: (m) => messages.push(m), flushIntervalMs: 60_000 });
    store.putExchange(flowHead(exec(1)));
    store.putExchange(flowHead({ ...exec(2), method: null as unknown as string }));
    store.putExchange(flowHead(exec(3)));
    store.flush();
    assert.deepEqual(store.listExchanges({}).items.map((s) => s.id), [3, 1]);
    assert.deepEqual(store.stats().dropped, { exchanges: 1, frames: 0 });
    assert.match(messages[0], /^Could not record exchange 2 in .*, so it was dropped: NOT NULL constraint failed: exchanges.method/);
  });

  it('counts records put after close as dropped instead of throwing', () => {
    const store = openStore();
    store.close();
    open.pop();
    assert.doesNotThrow(() => store.putExchange(flowHead(exec(1))));
    assert.throws(() => store.listExchanges({}), StorageError);
  });
});

describe('Store.open', () => {
  function openError(target: string): StorageError {
    try {
      Store.open(target).close();
    } catch (err) {
      assert.ok(err instanceof StorageError, String(err));
      return err;
    }
    assert.fail('opened without an error');
  }

  it('names the missing folder and the fix', () => {
    const target = path.join(dir, 'missing', 'traffic.db');
    assert.equal(
      openError(target).message,
      `Cannot open the database ${target}: the folder ${path.join(dir, 'missing')} does not exist. Create it, or pass --db with another path.`,
    );
  });

  it('refuses a file that is not a database', () => {
    fs.writeFileSync(file, 'not a database, just text '.repeat(100));
    assert.equal(openError(file).message, `${file} is not an SQLite database: pass --db with another path, or move that file away.`);
  });

  it('refuses an SQLite database that belongs to another program', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    assert.equal(openError(file).message, `${file} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`);
  });

  it('refuses a file written by a newer version', () => {
    openStore().close();
    open.pop();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.match(openError(file).message, /was written by a newer ca2-inspector \(schema version 99; this one knows up to \d+\): upgrade ca2-inspector/);
  });
});

describe('Store imports', () => {
  it('commits everything queued at once with commitAll, and on failure nothing, throwing a sentence', () => {
    const store = openStore({ flushIntervalMs: 60_000 });
    store.putExchange(flowHead(exec(1)));
    store.putExchange(flowHead(exec(2)));
    store.putContentKey(1, 'key-1');
    const locker = otherConnection();
    locker.exec('BEGIN EXCLUSIVE');
    assert.throws(() => store.commitAll(), (err: Error) => err instanceof StorageError && /nothing was stored/.test(err.message));
    locker.exec('COMMIT');
    assert.equal(store.stats().queued, 0, 'the failed import is not retried behind the caller');
    assert.equal(countRows(locker), 0);
    store.putExchange(flowHead(exec(3)));
    store.putContentKey(3, 'key-3');
    store.commitAll();
    assert.equal(countRows(locker), 1);
    assert.equal(store.hasContentKey('key-3'), true);
    assert.equal(store.hasContentKey('key-1'), false);
  });

  it('refuses a second exchange with the same content key, so an import stays single', () => {
    const store = openStore({ flushIntervalMs: 60_000 });
    store.putExchange(flowHead(exec(1)));
    store.putContentKey(1, 'same');
    store.commitAll();
    store.putExchange(flowHead(exec(2)));
    store.putContentKey(2, 'same');
    assert.throws(() => store.commitAll(), /UNIQUE constraint failed/);
    assert.equal(store.getExchange(2), null, 'the whole batch is rolled back');
  });
});
