import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createCodec } from '../../proto/codec.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { readCaptureMeta } from '../../storage/capture-meta.ts';
import { examine } from '../../storage/file-check.ts';
import { Store } from '../../storage/store.ts';
import { projectRoot } from '../../support/proxy-process.ts';
import { startOpen } from './open-process.ts';

const dir = fs.mkdtempSync(path.join(tmpdir(), 'ca2-kept-schema-'));
const file = path.join(dir, 'demo.sqlite');
const demo = createCodec({ protoPaths: [path.join(projectRoot, 'demo/protos')] });
const sha256 = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

function encode(type: string, text: string): Buffer {
  const out = spawnSync('protoc', [`--encode=${type}`, '-I', 'demo/protos', 'demo/protos/ca2.proto'], { cwd: projectRoot, input: text });
  assert.equal(out.status, 0, String(out.stderr));
  return out.stdout;
}

before(() => {
  // As the proxy in demo mode records: the demo's schema, through the recorder.
  const store = Store.open(file, { codec: demo, recording: true });
  const recorder = new Recorder(demo, store);
  const request = encode('ca2.ClientRequest', 'trx: "trx-create" instances { create { name: "web-1" labels { key: "env" value: "prod" } } }');
  const response = encode('ca2.ServerResponse', 'trx: "trx-create" errors: SE_INTERNAL_SERVER_ERROR');
  const headers: [string, string][] = [['Content-Type', 'application/x-protobuf']];
  const at = Date.now() - 60_000;
  const flow = {
    id: 1, source: 'live' as const, kind: 'exec' as const, startedAt: at, endedAt: at + 9, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers, body: request, size: request.length, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers, body: response, size: response.length, truncated: false },
    error: null,
  };
  recorder.requestStarted(flow);
  recorder.exchangeEnded(flow);
  recorder.stop();
  store.close();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('list reads a recording with the schema it was recorded with: the README example names the operation', () => {
  const before = sha256(file);
  const out = cli('list', '--db', file, '--filter', 'service:instances error:any since:1h');
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /exec +instances\.create +200/);
  assert.match(cli('list', '--db', file, '--filter', 'op:create').stdout, /instances\.create/);
  assert.match(cli('list', '--db', file, '--filter', 'web-1').stdout, /instances\.create/, 'a word of the request, decoded by name');
  assert.equal(sha256(file), before);
});

test('--proto still replaces it, for that read only', () => {
  const out = cli('list', '--db', file, '--proto', path.join(projectRoot, 'test/fixtures/codec/schema'), '--json');
  assert.equal(out.code, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).service, 'instances');
  assert.equal(examine(file, { flag: '--db', command: 'list', writes: false }).schema!.fingerprint, demo.fingerprint, 'the file keeps its schema');
});

test('export embeds the schema the recording keeps', () => {
  const capture = path.join(dir, 'bug.capture');
  const out = cli('export', '--db', file, '-o', capture);
  assert.equal(out.code, 0, out.stderr);
  const embedded = createCodec({ descriptorSet: { bytes: readCaptureMeta(capture)!.descriptorSet, label: capture } });
  const request = encode('ca2.ClientRequest', 'trx: "t" instances { create { name: "web-2" } }');
  assert.deepEqual(embedded.decode('ClientRequest', request).json.instances, { create: { name: 'web-2' } });
  assert.match(cli('list', '--db', capture, '--filter', 'op:create').stdout, /instances\.create/);
});

test('a capture exported by the CLI and opened without --proto shows a map as the object it is', async () => {
  const capture = path.join(dir, 'labels.capture');
  const out = cli('export', '--db', file, '-o', capture);
  assert.equal(out.code, 0, out.stderr);
  const open = await startOpen([capture, '--ui-token', 'labels-token']);
  try {
    const get = async (at: string) => (await fetch(new URL(at, open.link.origin), { headers: { Authorization: 'Bearer labels-token' } })).json();
    const [item] = (await get('/api/exchanges?filter=op:create')).items;
    const detail = await get(`/api/exchanges/${item.id}`);
    assert.deepEqual(detail.request.decoded.json.instances.create, { name: 'web-1', labels: { env: 'prod' } });
  } finally {
    assert.equal(await open.stop(), 0, open.output());
  }
});

test('a writer with another schema replaces the one kept, and readers follow it', () => {
  const copy = path.join(dir, 'rerecorded.sqlite');
  fs.copyFileSync(file, copy);
  const bundled = createCodec();
  Store.open(copy, { codec: bundled, recording: true }).close();
  assert.equal(examine(copy, { flag: '--db', command: 'list', writes: false }).schema!.fingerprint, bundled.fingerprint);
  assert.match(cli('list', '--db', copy).stdout, /instances\.2 /);
});

test('mock matches with the schema the recording keeps, and says so', async () => {
  const child = spawn(process.execPath, ['bin/ca2-inspector.js', 'mock', '--db', file, '--listen', '127.0.0.1:0', '--ignore', 'instances.create.name'], { cwd: projectRoot });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`mock exited ${code}: ${lines.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (/serving at/.test(line)) resolve();
    });
  });
  child.removeAllListeners('exit');
  try {
    assert.equal(lines[1], `ca2-inspector mock: schema: the one ${file} was recorded with`);
    const url = /serving at (\S+);/.exec(lines[2])![1];
    const answer = await fetch(new URL('/exec', url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(encode('ca2.ClientRequest', 'trx: "new" instances { create { name: "other" labels { key: "env" value: "prod" } } }')),
    });
    assert.equal(answer.headers.get('x-ca2-mock'), null, '--ignore by field name matched the recorded create');
  } finally {
    child.kill('SIGINT');
  }
});
