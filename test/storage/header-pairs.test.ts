// Header lists stored as ids of pairs kept once (storage/header-pairs.ts): every list reads
// back byte for byte (case, order, duplicates, obs-text, a value one byte off a stored
// one) through the store, the REST detail, HAR and capture export, import and export
// again; a file of the version before keeps reading and exporting the same.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exportRecording } from '../../capture/export.ts';
import type { FlowHead } from '../../model/flow.ts';
import type { HeaderList } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { migrate } from '../../storage/migrations.ts';
import { bodyColumns, exchangeColumns, exchangeParams } from '../../storage/rows.ts';
import { Store } from '../../storage/store.ts';
import { flowHead } from '../../support/flow-head.ts';
import { importInto } from '../capture/import-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-header-pairs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec();

const requestHeaders: HeaderList = [
  ['Host', 'api.example.com'],
  ['X-Odd-CaSe', 'MiXeD Value'],
  ['accept', 'application/x-protobuf'],
  ['Accept', 'application/x-protobuf'],
  ['Cookie', 'a=1'],
  ['Cookie', 'a=1'],
  // Bytes 0x80-0xff arrive as latin1 characters (obs-text), as Node's parser gives them.
  ['X-Obs-Text', 'caf\u00e9 \u00ff\u0080'],
  ['X-Empty', ''],
  ['content-type', 'application/x-protobuf'],
];
/** The same list but for one byte of one value, and two headers swapped. */
const nearlyTheSame: HeaderList = requestHeaders.map(([name, value]): [string, string] => (name === 'X-Odd-CaSe' ? [name, 'MiXeD ValuE'] : [name, value]));
[nearlyTheSame[2], nearlyTheSame[3]] = [nearlyTheSame[3]!, nearlyTheSame[2]!];
const responseHeaders: HeaderList = [
  ['Content-Type', 'application/x-protobuf'],
  ['Set-Cookie', 'session=abc; Path=/'],
  ['set-cookie', 'session=abc; Path=/'],
  ['Set-Cookie', 'other=1'],
  ['X-Request-Id', 'r-1'],
];
const originalHeaders: HeaderList = [['X-Odd-CaSe', 'before the rule'], ['Host', 'api.example.com']];

function head(id: number, request: HeaderList, response: HeaderList, original = false): FlowHead {
  const body = Buffer.from([0x0a, 0x02, 0x68, 0x69]);
  return flowHead({
    id, kind: 'http', startedAt: 1_767_000_000_000 + id, endedAt: 1_767_000_000_005 + id, method: 'POST', path: `/call/${id}`, status: 200,
    service: null, operation: null, trx: null, errors: [], token: null, clientAddress: '127.0.0.1:5000', state: 'complete', problems: [], error: null, close: null,
    request: { headers: request, body, truncated: false, size: body.length },
    response: { headers: response, body, truncated: false, size: body.length },
    ...(original ? { original: { request: { method: 'POST', path: `/call/${id}`, httpVersion: '1.1', headers: originalHeaders, body, size: body.length, truncated: false }, response: null }, rules: ['rewrite'] } : {}),
  });
}

/** The exchanges every test writes: repeats, near repeats, an empty list and a rule's original. */
const heads = [
  head(1, requestHeaders, responseHeaders),
  head(2, nearlyTheSame, responseHeaders),
  head(3, requestHeaders, [...responseHeaders].reverse()),
  head(4, [], responseHeaders, true),
];

function headersOf(store: Store, id: number) {
  const flow = store.flow(id)!;
  return { request: flow.request.headers, response: flow.response?.headers ?? null, original: flow.original?.request?.headers ?? null };
}

function expected(h: FlowHead) {
  return { request: h.request.headers, response: h.response?.headers ?? null, original: h.original?.request?.headers ?? null };
}

/** The headers of each entry of a HAR file, oldest first, read with JSON.parse. */
function harHeaders(file: string) {
  const har = JSON.parse(readFileSync(file, 'utf8')) as { log: { entries: { request: { headers: { name: string; value: string }[] }; response: { headers: { name: string; value: string }[] } }[] } };
  const pairs = (list: { name: string; value: string }[]) => list.map(({ name, value }) => [name, value]);
  return har.log.entries.map((entry) => ({ request: pairs(entry.request.headers), response: pairs(entry.response.headers) }));
}

