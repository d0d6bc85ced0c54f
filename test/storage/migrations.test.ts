import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { createCodec } from '../../proto/codec.ts';
import { fileVersion, migrate, migrations, schemaVersion } from '../../storage/migrations.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  file = path.join(dir, 'old.db');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const decodedRequest = { json: { instances: { create: { name: 'Névé «web» 01' } } }, summary: { errors: [] }, problems: [] };
const decodedEvent = { json: { billing: { balance: { amount: 1250 } } }, summary: { errors: [] }, problems: [] };

/** A file as version 1 of ca2-inspector left it: schema version 1, one exec and one ws exchange. */
function writeVersion1File(): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, 1);
  const insertExchange = db.prepare(`
    INSERT INTO exchanges (id, kind, started_at, ended_at, duration_ms, method, path, status, service, operation, trx,
      errors, error_count, token_sub, token_prefix, client_address, state, problems, problem_count, error,
      request_size, response_size, client_frames, server_frames, client_frame_bytes, server_frame_bytes)
    VALUES (@id, @kind, 1768478400000.5, 1768478400100.5, 100, @method, @path, @status, @service, @operation, @trx,
      @errors, @error_count, 'alice', 'eyJhbGciOi', '127.0.0.1', 'complete', @problems, @problem_count, NULL,
      3, @response_size, @client_frames, 0, @client_frame_bytes, 0)`);
  const insertBodies = db.prepare(`
    INSERT INTO exchange_bodies (id, request_headers, request_body, request_decoded, request_truncated,
      response_headers, response_body, response_decoded, response_truncated)
    VALUES (?, '[["content-type","application/x-protobuf"]]', x'0a0102', ?, 0, '[]', x'', NULL, 0)`);
  const insertErrors = db.prepare('INSERT INTO exchange_errors (error, exchange_id) VALUES (?, ?)');
  insertExchange.run({
    id: 1, kind: 'exec', method: 'POST', path: '/exec', status: 200, service: 'instances', operation: 'create',
    trx: '3f2a9c1e-0000-4000-8000-000000000001', errors: '["SE_EXPIRED_TOKEN_ERROR"]', error_count: 1,
    problems: '["trx is not a UUID","second problem"]', problem_count: 2, response_size: 0, client_frames: 0, client_frame_bytes: 0,
  });
  insertBodies.run(1, JSON.stringify(decodedRequest));
  insertErrors.run('SE_EXPIRED_TOKEN_ERROR', 1);
  insertExchange.run({
    id: 2, kind: 'ws', method: 'GET', path: '/ws', status: 101, service: null, operation: null, trx: null,
    errors: '[]', error_count: 0, problems: '[]', problem_count: 0, response_size: 0, client_frames: 1, client_frame_bytes: 9,
  });
  insertBodies.run(2, null);
  db.prepare(`INSERT INTO frames (exchange_id, seq, direction, at, opcode, size, body, decoded, truncated, problems)
    VALUES (2, 0, 'client', 1768478400050, 2, 9, x'08', ?, 0, '[]')`).run(JSON.stringify(decodedEvent));
  db.close();
}

describe('migrations', () => {
  it('are numbered 1, 2, … with a description each', () => {
    assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
    assert.ok(migrations.every((m) => m.description.length > 0));
    assert.equal(schemaVersion, migrations.length);
    assert.ok(schemaVersion >= 2);
  });

  it('bring a new file to the current version', () => {
    const db = new Database(':memory:');
    assert.equal(fileVersion(db), 0);
    migrate(db);
    assert.equal(fileVersion(db), schemaVersion);
    db.close();
  });

  it('open a version 1 file in the current version, keeping every byte and decoding it on read', () => {
    writeVersion1File();
    const store = Store.open(file);
    try {
      const check = new Database(file, { readonly: true });
      assert.equal(fileVersion(check), schemaVersion);
      check.close();
      store.catchUp();
      assert.deepEqual(store.listExchanges({}).items.map((s) => s.id), [2, 1]);
      const old = store.getExchange(1)!;
      assert.equal(old.request.body, Buffer.from([0x0a, 0x01, 0x02]).toString('base64'));
      assert.deepEqual(old.request.decoded!.json, createCodec().decode('ClientRequest', new Uint8Array([0x0a, 0x01, 0x02])).json);
      const frames = store.getExchange(2)!.frames;
      assert.deepEqual(frames.map((f) => f.body), [Buffer.from([0x08]).toString('base64')]);
      // Re-summarised from the bytes: the version 1 row's columns said more than its bytes do.
      assert.equal(old.service, null);
      assert.deepEqual(store.listExchanges({ filter: 'alice' }).items, []);
      // Old records are not replays.
      assert.deepEqual(old.replayOf, null);
      assert.deepEqual(store.listExchanges({ filter: 'replay:any' }).items, []);
      // And new records go through the current code path.
      const id = store.allocateExchangeId();
      assert.equal(id, 3);
    } finally {
      store.close();
    }
  });
});

