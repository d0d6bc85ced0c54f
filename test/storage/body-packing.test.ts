// Bodies a recording stores packed (storage/body-packing.ts) read back byte for byte:
// through the store, HAR and capture export, import and export again, beside the same
// exchanges stored unpacked; bodies that do not compress, empty ones, ones at the edges of
// what is packed, large ones and a rule's originals; a dictionary of a rolled-back
// transaction; a row naming a dictionary the file lacks, which import refuses; and a
// damaged packed body, which reads as empty with a problem rather than stopping the reads.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import type { Flow, FlowHead } from '../../model/flow.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { flowHead } from '../../support/flow-head.ts';
import { sampleTraffic } from '../../support/sample-traffic.ts';
import { importInto } from '../capture/import-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-body-packing-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const codec = createCodec();

const text = (n: number) => Buffer.from('billing.balance amount=1000 currency=EUR '.repeat(Math.ceil(n / 41)).slice(0, n));
/** Exchange ids with the bodies that test an edge, as [request, response]. */
const edges: Record<number, [Buffer, Buffer]> = {
  401: [Buffer.alloc(0), Buffer.alloc(0)],
  402: [randomBytes(700), randomBytes(3000)],
  403: [text(63), text(64)],
  404: [text(64 * 1024), text(64 * 1024 + 1)],
  405: [Buffer.concat([randomBytes(1024 * 1024), text(1024 * 1024)]), text(3 * 1024 * 1024)],
};

/** 400 exchanges of the sample traffic, whose exec bodies repeat their shape, then the edges and a rule's originals. */
function heads(): FlowHead[] {
  const all = sampleTraffic(400, 9).map(({ record }) => flowHead(record));
  for (const [id, [request, response]] of Object.entries(edges)) {
    const [{ record }] = sampleTraffic(1, Number(id));
    all.push(
      flowHead({
        ...record,
        id: Number(id),
        kind: 'http',
        status: 200,
        request: { ...record.request, body: request, size: request.length },
        response: { headers: [['content-type', 'application/octet-stream']], body: response, truncated: false, size: response.length },
      }),
    );
  }
  const withOriginal = all[20]!;
  const original = { ...withOriginal.request, body: text(900) };
  all.push({ ...withOriginal, id: 406, rules: ['rewrite'], original: { request: original, response: { ...withOriginal.response!, body: text(2000) } } });
  return all;
}

const sha = (bytes: Uint8Array | undefined | null) => (bytes ? createHash('sha256').update(bytes).digest('hex') : null);
function bodies(flow: Pick<Flow, 'request' | 'response' | 'original'>) {
  return [sha(flow.request.body), sha(flow.response?.body), sha(flow.original?.request?.body), sha(flow.original?.response?.body)];
}

function sqlite(file: string, sql: string): string {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();
}

function write(file: string, recording: boolean): Store {
  const store = Store.open(file, { codec, recording });
  for (const h of heads()) store.putExchange(h);
  store.flush();
  return store;
}

async function exportTo(store: Store, output: string) {
  await exportRecording(store, { format: output.endsWith('.har') ? 'har' : 'capture', output, redact: false, codec, toolVersion: '0.1.0-test' });
  return output;
}