async function exportTo(store: Store, output: string) {
  await exportRecording(store, { format: output.endsWith('.har') ? 'har' : 'capture', output, redact: false, codec, toolVersion: '0.1.0-test' });
  return output;
}

function sqlite(file: string, sql: string): string {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();
}

describe('header lists stored as ids of pairs kept once', () => {
  const file = join(dir, 'pairs.sqlite');
  const store = Store.open(file, { codec });
  for (const h of heads) store.putExchange(h);
  store.flush();
  after(() => store.close());

  test('read back byte for byte through the flow and the REST detail', () => {
    for (const h of heads) {
      assert.deepEqual(headersOf(store, h.id), expected(h));
      const detail = store.getExchange(h.id)!;
      assert.deepEqual(detail.request.headers, h.request.headers);
      assert.deepEqual(detail.response?.headers, h.response!.headers);
    }
  });

  test('each distinct pair is one row, and a list is the ids of its pairs (sqlite3)', () => {
    const distinct = new Set(heads.flatMap((h) => [...h.request.headers, ...h.response!.headers, ...(h.original?.request?.headers ?? [])].map((pair) => JSON.stringify(pair))));
    assert.equal(Number(sqlite(file, 'SELECT count(*) FROM header_pairs')), distinct.size);
    assert.equal(sqlite(file, "SELECT count(*) FROM header_pairs WHERE pair = '[\"X-Odd-CaSe\",\"MiXeD ValuE\"]'"), '1');
    assert.match(sqlite(file, 'SELECT request_headers FROM exchange_bodies WHERE id = 1'), /^\[\d+(,\d+){8}\]$/);
    assert.equal(sqlite(file, 'SELECT request_headers FROM exchange_bodies WHERE id = 4'), '[]');
    // Exchanges 1 and 3 sent the same request headers: the same ids.
    assert.equal(sqlite(file, 'SELECT count(DISTINCT request_headers) FROM exchange_bodies WHERE id IN (1, 3)'), '1');
  });

  test('HAR and capture export, import, and export again keep them', async () => {
    const har = await exportTo(store, join(dir, 'first.har'));
    assert.deepEqual(harHeaders(har), heads.map((h) => ({ request: h.request.headers, response: h.response!.headers })));
    const capture = await exportTo(store, join(dir, 'first.ca2'));
    for (const [name, source] of [['from-har.sqlite', har], ['from-capture.sqlite', capture]] as const) {
      const imported = join(dir, name);
      importInto(imported, source, codec, (into) => {
        const ids = into.exchangeIds().sort((a, b) => a - b);
        assert.deepEqual(ids.map((id) => headersOf(into, id).request), heads.map((h) => h.request.headers));
        assert.deepEqual(ids.map((id) => headersOf(into, id).response), heads.map((h) => h.response!.headers));
        // A capture keeps what a rule replaced; HAR keeps what went on.
        if (source === capture) assert.deepEqual(headersOf(into, ids[3]!).original, originalHeaders);
      });
      const into = Store.open(imported, { codec });
      try {
        const again = await exportTo(into, join(dir, `${name}.again.har`));
        assert.deepEqual(harHeaders(again), harHeaders(har));
      } finally {
        into.close();
      }
    }
  });

  test('a pair written (and read) in a transaction that rolled back is not taken for the one that later gets its id', () => {
    const other = Store.open(join(dir, 'rollback.sqlite'), { codec });
    try {
      assert.throws(
        () =>
          other.allOrNothing(() => {
            other.putExchange(head(1, [['X-Gone', '1']], []));
            other.commitAll();
            // Read back before the rollback: the reading side remembers the pair too.
            assert.deepEqual(other.flow(1)!.request.headers, [['X-Gone', '1']]);
            throw new Error('the import failed');
          }),
        /the import failed/,
      );
      const later: HeaderList = [['X-New', '2'], ['X-Gone', '1']];
      other.putExchange(head(2, later, []));
      other.flush();
      assert.deepEqual(other.flow(2)!.request.headers, later);
    } finally {
      other.close();
    }
  });
});

