// GET /api/exchanges?filter=field:… over a real recording: a demo session recorded by the
// proxy command, its stored bodies and frames decoded here with protobufjs (not our codec)
// to know which exchanges each field: filter must give.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import protobuf from 'protobufjs';
import { demoProtoDir } from '../../../demo/paths.ts';
import type { ExchangePage } from '../../../model/types.ts';
import { createCodec } from '../../../proto/codec.ts';
import { headerListSql } from '../../../storage/header-pairs.ts';
import { Store } from '../../../storage/store.ts';
import { startInspectorServer, type InspectorServer } from '../../../inspector/server/app.ts';
import { recordDemoSession } from '../../mock/demo-recording.ts';

type Message = Record<string, any>;

/** Each exchange's messages as protobufjs reads them: enum names, 64-bit integers as strings, bytes as base64. */
function decodeWithProtobufjs(db: string): Map<number, { kind: string; messages: Message[] }> {
  const root = new protobuf.Root().loadSync(
    readdirSync(demoProtoDir).filter((f) => f.endsWith('.proto')).map((f) => join(demoProtoDir, f)),
    { keepCase: true },
  );
  const toObject = (type: string, bytes: Buffer) => {
    const t = root.lookupType(type);
    return t.toObject(t.decode(bytes), { enums: String, longs: String, bytes: String });
  };
  const file = new Database(db, { readonly: true });
  try {
    const exchanges = new Map<number, { kind: string; messages: Message[] }>();
    const rows = file
      .prepare(`SELECT e.id, e.kind, b.request_body, b.response_body, ${headerListSql('b.response_headers')} AS response_headers FROM exchanges e JOIN exchange_bodies b ON b.id = e.id`)
      .all() as { id: number; kind: string; request_body: Buffer; response_body: Buffer | null; response_headers: string | null }[];
    for (const row of rows) {
      const messages: Message[] = [];
      if (row.kind === 'exec') {
        messages.push(toObject('ca2.ClientRequest', row.request_body));
        if (row.response_body && row.response_headers?.includes('protobuf')) messages.push(toObject('ca2.ServerResponse', row.response_body));
      }
      exchanges.set(row.id, { kind: row.kind, messages });
    }
    const frames = file.prepare('SELECT exchange_id, direction, opcode, body FROM frames ORDER BY exchange_id, seq').all() as {
      exchange_id: number;
      direction: string;
      opcode: number;
      body: Buffer;
    }[];
    for (const frame of frames) {
      if (frame.opcode !== 2) continue;
      exchanges.get(frame.exchange_id)!.messages.push(toObject(frame.direction === 'client' ? 'ca2.WsAuth' : 'ca2.WsEvent', frame.body));
    }
    return exchanges;
  } finally {
    file.close();
  }
}

describe('GET /api/exchanges with field: terms on a recorded demo session', () => {
  let dir: string;
  let store: Store;
  let server: InspectorServer;
  let decoded: Map<number, { kind: string; messages: Message[] }>;

  before(async () => {
    const recording = await recordDemoSession();
    dir = recording.dir;
    decoded = decodeWithProtobufjs(recording.db);
    store = Store.open(recording.db, { codec: createCodec({ protoPaths: [demoProtoDir] }) });
    server = await startInspectorServer({ store, host: '127.0.0.1', port: 0, token: null, log: () => undefined });
  });

  after(async () => {
    await server?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function listed(filter: string): Promise<number[]> {
    const res = await fetch(`http://127.0.0.1:${server.address.port}/api/exchanges?limit=1000&filter=${encodeURIComponent(filter)}`);
    assert.equal(res.status, 200, filter);
    const page = (await res.json()) as ExchangePage;
    assert.equal(page.next, null);
    return page.items.map((item) => item.id);
  }

  function expected(test: (kind: string, messages: Message[]) => boolean): number[] {
    const ids = [...decoded].filter(([, e]) => test(e.kind, e.messages)).map(([id]) => id);
    assert.ok(ids.length > 0 && ids.length < decoded.size, 'the session exercises the filter');
    return ids.sort((a, b) => b - a);
  }

  test('finds the top-ups by a 64-bit amount in the request', async () => {
    assert.deepEqual(
      await listed('field:billing.top_up.amount>0'),
      expected((_, messages) => messages.some((m) => BigInt(m.billing?.top_up?.amount ?? 0) > 0n)),
    );
  });

  test('finds the WebSocket connections with a settled payment in any event, by enum name and [*]', async () => {
    assert.deepEqual(
      await listed('kind:ws field:billing.payments[*].status=PAYMENT_STATUS_SUCCEEDED'),
      expected((kind, messages) => kind === 'ws' && messages.some((m) => m.billing?.payments?.some((p: Message) => p.status === 'PAYMENT_STATUS_SUCCEEDED'))),
    );
  });

  test('takes a quoted value with a space, and not field: keeps the exchanges without the field', async () => {
    assert.deepEqual(
      await listed('field:auth.login.device_name="demo client"'),
      expected((_, messages) => messages.some((m) => m.auth?.login?.device_name === 'demo client')),
    );
    assert.deepEqual(
      await listed('kind:exec not field:errors[*]'),
      expected((kind, messages) => kind === 'exec' && !messages.some((m) => (m.errors ?? []).length > 0)),
    );
  });

  test('answers for the ids given, as the live list asks, and refuses ids that are not exchange ids', async () => {
    const filter = 'kind:exec not field:errors[*]';
    const all = await listed(filter);
    const asked = [...decoded.keys()].filter((id) => id % 2 === 0);
    const res = await fetch(`http://127.0.0.1:${server.address.port}/api/exchanges?ids=${asked.join(',')}&filter=${encodeURIComponent(filter)}`);
    const page = (await res.json()) as ExchangePage;
    const expected = all.filter((id) => asked.includes(id));
    assert.ok(expected.length > 0 && expected.length < all.length, `${expected.length} of ${all.length} asked about`);
    assert.deepEqual(page.items.map((item) => item.id), expected);
    assert.equal(page.next, null);
    const bad = await fetch(`http://127.0.0.1:${server.address.port}/api/exchanges?ids=3,x&filter=${encodeURIComponent(filter)}`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'ids must be exchange ids separated by commas; got "3,x".' });
  });

  test('answers a bad field path 400 with its position', async () => {
    const res = await fetch(`http://127.0.0.1:${server.address.port}/api/exchanges?filter=${encodeURIComponent('kind:exec field:billing..amount>0')}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'at 24: field path "billing..amount": expected a field name at 9', position: 24 });
  });
});
