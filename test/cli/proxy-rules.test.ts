// proxy --rules FILE as a user runs it: a broken file stops the start with one sentence
// and exit 2; a working one changes traffic, and the recording keeps both versions,
// found again with rule:NAME.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { demoProtoDir } from '../../demo/paths.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { startDemoServer } from '../../demo/server.ts';
import { startProxyProcess } from '../../support/proxy-process.ts';

const bin = fileURLToPath(new URL('../../bin/ca2-inspector.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ca2-proxy-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a broken rules file stops the start: exit 2 and one sentence naming the file and line', () => {
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, '- name: slow logins\n  at: request\n  delay: soon\n');
  const run = spawnSync(process.execPath, [bin, 'proxy', '--rules', file, '--db', join(dir, 'b.sqlite'), '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr.trim(), `ca2-inspector proxy: ${file}:3: rule "slow logins": delay: expected a time such as 1500ms or 2s.`);
  assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at /, 'no stack trace');
});

test('the recording keeps what the client sent and what went on, marked with the rule and found with rule:NAME', async () => {
  const demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  const file = join(dir, 'rules.yaml');
  const db = join(dir, 'r.sqlite');
  writeFileSync(file, '- name: no balances\n  at: response\n  match: service:billing op:balance\n  set: { errors: [SE_RATE_LIMIT_EXCEEDED_ERROR] }\n');
  const proxy = await startProxyProcess(['--upstream', demo.url.href, '--rules', file, '--db', db, '--proto', demoProtoDir]);
  try {
    assert.ok(proxy.lines.some((l) => l === `rules: loaded 1 rule: "no balances" from ${file}`));
    const codec = createCodec({ protoPaths: [demoProtoDir] });
    const request = codec.encode('ClientRequest', { trx: 'AAECAwQFBgcICQoLDA0ODw==', billing: { balance: {} } });
    const res = await fetch(`${proxy.proxyUrl}/exec`, { method: 'POST', body: new Uint8Array(request), headers: { 'content-type': 'application/x-protobuf' } });
    const answer = codec.decode('ServerResponse', new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(answer.json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
  } finally {
    assert.equal(await proxy.stop('SIGINT'), 0);
    await demo.close();
  }
  assert.ok(proxy.lines.some((l) => /billing\.balance .*changed by "no balances"/.test(l)), proxy.lines.join('\n'));
  const store = Store.openReadOnly(db, { codec: createCodec({ protoPaths: [demoProtoDir] }), use: { flag: '--db', command: 'list', writes: false } });
  try {
    const [changed] = store.listExchanges({ filter: 'rule:"no balances"' }).items;
    assert.ok(changed);
    assert.deepEqual(changed.rules, ['no balances']);
    assert.equal(store.listExchanges({ filter: 'rule:other' }).items.length, 0);
    const detail = store.getExchange(changed.id)!;
    assert.deepEqual(detail.response!.decoded!.json.errors, ['SE_RATE_LIMIT_EXCEEDED_ERROR']);
    assert.equal(detail.original!.request, null);
    assert.equal(detail.original!.response!.status, 200);
    assert.deepEqual(detail.original!.response!.decoded!.json.errors, ['SE_TOKEN_REQUIRED_ERROR'], 'what the upstream answered');
  } finally {
    store.close();
  }
});