describe('a recording of version 10, which stored header lists as their pairs', () => {
  const file = writeVersion10(join(dir, 'v10.sqlite'));
  const fresh = join(dir, 'fresh.sqlite');
  const current = Store.open(fresh, { codec });
  for (const h of heads) current.putExchange(h);
  current.close();

  test('opens at the newest version, reads the same, and new rows are stored as ids', () => {
    const store = Store.open(file, { codec });
    try {
      for (const h of heads) assert.deepEqual(headersOf(store, h.id), expected(h));
      store.putExchange(head(5, requestHeaders, responseHeaders));
      store.flush();
      assert.deepEqual(headersOf(store, 5), expected(head(5, requestHeaders, responseHeaders)));
    } finally {
      store.close();
    }
    assert.equal(sqlite(file, 'SELECT request_headers FROM exchange_bodies WHERE id = 1'), JSON.stringify(requestHeaders));
    assert.match(sqlite(file, 'SELECT request_headers FROM exchange_bodies WHERE id = 5'), /^\[\d+(,\d+){8}\]$/);
  });

  test('exports the same HAR entries as a recording of this version', async () => {
    // The file as version 10 left it: the test above migrated the first one.
    const v10 = writeVersion10(join(dir, 'v10-copy.sqlite'));
    const entries = async (recording: string, name: string) => {
      const store = Store.open(recording, { codec });
      try {
        const har = JSON.parse(readFileSync(await exportTo(store, join(dir, name)), 'utf8')) as { log: { entries: { request: unknown; response: unknown }[] } };
        return har.log.entries.map(({ request, response }) => ({ request, response }));
      } finally {
        store.close();
      }
    };
    assert.deepEqual(await entries(v10, 'v10.har'), await entries(fresh, 'fresh.har'));
  });
});

/** A recording as version 10's writer left it: each header list as JSON.stringify made it. */
function writeVersion10(file: string): string {
  const db = new Database(file);
  migrate(db, 10);
  const insertExchange = db.prepare(`INSERT INTO exchanges (id, ${exchangeColumns.join(', ')}) VALUES (@id, ${exchangeColumns.map((c) => `@${c}`).join(', ')})`);
  // Columns a later version added are not there yet.
  const present = new Set(db.prepare("SELECT name FROM pragma_table_info('exchange_bodies')").pluck().all());
  const columns = bodyColumns.filter((c) => present.has(c));
  const insertBodies = db.prepare(`INSERT INTO exchange_bodies (id, ${columns.join(', ')}) VALUES (@id, ${columns.map((c) => `@${c}`).join(', ')})`);
  for (const h of heads) {
    const params = exchangeParams(h, (headers) => JSON.stringify(headers));
    insertExchange.run(params);
    insertBodies.run(params);
  }
  db.close();
  return file;
}

test('a list naming a pair the file does not hold is an impossible value, which import refuses', () => {
  const file = join(dir, 'dangling.sqlite');
  const store = Store.open(file, { codec });
  store.putExchange(heads[0]!);
  store.flush();
  assert.equal(store.impossibleValue(), null);
  sqlite(file, 'UPDATE exchange_bodies SET response_headers = json_insert(response_headers, \'$[#]\', 999999) WHERE id = 1');
  assert.deepEqual(store.impossibleValue(), { exchangeId: 1, column: 'response_headers', value: sqlite(file, 'SELECT response_headers FROM exchange_bodies WHERE id = 1'), expected: 'a JSON list of headers' });
  store.close();
});

test('a list naming a pair that is not two strings, or holding what is not an id, is an impossible value', () => {
  const file = join(dir, 'unsound.sqlite');
  const store = Store.open(file, { codec });
  store.putExchange(heads[0]!);
  store.putExchange(heads[1]!);
  store.flush();
  assert.equal(store.impossibleValue(), null);
  const expected = (id: number, column: string) => ({ exchangeId: id, column, value: sqlite(file, `SELECT ${column} FROM exchange_bodies WHERE id = ${id}`), expected: 'a JSON list of headers' });
  sqlite(file, `INSERT INTO header_pairs (id, hash, pair) VALUES (999998, 0, '["x", 1]'); UPDATE exchange_bodies SET request_headers = json_insert(request_headers, '$[#]', 999998) WHERE id = 2`);
  assert.deepEqual(store.impossibleValue(), expected(2, 'request_headers'));
  sqlite(file, `UPDATE exchange_bodies SET request_headers = json_insert(request_headers, '$[#]', '1') WHERE id = 1`);
  assert.deepEqual(store.impossibleValue(), expected(1, 'request_headers'));
  store.close();
});
