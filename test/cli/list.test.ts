import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForReading } from '../../capture/sources.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { flowHead, type HeadFields } from '../../support/flow-head.ts';
import { journalRun } from '../../support/journal-run.ts';
import { journalTraffic, trafficFilters } from '../../support/journal-traffic.ts';
import { projectRoot } from '../../support/proxy-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-list-'));
const db = join(dir, 'rec.sqlite');

function list(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'list', ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

before(() => {
  const store = Store.open(db);
  const services = ['auth', 'instances', 'billing'];
  for (let i = 0; i < 6; i++) {
    const record: HeadFields = {
      id: store.allocateExchangeId(), kind: 'exec', startedAt: Date.UTC(2026, 10, 27, 9, 0, i), endedAt: Date.UTC(2026, 10, 27, 9, 0, i) + 7,
      method: 'POST', path: '/exec', status: 200, service: services[i % 3], operation: 'list', trx: `trx-${i}`,
      errors: i === 4 ? ['SE_RATE_LIMIT_EXCEEDED_ERROR'] : [], token: null, clientAddress: '127.0.0.1', state: 'complete',
      problems: [], error: null, close: null,
      request: { headers: [], body: new Uint8Array(3), truncated: false, size: 3 },
      response: { headers: [], body: new Uint8Array(5), truncated: false, size: 5 },
    };
    store.putExchange(flowHead(record));
  }
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('prints recorded exchanges newest first, one line each, selected by the filter language', () => {
  const all = list('--db', db);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout.trim().split('\n').length, 6);
  assert.match(all.stdout.split('\n')[0], /^09:00:05\.000  exec  billing\.list/);
  const limited = list('--db', db, '--filter', 'error:rate_limit_exceeded');
  assert.deepEqual(limited.stdout.trim().split('\n').map((l) => /SE_\w+/.exec(l)?.[0]), ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
});

test('prints JSON summaries with --json and stops at --limit', () => {
  const out = list('--db', db, '--json', '--limit', '2', '--filter', 'service:auth or service:instances');
  const rows = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.trx), ['trx-4', 'trx-3']);
});

test('explains a malformed filter, a missing file and a bad limit in one line with exit 2', () => {
  const bad = list('--db', db, '--filter', 'status:');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ca2-inspector list: --filter at 7: expected a value after "status:"\n$/);
  const nested = list('--db', db, '--filter', '('.repeat(3000) + 'kind:ws' + ')'.repeat(3000));
  assert.equal(nested.code, 2);
  assert.equal(nested.stderr, 'ca2-inspector list: --filter at 64: the filter nests deeper than 64 levels\n');
  const unknownError = list('--db', db, '--filter', 'error:bogus');
  assert.equal(unknownError.code, 2);
  assert.match(unknownError.stderr, /^ca2-inspector list: --filter at 6: expected any or a ServerError after "error:", one of SE_UNKNOWN_ERROR, .*; got "bogus"\n$/);
  const missing = list('--db', join(dir, 'nope.sqlite'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.sqlite does not exist/);
  assert.equal(list('--db', db, '--limit', '0').code, 2);
});

test('reads with the schema given by --proto: rows recorded without it answer op: with its names', () => {
  const file = join(dir, 'later-schema.sqlite');
  const encoded = spawnSync('protoc', ['--encode=ca2.ClientRequest', '-I', 'demo/protos', 'demo/protos/ca2.proto'], {
    cwd: projectRoot,
    input: 'trx: "trx-later" auth { login { email: "ada@example.com" } }',
  });
  assert.equal(encoded.status, 0, String(encoded.stderr));
  const store = Store.open(file);
  const body = new Uint8Array(encoded.stdout);
  store.putExchange(flowHead({
    id: 1, kind: 'exec', startedAt: Date.UTC(2026, 10, 27, 9), endedAt: Date.UTC(2026, 10, 27, 9) + 3, method: 'POST', path: '/exec',
    status: 200, service: 'auth', operation: '1', trx: 'trx-later', errors: [], token: null, clientAddress: '127.0.0.1',
    state: 'complete', problems: [], error: null, close: null,
    request: { headers: [['content-type', 'application/x-protobuf']], body, truncated: false, size: body.length },
    response: null,
  }));
  store.close();
  assert.equal(list('--db', file, '--filter', 'op:login').stdout, '');
  const found = list('--db', file, '--proto', 'demo/protos', '--filter', 'op:login');
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /auth\.login/);
  const wrong = list('--db', file, '--proto', 'nope.proto');
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--proto nope\.proto: no such file or folder/);
});

test('lists the journal a stopped run left from the file itself, as storing it gives, and leaves the file as it was', () => {
  const file = join(dir, 'journal-left.sqlite');
  const run = journalRun(file, createCodec());
  // Its last exchange still runs when the run stops: storing the journal records it interrupted.
  journalTraffic(run.writer, { exchanges: 60 });
  run.pump();
  // Stopped with no time left to store it, as after a burst longer than Ctrl-C's 10 s allow.
  assert.ok(run.journal.finish(Date.now()) > 60);
  run.journal.stop();
  run.recorder.stop();
  run.store.close();
  const sha256 = () => createHash('sha256').update(readFileSync(file)).digest('hex');
  const before = sha256();
  // What a reader that stores the journal first (in a copy) lists.
  const stored = openForReading(file, { use: { flag: '--db', command: 'list', writes: false } });
  try {
    for (const filter of trafficFilters) {
      const listed = list('--db', file, '--json', '--limit', '15', ...(filter === '' ? [] : ['--filter', filter]));
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stderr, '', `filter "${filter}": nothing stored, so nothing to say`);
      const expected = stored.store.listExchanges({ filter, limit: 15 }).items;
      assert.ok(expected.length > 0);
      assert.deepEqual(listed.stdout.trim().split('\n').map((line) => JSON.parse(line)), JSON.parse(JSON.stringify(expected)), `filter "${filter}"`);
    }
    assert.equal(stored.store.listExchanges({ filter: 'state:interrupted' }).items.length, 1, 'the exchange it left running');
  } finally {
    stored.close();
  }
  assert.equal(sha256(), before, 'list wrote nothing');
});
