import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createCodec } from '../../proto/codec.ts';
import { schemaVersion } from '../../storage/migrations.ts';
import { TAP_CALL_VERSION } from '../../recorder/tap-codec.ts';
import { exec, journalRun, otherVersion, ws } from '../../support/journal-run.ts';
import { projectRoot, startProxyProcess } from '../../support/proxy-process.ts';

const dir = fs.mkdtempSync(path.join(tmpdir(), 'ca2-file-safety-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const place = (name: string, from: string) => {
  const file = path.join(dir, name);
  fs.copyFileSync(from, file);
  return file;
};

/** A command that ends by itself (a refusal, list, export, import, replay). */
function run(...args: string[]) {
  const out = spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A command that serves until stopped (open, mock): the first stdout line matching `ready`, then SIGINT. */
function serveUntil(args: string[], ready: RegExp): Promise<{ lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`not ready: ${lines.join('\n')}${stderr}`))), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (ready.test(line)) child.kill('SIGINT');
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (lines.some((l) => ready.test(l))) resolve({ lines, stderr });
      else reject(new Error(`exited ${code} before ready: ${lines.join('\n')}${stderr}`));
    });
  });
}

describe('a file that is no recording', () => {
  let other: string;
  let har: string;
  before(() => {
    other = path.join(dir, 'other.sqlite');
    assert.equal(spawnSync('sqlite3', [other, 'create table foo(a)']).status, 0);
    har = path.join(dir, 'bug.har');
    fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [] } }));
  });

  test('is refused by every command with a sentence for that command, and left byte for byte, still in rollback mode', async () => {
    const before = sha256(other);
    const refusals: [string[], string][] = [
      [['list', '--db', other], `${other} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`],
      [['export', '--db', other, '-o', path.join(dir, 'x.har')], `${other} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`],
      [['mock', '--db', other, '--listen', '127.0.0.1:0'], `${other} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`],
      [['replay', '--db', other, '--upstream', 'http://127.0.0.1:9'], `${other} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`],
      [['import', har, '--db', other], `${other} is an SQLite database but not a ca2-inspector recording: pass --db with another file.`],
      [['import', other, '--db', path.join(dir, 'made.sqlite')], `${other} is an SQLite database but not a ca2-inspector recording or capture: import a HAR file, a capture or a recording instead.`],
      [['open', other, '--ui', '127.0.0.1:0'], `${other} is an SQLite database but not a ca2-inspector recording or capture: open a capture or a recording instead.`],
    ];
    for (const [args, sentence] of refusals) {
      const out = run(...args);
      assert.equal(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
      assert.equal(out.stderr, `ca2-inspector ${args[0]}: ${sentence}\n`);
      assert.equal(sha256(other), before, `${args[0]} changed the file`);
    }
    await assert.rejects(startProxyProcess(['--db', other]), /other\.sqlite is an SQLite database but not a ca2-inspector recording: pass --db with another file\./);
    assert.equal(sha256(other), before, 'proxy changed the file');
    const header = fs.readFileSync(other).subarray(18, 20);
    assert.deepEqual([...header], [1, 1], 'still in rollback-journal mode, not switched to WAL');
    assert.ok(!fs.existsSync(path.join(dir, 'made.sqlite')), 'a refused import leaves no recording behind');
  });

  test('a HAR file given where a recording goes gets the command that imports it', async () => {
    const hint = (flag: string) => `${har} is a HAR file, not a recording: import it first (ca2-inspector import ${har} --db ${path.join(dir, 'bug.sqlite')}), then pass ${flag} ${path.join(dir, 'bug.sqlite')}.`;
    for (const args of [['mock', '--db', har], ['replay', '--db', har, '--upstream', 'http://127.0.0.1:9'], ['list', '--db', har]]) {
      const out = run(...args);
      assert.equal(out.code, 2);
      assert.equal(out.stderr, `ca2-inspector ${args[0]}: ${hint('--db')}\n`);
    }
    await assert.rejects(startProxyProcess(['--mock', har]), (err: Error) => err.message.includes(hint('--mock')));
  });
});

