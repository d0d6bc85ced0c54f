import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../support/proxy-process.ts';
import { openForImport, recordAll } from '../../capture/record.ts';
import { createCodec } from '../../proto/codec.ts';
import { demoProtos, protocEncode, tokens, writeSampleRecording } from '../capture/sample-recording.ts';
import { wireFlow } from '../../support/flow-head.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-cli-export-'));
const db = join(dir, 'rec.sqlite');

function cli(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

before(() => writeSampleRecording(db));
after(() => rmSync(dir, { recursive: true, force: true }));

test('export picks HAR for a .har output, redacts and says what it replaced', () => {
  const out = cli('export', '--db', db, '-o', join(dir, 'a.har'), '--filter', 'kind:exec', '--proto', demoProtos);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /3 exchange\(s\) written to .*a\.har \(HAR 1\.2\)/);
  assert.match(out.stdout, /token\(s\) redacted: .*ClientRequest\.token ×2.*no original token is left in the file/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'a.har'), 'utf8')).log.entries.length, 3);
});

test('export writes a capture for any other extension, and --keep-tokens says the tokens stay', () => {
  const out = cli('export', '--db', db, '-o', join(dir, 'b.capture'), '--keep-tokens');
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /5 exchange\(s\) written to .*b\.capture \(capture\)/);
  assert.match(out.stdout, /--keep-tokens: tokens are written as recorded/);
  assert.ok(readFileSync(join(dir, 'b.capture')).includes(tokens.bearer));
});

test('export refuses bad options in one line with exit 2, writing nothing', () => {
  const format = cli('export', '--db', db, '--format', 'zip', '-o', join(dir, 'c.har'));
  assert.deepEqual([format.code, format.stderr], [2, 'ca2-inspector export: --format takes har or capture; got "zip".\n']);
  const filter = cli('export', '--db', db, '--filter', 'status:', '-o', join(dir, 'c.har'));
  assert.equal(filter.code, 2);
  assert.match(filter.stderr, /^ca2-inspector export: --filter at 7: expected a value after "status:"\n$/);
  const both = cli('export', '--db', db, '--keep-tokens', '--strip-claims');
  assert.equal(both.code, 2);
  assert.ok(!existsSync(join(dir, 'c.har')));
  assert.match(cli('export', '--db', join(dir, 'none.sqlite')).stderr, /none\.sqlite does not exist/);
});

test('an output path that cannot be written is said before any work, and nothing is left behind', () => {
  const missingFolder = cli('export', '--db', db, '-o', '/nonexistent/dir/x.har');
  assert.deepEqual(
    [missingFolder.code, missingFolder.stderr],
    [2, 'ca2-inspector export: -o /nonexistent/dir/x.har: the folder /nonexistent/dir does not exist; create it or write somewhere else.\n'],
  );
  const before = readdirSync(dir).sort();
  const folder = spawnSync(process.execPath, [join(projectRoot, 'bin/ca2-inspector.js'), 'export', '--db', db, '-o', '.'], { cwd: dir, encoding: 'utf8' });
  assert.deepEqual([folder.status, folder.stderr], [2, 'ca2-inspector export: -o . is a folder; name a file in it, like ./out.\n']);
  assert.deepEqual(readdirSync(dir).sort(), before, 'no ...partial file is left');
  // For root (as CI runs), /proc passes the folder checks but refuses a new folder in it; others are refused by the checks.
  const refused = cli('export', '--db', db, '-o', '/proc/ca2-export-test.har');
  const sentence =
    process.getuid?.() === 0
      ? 'Could not write /proc/ca2-export-test.har (ENOENT); nothing was written there. Write somewhere else.'
      : '-o /proc/ca2-export-test.har cannot be written (permission denied); write somewhere else.';
  assert.deepEqual([refused.code, refused.stderr], [2, `ca2-inspector export: ${sentence}\n`]);
});

test('export takes the token out of a ClientRequest that breaks off after it, in the HAR and in the capture', () => {
  const token = 'broken-request-token-5150';
  const body = Buffer.concat([protocEncode('ca2.ClientRequest', `trx: "trx-broken" token: "${token}"`), Buffer.from([0xff])]);
  const broken = join(dir, 'broken.sqlite');
  const codec = createCodec();
  const store = openForImport(broken, codec);
  recordAll(store, codec, [wireFlow({
    kind: 'exec', startedAt: 1_800_000_000_000, endedAt: 1_800_000_000_002,
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [['Content-Type', 'application/x-protobuf']], body, size: body.length, truncated: false },
  })], { dedupe: false });
  store.close();
  for (const output of [join(dir, 'broken.har'), join(dir, 'broken.capture')]) {
    const out = cli('export', '--db', broken, '-o', output);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /1 token\(s\) redacted: ClientRequest\.token ×1; no original token is left in the file/);
    assert.ok(!readFileSync(output).includes(token), output);
  }
  const [entry] = JSON.parse(readFileSync(join(dir, 'broken.har'), 'utf8')).log.entries;
  assert.ok(!Buffer.from(entry.request.postData.text, 'base64').includes(token));
  assert.match(entry.request.postData._decoded.token, /^redacted-[0-9a-f]{16}$/);
  const dump = spawnSync('sqlite3', [join(dir, 'broken.capture'), 'SELECT hex(request_body) FROM exchange_bodies'], { encoding: 'utf8' });
  assert.ok(!Buffer.from(dump.stdout.trim(), 'hex').includes(token), 'the stored body, read by the sqlite3 CLI');
});
