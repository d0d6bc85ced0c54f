// HAR files written by other tools, imported through the recorder (fixtures: see
// test/fixtures/capture/README.md).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForImport, recordAll } from '../../capture/record.ts';
import { readSource } from '../../capture/sources.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { projectRoot } from '../support/proxy-process.ts';
import { demoProtos } from './sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-har-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => join(projectRoot, 'test/fixtures/capture', name);

function importFixture(name: string): ExchangeDetail[] {
  const codec = createCodec({ protoPaths: [demoProtos] });
  const store = openForImport(join(dir, `${name}.sqlite`), codec);
  try {
    const { ids } = recordAll(store, codec, readSource(fixture(name)).exchanges, { dedupe: true });
    return ids.map((id) => store.getExchange(id)!);
  } finally {
    store.close();
  }
}

test('imports a mitmproxy HAR, decoding text bodies that kept their bytes and saying where bytes were lost', () => {
  const [ascii, damaged, ws] = importFixture('mitmproxy.har');
  assert.deepEqual([ascii.kind, ascii.service, ascii.operation, ascii.trx], ['exec', 'users', 'me', 'trx-ascii-1']);
  assert.deepEqual(ascii.problems, []);
  assert.equal(ascii.response!.decoded!.summary.trx, 'trx-ascii-1', 'the base64 response is decoded');
  assert.ok(
    damaged.problems.some((p) => /request body: the HAR file holds it as text with replacement characters \(U\+FFFD\), so bytes were lost/.test(p)),
    damaged.problems.join('; '),
  );
  assert.equal(ws.kind, 'ws');
  assert.deepEqual(ws.frames.map((f) => [f.direction, f.opcode]), [['client', 2], ['server', 2], ['server', 1]]);
  assert.equal(ws.token?.sub, 'usr_mitm', 'WsAuth decoded from the base64 frame');
  assert.equal(ws.frames[0].at, '2026-11-30T14:00:00.460Z', 'times in epoch seconds');
  assert.equal(ws.state, 'complete');
});

test('imports an HTTP Toolkit HAR, taking a binary request body from _content', () => {
  const [exec, ws] = importFixture('httptoolkit.har');
  assert.deepEqual(exec.problems.filter((p) => /HAR file/.test(p)), []);
  assert.deepEqual([exec.service, exec.operation, exec.token?.sub], ['servers', 'list', 'usr_mitm']);
  assert.equal(Buffer.from(exec.request.body, 'base64').subarray(2, 4).toString('hex'), '8f01', 'the binary trx is intact');
  assert.deepEqual(ws.close && { code: ws.close.code, reason: ws.close.reason, at: ws.close.at }, { code: 1000, reason: 'done', at: '2026-11-30T14:00:01.100Z' });
});