describe('readers of an older recording', () => {
  test('list, export, mock, open and replay read version 2 as it is and leave it byte for byte; proxy migrates it and says so', async () => {
    const v2 = place('v2.sqlite', path.join(projectRoot, 'test/fixtures/storage/v2.sqlite'));
    const original = sha256(v2);
    const listed = run('list', '--db', v2, '--filter', 'ada');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^12:00:00\.000 +exec +auth\.1 /);
    const named = run('list', '--db', v2, '--proto', path.join(projectRoot, 'demo/protos'), '--filter', 'op:login');
    assert.match(named.stdout, /auth\.login/);
    const exported = run('export', '--db', v2, '-o', path.join(dir, 'v2.capture'));
    assert.equal(exported.code, 0, exported.stderr);
    await serveUntil(['mock', '--db', v2, '--listen', '127.0.0.1:0'], /serving at/);
    const opened = await serveUntil(['open', v2, '--ui', '127.0.0.1:0'], /showing .*2 exchange\(s\), read-only/);
    assert.ok(opened.lines.length > 0);
    const replayed = run('replay', '--db', v2, '--upstream', 'http://127.0.0.1:9', '--timing', 'none');
    assert.match(replayed.stdout, /recording into .*v2\.replay-1\.sqlite/);
    assert.equal(sha256(v2), original, 'no reader changed the file');
    assert.equal(new Database(v2, { readonly: true }).pragma('user_version', { simple: true }), 2);

    const proxy = await startProxyProcess(['--db', v2, '--upstream', 'http://127.0.0.1:9', '--quiet']);
    try {
      assert.ok(proxy.lines.includes(`recording: migrating ${v2} from version 2 to ${schemaVersion}…`), proxy.lines.join('\n'));
    } finally {
      await proxy.stop();
    }
  });

  test('a journal a killed run left is read in place by list: it shows its exchanges as storing them would, and the file is left as it is', () => {
    const codec = createCodec();
    const file = path.join(dir, 'killed.sqlite');
    const dead = journalRun(file, codec);
    dead.writer.exchangeEnded(exec(1), 'with');
    dead.writer.requestStarted(exec(2));
    dead.writer.exchangeEnded(ws(3), 'with');
    dead.pump();
    dead.store.flush();
    // As kill -9 leaves it: journal rows committed, and a recorder that never closed.
    const db = new Database(file);
    db.prepare("UPDATE store_state SET value = 2147483646 WHERE key = 'recorder_pid'").run();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = sha256(file);
    const out = run('list', '--db', file);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim().split('\n').length, 3, out.stdout);
    assert.match(out.stdout, /interrupted/);
    assert.equal(out.stderr, '', 'nothing was stored, so nothing is said');
    assert.equal(sha256(file), before);
    assert.ok(dead.rows().journaled > 0, 'the journal is still in the file, for the next proxy run');
  });

  test('a journal row another ca2-inspector wrote is said by list and by the proxy, and kept as written', async () => {
    const codec = createCodec();
    const file = path.join(dir, 'newer-journal.sqlite');
    const dead = journalRun(file, codec);
    for (let id = 1; id <= 3; id++) dead.writer.exchangeEnded(exec(id), 'with');
    dead.pump();
    dead.journal.stop();
    dead.recorder.stop();
    dead.store.close();
    const db = new Database(file);
    const row = db.prepare('SELECT seq, records FROM tap_journal').get() as { seq: number; records: Buffer };
    const newer = otherVersion(row.records, 200);
    db.prepare('UPDATE tap_journal SET records = ? WHERE seq = ?').run(newer, row.seq);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const said = `${file}: 1 journal row (3 tap calls) written by a newer ca2-inspector (tap calls of version 200; this one reads version ${TAP_CALL_VERSION}) is kept in the file as written; the ca2-inspector that wrote it, or a newer one, reads it.`;
    const before = sha256(file);
    const out = run('list', '--db', file);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, '');
    assert.equal(out.stderr, `ca2-inspector: ${said}\n`);
    assert.equal(sha256(file), before);

    const proxy = await startProxyProcess(['--db', file, '--upstream', 'http://127.0.0.1:9', '--quiet']);
    try {
      assert.ok(proxy.lines.includes(`recording: ${said}`), proxy.lines.join('\n'));
    } finally {
      assert.equal(await proxy.stop('SIGINT'), 0);
    }
    const after = new Database(file, { readonly: true });
    assert.deepEqual(after.prepare('SELECT seq, records FROM tap_journal').all(), [{ seq: row.seq, records: newer }]);
    after.close();
  });
});

describe('crafted captures', () => {
  const hostile = path.join(projectRoot, 'test/fixtures/hostile');
  const refusal: Record<string, RegExp> = {
    'trigger.sqlite': /holds a trigger \(grow\), which no ca2-inspector recording has: it is refused unread, since reading it could run SQL the file carries\./,
    'view.sqlite': /holds a view \(exchanges\), which no ca2-inspector recording has: it is refused unread, since reading it could run SQL the file carries\./,
    'generated.sqlite': /says it is a ca2-inspector recording \(version 6\), but its table exchanges is not as that version made it: it is refused unread\./,
  };
  for (const [name, sentence] of Object.entries(refusal)) {
    test(`${name} is refused unread by every command, with nothing written`, () => {
      const file = place(name, path.join(hostile, name));
      const before = sha256(file);
      const har = path.join(dir, 'empty.har');
      fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [] } }));
      for (const args of [
        ['list', '--db', file],
        ['export', '--db', file, '-o', path.join(dir, `${name}.har`)],
        ['mock', '--db', file, '--listen', '127.0.0.1:0'],
        ['import', file, '--db', path.join(dir, `into-${name}`)],
        ['import', har, '--db', file],
        ['open', file, '--ui', '127.0.0.1:0'],
        ['replay', '--db', file, '--upstream', 'http://127.0.0.1:9'],
      ]) {
        const out = run(...args);
        assert.equal(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
        assert.match(out.stderr, sentence, args.join(' '));
        assert.equal(out.stderr.split('\n').length, 2, 'one line');
        assert.equal(sha256(file), before, `${args[0]} wrote to the file`);
      }
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(`into-${name}`) || f.startsWith(`${name}.`)), []);
    });
  }
});
