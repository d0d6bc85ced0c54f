import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../support/proxy-process.ts';
import { demoProtos, writeSampleRecording } from '../capture/sample-recording.ts';
import { startOpen } from './open-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-cli-open-'));
const db = join(dir, 'rec.sqlite');
const capture = join(dir, 'bundled.capture');

before(() => {
  writeSampleRecording(db);
  // Exported with the bundled schema only: the capture embeds it, so service fields show by number.
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'export', '--db', db, '-o', capture], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `open`, waits for its link, hands it to `use`, then stops it with SIGINT. */
async function withOpen(args: string[], use: (link: URL, output: string) => Promise<void>): Promise<void> {
  const open = await startOpen(args);
  try {
    await use(open.link, open.output());
  } finally {
    assert.equal(await open.stop(), 0, open.output());
  }
}

async function api(link: URL, path: string) {
  const token = link.searchParams.get('token')!;
  const response = await fetch(new URL(path, link.origin), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return response.json();
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('open serves a capture read-only with its embedded schema, behind the UI token', async () => {
  const before = sha(capture);
  await withOpen([capture], async (link, output) => {
    assert.match(output, /a capture made .* by ca2-inspector \S+, tokens redacted\), 5 exchange\(s\), read-only/);
    const anonymous = await fetch(new URL('/api/exchanges', link.origin));
    assert.equal(anonymous.status, 401);
    const page = await api(link, '/api/exchanges?filter=trx:trx-login');
    const detail = await api(link, `/api/exchanges/${page.items[0].id}`);
    assert.deepEqual(Object.keys(detail.request.decoded.json.auth), ['1'], 'fields by number, as the bundled schema decodes them');
  });
  assert.equal(sha(capture), before, 'the file is not written');
});

test('open --proto decodes everything again with the schema given', async () => {
  await withOpen([capture, '--proto', demoProtos], async (link) => {
    const page = await api(link, '/api/exchanges?filter=trx:trx-login');
    const detail = await api(link, `/api/exchanges/${page.items[0].id}`);
    assert.deepEqual(Object.keys(detail.request.decoded.json.auth), ['login']);
  });
});

test('open refuses a HAR file with a sentence saying to import it', () => {
  const har = join(dir, 'x.har');
  spawnSync(process.execPath, ['bin/ca2-inspector.js', 'export', '--db', db, '-o', har], { cwd: projectRoot });
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'open', har], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /is not a capture or a recording; to look at a HAR file, import it first/);
});

test('open takes the inspector options the proxy takes, so a script can open a capture with a known token', async () => {
  await withOpen([capture, '--ui-token', 'known-token.1', '--ui-allow-host', 'inspector.example'], async (link) => {
    assert.equal(link.searchParams.get('token'), 'known-token.1');
    const page = await api(link, '/api/exchanges');
    assert.equal(page.items.length, 5);
    const byName = await fetch(new URL('/api/stats', link.origin), {
      headers: { Authorization: 'Bearer known-token.1', Host: 'inspector.example' },
    });
    assert.equal(byName.status, 200, 'the allowed name is answered');
  });
  const bad = spawnSync(process.execPath, ['bin/ca2-inspector.js', 'open', capture, '--ui-token', 'a b'], { cwd: projectRoot, encoding: 'utf8' });
  assert.deepEqual([bad.status, bad.stderr], [2, 'ca2-inspector open: --ui-token takes letters, digits and - _ . ~ only (it goes in a link and a cookie); got "a b".\n']);
});