describe("a recording's bodies stored packed", () => {
  const file = join(dir, 'packed.sqlite');
  const packed = write(file, true);
  const plain = write(join(dir, 'plain.sqlite'), false);
  after(() => {
    packed.close();
    plain.close();
  });

  test('read back byte for byte, every one, as the exchanges were put', () => {
    for (const h of heads()) assert.deepEqual(bodies(packed.flow(h.id)!), bodies(h), `exchange ${h.id}`);
  });

  test('are packed where it pays and nowhere else (sqlite3)', () => {
    const bits = (id: number) => Number(sqlite(file, `SELECT packed & 15 FROM exchange_bodies WHERE id = ${id}`));
    assert.ok(Number(sqlite(file, 'SELECT count(*) FROM exchange_bodies WHERE packed != 0')) > 300);
    assert.equal(sqlite(file, 'SELECT count(*) FROM body_dictionaries'), '1');
    assert.equal(bits(401), 0, 'empty bodies');
    assert.equal(bits(402), 0, 'random bytes, which packing cannot shorten');
    assert.equal(bits(403), 2, 'from 64 bytes');
    assert.equal(bits(404), 1, 'up to 64 KiB');
    assert.equal(bits(405), 0, 'large bodies');
    assert.equal(sqlite(file, 'SELECT length(response_body) FROM exchange_bodies WHERE id = 405'), String(3 * 1024 * 1024));
    assert.equal(bits(406) & 12, 12, "a rule's originals");
    // The bytes of the exec calls take less room than those of the same calls unpacked.
    const stored = (f: string) => Number(sqlite(f, "SELECT sum(length(b.request_body) + length(b.response_body)) FROM exchange_bodies b JOIN exchanges e ON e.id = b.id WHERE e.kind = 'exec'"));
    assert.ok(stored(file) < stored(join(dir, 'plain.sqlite')) * 0.8);
  });

  /** A HAR file, without when it was made and the recording's own id, which each file has its own of. */
  const harOf = async (store: Store, name: string) => {
    const har = JSON.parse(readFileSync(await exportTo(store, join(dir, name)), 'utf8').replace(/"[0-9a-f]{32}\//g, '"')) as { log: { _ca2: { madeAt?: string } } };
    delete har.log._ca2.madeAt;
    return har;
  };

  test('export as HAR and as a capture the same as when stored unpacked, and import and export again the same', async () => {
    const har = await harOf(packed, 'packed.har');
    assert.deepEqual(await harOf(plain, 'plain.har'), har);
    const capture = await exportTo(packed, join(dir, 'packed.ca2'));
    const imported = join(dir, 'imported.sqlite');
    importInto(imported, capture, codec, (into) => {
      const ids = into.exchangeIds().sort((a, b) => a - b);
      assert.deepEqual(ids.map((id) => bodies(into.flow(id)!)), heads().sort((a, b) => a.id - b.id).map(bodies));
    });
    const into = Store.open(imported, { codec });
    try {
      assert.deepEqual(await harOf(into, 'again.har'), har);
    } finally {
      into.close();
    }
  });
});

test('a dictionary written in a transaction that rolled back is not used for the rows written after', () => {
  const file = join(dir, 'rollback.sqlite');
  const store = Store.open(file, { codec, recording: true });
  const all = heads();
  try {
    assert.throws(
      () =>
        store.allOrNothing(() => {
          for (const h of all.slice(0, 300)) store.putExchange(h);
          store.commitAll();
          // Read back before the rollback: the reading side remembers the dictionary too.
          assert.deepEqual(bodies(store.flow(299)!), bodies(all[298]!));
          throw new Error('the import failed');
        }),
      /the import failed/,
    );
    for (const h of all.slice(300)) store.putExchange(h);
    for (const h of all.slice(0, 300)) store.putExchange(h);
    store.flush();
  } finally {
    store.close();
  }
  // Read as another process would, remembering nothing of the rolled-back transaction.
  const reader = Store.open(file, { codec });
  try {
    for (const h of all) assert.deepEqual(bodies(reader.flow(h.id)!), bodies(h), `exchange ${h.id}`);
  } finally {
    reader.close();
  }
});

test('a row naming a dictionary the file does not hold is an impossible value, which import refuses', () => {
  const file = join(dir, 'dangling.sqlite');
  const store = write(file, true);
  try {
    assert.equal(store.impossibleValue(), null);
    sqlite(file, 'UPDATE exchange_bodies SET packed = (99 << 4) | 1 WHERE id = 7');
    assert.deepEqual(store.impossibleValue(), {
      exchangeId: 7,
      column: 'packed',
      value: 99 * 16 + 1,
      expected: 'which bodies are packed with which stored dictionary (storage/body-packing.ts)',
    });
  } finally {
    store.close();
  }
});

test('a damaged packed body reads as empty with a problem naming it, and the background work that reads every row gets past it', () => {
  const file = join(dir, 'damaged.sqlite');
  write(file, true).close();
  const id = Number(sqlite(file, 'SELECT id FROM exchange_bodies WHERE packed & 1 ORDER BY id DESC LIMIT 1'));
  // Its first step now says 5 literal bytes follow, where the step is shorter.
  sqlite(file, `UPDATE exchange_bodies SET request_body = X'05' || substr(request_body, 2) WHERE id = ${id}`);
  // Another schema: every row is summarised again, each read with its bodies.
  const store = Store.open(file, { codec: createCodec({ protoPaths: ['demo/protos'] }), recording: true });
  try {
    store.catchUp();
    assert.equal(sqlite(file, "SELECT count(*) FROM store_state WHERE key LIKE 'stale%'"), '0');
    const damaged = store.flow(id)!;
    assert.equal(damaged.request.body.length, 0);
    assert.equal(damaged.request.truncated, true);
    assert.ok(damaged.problems.some((p) => p.startsWith('the stored request body cannot be unpacked (a packed body is damaged')), damaged.problems.join('\n'));
    const byId = new Map(heads().map((h) => [h.id, h]));
    assert.deepEqual(bodies(store.flow(id - 1)!), bodies(byId.get(id - 1)!));
  } finally {
    store.close();
  }
});