describe('the version 2 → 3 migration, on a file version 2 wrote (test/fixtures/storage/v2.sqlite)', () => {
  const fixture = fileURLToPath(new URL('../fixtures/storage/v2.sqlite', import.meta.url));

  /** Every byte version 2 held: bodies and headers per exchange, frame bodies per exchange. */
  function bytesOf(db: Database.Database) {
    return {
      bodies: db.prepare('SELECT id, request_headers, request_body, response_headers, response_body, request_truncated, response_truncated FROM exchange_bodies ORDER BY id').all(),
      frames: db.prepare('SELECT exchange_id, seq, direction, at, opcode, size, body, truncated FROM frames ORDER BY exchange_id, seq').all(),
      exchanges: db.prepare('SELECT id, kind, started_at, ended_at, method, path, status, client_address, state, error, request_size, response_size, close_code, close_reason, close_by, close_at FROM exchanges ORDER BY id').all(),
    };
  }

  it('keeps every byte and decodes the details with the schema loaded now', () => {
    fs.copyFileSync(fixture, file);
    const before = new Database(fixture, { readonly: true });
    assert.equal(fileVersion(before), 2);
    const original = bytesOf(before);
    before.close();
    const store = Store.open(file);
    try {
      assert.deepEqual(store.stats().reindexing, { done: 0, total: 2 }, 'a version 2 file names no schema, so every row is redone');
      const after = new Database(file, { readonly: true });
      assert.equal(fileVersion(after), schemaVersion);
      assert.deepEqual(bytesOf(after), original);
      after.close();
      const exec = store.getExchange(1)!;
      assert.deepEqual(exec.request.decoded!.json.auth, { 1: { 1: 'ada@example.com', 2: 'wrong' } });
      assert.ok(exec.request.decoded!.spans!.paths.length > 0);
      assert.deepEqual(exec.errors, ['SE_INVALID_TOKEN_ERROR']);
      assert.equal(store.getExchange(2)!.frames[0].decoded!.json.token, 'opaque-token-v2');
    } finally {
      store.close();
    }
  });

  it('gives the old rows the names a schema loaded later knows, before and after catching up', () => {
    fs.copyFileSync(fixture, file);
    const notices: string[] = [];
    const store = Store.open(file, { codec: createCodec({ protoPaths: [path.join(projectRoot, 'demo/protos')] }), onNotice: (m) => notices.push(m), idleAfterMs: 60_000 });
    try {
      assert.equal(notices[0], `migrating ${file} from version 2 to ${schemaVersion}…`);
      assert.match(notices[1], /^2 recorded exchanges were summarised with another schema/);
      for (const when of ['before', 'after']) {
        assert.deepEqual(store.listExchanges({ filter: 'op:login' }).items.map((s) => s.id), [1], `op:login ${when} catching up`);
        assert.deepEqual(store.listExchanges({ filter: 'service:auth' }).items[0].operation, 'login');
        assert.deepEqual(store.listExchanges({ filter: 'ada' }).items.map((s) => s.id), [1], `a word in the request ${when}`);
        assert.deepEqual(store.listExchanges({ filter: 'balances 1250' }).items.map((s) => s.id), [2], `words in a frame ${when}`);
        assert.deepEqual(store.listExchanges({}).items.map((s) => s.operation), [null, 'login']);
        assert.equal(store.getExchange(1)!.operation, 'login');
        store.catchUp();
      }
      assert.equal(store.stats().reindexing, null);
      assert.match(notices.at(-1)!, /now summarised with the schema loaded now/);
    } finally {
      store.close();
    }
  });
});
