import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../storage/store.ts';
import { flowHead, type HeadFields } from '../../support/flow-head.ts';
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
