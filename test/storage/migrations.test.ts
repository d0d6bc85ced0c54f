import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { detailSearchTexts, matches } from '../../model/filter-match.ts';
import { parseFilter } from '../../model/filter.ts';
import { fileVersion, migrate, migrations, schemaVersion } from '../../storage/migrations.ts';
import { Store } from '../../storage/store.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  file = path.join(dir, 'old.db');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const decodedRequest = { json: { instances: { create: { name: 'Névé «web» 01', ok: true, none: null, tags: ['blue', 7] } } }, summary: { errors: [] }, problems: [] };
const decodedEvent = { json: { billing: { balance: { amount: 1250, currency: 'credits' } } }, summary: { errors: [] }, problems: [] };

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

  it('open a version 1 file in the current version, keeping and indexing its records', () => {
    writeVersion1File();
    const store = Store.open(file);
    try {
      const check = new Database(file, { readonly: true });
      assert.equal(fileVersion(check), schemaVersion);
      check.close();
      assert.deepEqual(store.listExchanges({}).items.map((s) => s.id), [2, 1]);
      const old = store.getExchange(1)!;
      assert.deepEqual(old.request.decoded, decodedRequest);
      assert.deepEqual(old.errors, ['SE_EXPIRED_TOKEN_ERROR']);
      assert.equal(store.getExchange(2)!.frames.length, 1);
      assert.deepEqual(store.listExchanges({ filter: 'error:expired_token' }).items.map((s) => s.id), [1]);
      // Bare words now find old records through the index version 2 added, in the
      // summary, in decoded requests and in frames, as the in-memory evaluation would.
      for (const [filter, ids] of [
        ['neve', [1]],
        ['"web 01"', [1]],
        ['true', [1]],
        ['blue', [1]],
        ['uuid', [1]],
        ['"problem trx"', []],
        ['alice', [2, 1]],
        ['credits', [2]],
        ['1250', [2]],
        ['null', []],
      ] as [string, number[]][]) {
        assert.deepEqual(store.listExchanges({ filter }).items.map((s) => s.id), ids, filter);
        const inMemory = [2, 1].filter((id) => {
          const detail = store.getExchange(id)!;
          return matches(parseFilter(filter), { ...detail, frames: detail.frames.length }, { text: detailSearchTexts(detail) });
        });
        assert.deepEqual(inMemory, ids, `${filter} in memory`);
      }
      // Version 3: old records are not replays.
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
