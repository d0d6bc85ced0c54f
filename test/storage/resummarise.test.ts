// A schema loaded after the traffic was recorded: older rows are re-summarised with it
// in the background, and queries answer with its names before that is done.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resummarise-'));
  file = path.join(dir, 'traffic.db');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function protocEncode(type: string, text: string): Uint8Array {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], { cwd: projectRoot, input: text });
  if (out.error) throw new Error(`protoc is needed for this test: ${out.error.message}`);
  assert.equal(out.status, 0, String(out.stderr));
  return new Uint8Array(out.stdout);
}

const login = protocEncode('ca2.ClientRequest', 'trx: "trx-login-01" auth { login { email: "ada@example.com" password: "pw" } }');
const refresh = protocEncode('ca2.ClientRequest', 'trx: "trx-refresh-1" auth { refresh { } }');
const answer = protocEncode('ca2.ServerResponse', 'trx: "trx-login-01"');
const headers: [string, string][] = [['Content-Type', 'application/x-protobuf']];

function exec(id: number, body: Uint8Array): TappedFlow {
  return {
    id, source: 'live', kind: 'exec', startedAt: 1_800_000_000_000 + id, endedAt: 1_800_000_000_010 + id, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers, body, size: body.length, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers, body: answer, size: answer.length, truncated: false },
    error: null,
  };
}

/** Records `count` exchanges, alternating login and refresh, through the recorder and the bundled schema. */
function recordWithoutSchema(count: number): void {
  const store = Store.open(file);
  const recorder = new Recorder(createCodec(), store);
  for (let id = 1; id <= count; id++) recorder.exchangeEnded(exec(id, id % 2 === 1 ? login : refresh));
  recorder.stop();
  store.close();
}

const demo = () => createCodec({ protoPaths: [path.join(projectRoot, 'demo/protos')] });
const ids = (store: Store, filter: string, limit = 100, before?: number) => store.listExchanges({ filter, limit, before }).items.map((s) => s.id);

describe('a schema loaded after recording', () => {
  it('re-summarises the old rows so op:login finds them, before and after catching up', () => {
    recordWithoutSchema(20);
    let store = Store.open(file);
    assert.deepEqual(ids(store, 'op:login'), [], 'the bundled schema names no operation login');
    assert.equal(store.listExchanges({ limit: 1 }).items[0].operation, '2');
    store.close();

    const notices: string[] = [];
    store = Store.open(file, { codec: demo(), onNotice: (m) => notices.push(m), idleAfterMs: 60_000 });
    try {
      const logins = [19, 17, 15, 13, 11, 9, 7, 5, 3, 1];
      assert.deepEqual(store.stats().reindexing, { done: 0, total: 20 });
      assert.deepEqual(ids(store, 'op:login'), logins, 'rows not yet redone are decoded and tested');
      assert.deepEqual(ids(store, 'op:login', 3, 12), [11, 9, 7], 'paged');
      assert.deepEqual(ids(store, 'login ada'), logins, 'bare words through the new schema');
      assert.equal(store.getExchange(20)!.operation, 'refresh');
      assert.equal(store.listExchanges({}).items[0].operation, 'refresh');
      assert.match(notices[0], /^20 recorded exchanges were summarised with another schema/);

      store.catchUp();
      assert.equal(store.stats().reindexing, null);
      assert.equal(store.stats().unindexed, 0);
      assert.deepEqual(ids(store, 'op:login'), logins);
      assert.deepEqual(ids(store, 'op:refresh service:auth'), [20, 18, 16, 14, 12, 10, 8, 6, 4, 2]);
      assert.deepEqual(ids(store, 'login ada'), logins);
      assert.match(notices.at(-1)!, /now summarised with the schema loaded now/);
    } finally {
      store.close();
    }
  });

  it('pages across new rows, rows waiting for the index and rows not yet redone alike', () => {
    recordWithoutSchema(10);
    const store = Store.open(file, { codec: demo(), idleAfterMs: 60_000 });
    const recorder = new Recorder(demo(), store);
    try {
      for (let id = 11; id <= 16; id++) recorder.exchangeEnded(exec(id, id % 2 === 1 ? login : refresh));
      const logins = [15, 13, 11, 9, 7, 5, 3, 1];
      for (const filter of ['op:login', 'ada', 'ada op:login', 'login -op:refresh']) {
        const paged: number[] = [];
        let before: number | undefined;
        for (let page = 0; page < 10; page++) {
          const { items, next } = store.listExchanges({ filter, limit: 3, before });
          paged.push(...items.map((s) => s.id));
          if (next === null) break;
          before = next;
        }
        assert.deepEqual(paged, logins, filter);
      }
      store.catchUp();
      assert.deepEqual(ids(store, 'ada op:login'), logins);
    } finally {
      recorder.stop();
      store.close();
    }
  });

  it('keeps what is left to redo across a restart, and opening again with the same schema redoes nothing', () => {
    recordWithoutSchema(450);
    let store = Store.open(file, { codec: demo(), idleAfterMs: 60_000 });
    store.close();
    store = Store.open(file, { codec: demo(), idleAfterMs: 60_000 });
    try {
      const before = store.stats().reindexing!;
      assert.equal(before.total, 450);
      store.catchUp();
      assert.equal(store.stats().reindexing, null);
      assert.equal(ids(store, 'op:login', 1000).length, 225);
    } finally {
      store.close();
    }
    store = Store.open(file, { codec: demo() });
    try {
      assert.equal(store.stats().reindexing, null, 'the same schema again: nothing to redo');
    } finally {
      store.close();
    }
  });
});
