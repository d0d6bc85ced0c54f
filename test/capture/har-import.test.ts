// HAR files written by other tools, imported through the recorder (fixtures: see
// test/fixtures/capture/README.md).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import { SourceError } from '../../capture/source-error.ts';
import { importInto } from './import-file.ts';
import type { ExchangeDetail } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { writeExecRecording } from '../../support/exec-recording.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { demoProtos } from './sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-har-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => join(projectRoot, 'test/fixtures/capture', name);

function importFile(db: string, file: string): ExchangeDetail[] {
  const codec = createCodec({ protoPaths: [demoProtos] });
  return importInto(db, file, codec, (store, { ids }) => ids.map((id) => store.getExchange(id)!));
}

const importFixture = (name: string) => importFile(join(dir, `${name}.sqlite`), fixture(name));

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

test('refuses every field out of its range, naming the entry and the field, and stores nothing of the file', () => {
  const base = JSON.parse(readFileSync(fixture('mitmproxy.har'), 'utf8'));
  const cases: [string, (entries: any[]) => void, RegExp][] = [
    ['frame time', (e) => (e[2]._webSocketMessages[1].time = 1e300), /entries\[2\]\._webSocketMessages\[1\]\.time is 1e\+300, not a time between 1970 and 9999/],
    ['fractional _seq', (e) => (e[2]._webSocketMessages[1]._seq = 1.5), /entries\[2\]\._webSocketMessages\[1\]\._seq is 1\.5, not a whole number from 0/],
    ['repeated _seq', (e) => ((e[2]._webSocketMessages[0]._seq = 4), (e[2]._webSocketMessages[2]._seq = 4)), /entries\[2\]\._webSocketMessages\[2\]\._seq is 4, as is _webSocketMessages\[0\]\._seq; each frame needs its own/],
    ['status too large', (e) => (e[0].response.status = 1000), /entries\[0\]\.response\.status is 1000, not an HTTP status/],
    ['fractional status', (e) => (e[1].response.status = 200.5), /entries\[1\]\.response\.status is 200\.5, not an HTTP status/],
    ['header name', (e) => (e[0].request.headers[0].name = 'Bad Name'), /entries\[0\]\.request\.headers\[0\]\.name is "Bad Name", not a header name/],
    ['header value', (e) => (e[0].response.headers[0].value = 'a\r\nInjected: 1'), /entries\[0\]\.response\.headers\[0\]\.value holds a line break or another control character/],
    ['close code', (e) => (e[2]._webSocketClose = { code: 99999, reason: '', timestamp: 1796047201.1 }), /entries\[2\]\._webSocketClose\.code is 99999, not a close code/],
    ['close reason', (e) => (e[2]._webSocketClose = { code: 1000, reason: 'x'.repeat(124), timestamp: 1796047201.1 }), /entries\[2\]\._webSocketClose\.reason is 124 bytes; a close reason is at most 123/],
    ['close time', (e) => (e[2]._webSocketClose = { code: 1000, reason: '', timestamp: -1e22 }), /entries\[2\]\._webSocketClose\.timestamp is -1e\+22, not a time between 1970 and 9999/],
    ['start', (e) => (e[1].startedDateTime = '+275760-09-13T00:00:00.000Z'), /entries\[1\]\.startedDateTime is "\+275760-09-13T00:00:00\.000Z", not a time between 1970 and 9999/],
    ['negative time', (e) => (e[0].time = -5), /entries\[0\]\.time is -5, not a duration in milliseconds/],
    ['endless time', (e) => (e[0].time = 1e300), /entries\[0\]\.time is 1e\+300, not a duration in milliseconds/],
    ['opcode', (e) => (e[2]._webSocketMessages[0].opcode = 3), /entries\[2\]\._webSocketMessages\[0\]\.opcode is 3, not a WebSocket opcode/],
    ['frame size', (e) => (e[2]._webSocketMessages[0]._size = 2.5), /entries\[2\]\._webSocketMessages\[0\]\._size is 2\.5, not a size in bytes/],
    ['body size', (e) => (e[0].request.bodySize = 1.5), /entries\[0\]\.request\.bodySize is 1\.5, not a size in bytes/],
    ['content size', (e) => (e[0].response.content.size = -7), /entries\[0\]\.response\.content\.size is -7, not a size in bytes/],
    ['scheme', (e) => (e[0].request.url = 'ftp://api.example.test/exec'), /entries\[0\]\.request\.url "ftp:\/\/api\.example\.test\/exec" is not an http, https, ws or wss URL/],
    ['method', (e) => (e[0].request.method = 'GE T'), /entries\[0\]\.request\.method is "GE T", not an HTTP method/],
    ['name', (e) => (e[1]._ca2 = { id: 'entry-1' }), /entries\[1\]\._ca2\.id is "entry-1", not the id ca2-inspector gives an exchange/],
  ];
  const db = join(dir, 'refused.sqlite');
  for (const [name, mutate, expected] of cases) {
    const har = structuredClone(base);
    mutate(har.log.entries);
    const file = join(dir, 'bug.har');
    writeFileSync(file, JSON.stringify(har));
    assert.throws(() => importFile(db, file), (err: Error) => {
      assert.ok(err instanceof SourceError, `${name}: ${err.stack}`);
      assert.match(err.message, expected, name);
      assert.ok(err.message.startsWith(`${file}: `) && err.message.endsWith('; fix or remove that entry, nothing from this file was imported.'), err.message);
      return true;
    });
  }
  const store = Store.open(db);
  try {
    assert.equal(store.listExchanges({}).items.length, 0);
  } finally {
    store.close();
  }
});

test('leaves out the HTTP/2 pseudo-headers Chrome writes among the headers: they are the method and URL again', () => {
  const har = JSON.parse(readFileSync(fixture('mitmproxy.har'), 'utf8'));
  har.log.entries[0].request.headers.unshift({ name: ':method', value: 'POST' }, { name: ':authority', value: 'api.example.test' });
  const file = join(dir, 'h2.har');
  writeFileSync(file, JSON.stringify(har));
  const [exec] = importFile(join(dir, 'h2.sqlite'), file);
  assert.deepEqual(exec.request.headers.filter(([name]) => name.startsWith(':')), []);
  assert.ok(exec.request.headers.length > 0);
});

test('a file refused at its last entry, past the first batches written, leaves the recording as it was', async () => {
  const codec = createCodec({ protoPaths: [demoProtos] });
  const source = join(dir, 'many.sqlite');
  writeExecRecording(source, 1_200);
  const store = Store.open(source, { codec });
  const har = join(dir, 'many.har');
  try {
    await exportRecording(store, { format: 'har', output: har, redact: false, codec, toolVersion: 'test' });
  } finally {
    store.close();
  }
  const db = join(dir, 'many-into.sqlite');
  importFile(db, fixture('mitmproxy.har'));
  const document = JSON.parse(readFileSync(har, 'utf8'));
  document.log.entries.at(-1).response.status = 'teapot';
  writeFileSync(har, JSON.stringify(document));
  assert.throws(() => importFile(db, har), (err: Error) => err instanceof SourceError && err.message.startsWith(`${har}: entries[1199].response.status is not a number`));
  const count = spawnSync('sqlite3', [db, 'SELECT count(*) FROM exchanges'], { encoding: 'utf8' });
  assert.equal(count.stdout.trim(), '3', 'only the three mitmproxy exchanges imported before');
});
