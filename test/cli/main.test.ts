import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { projectRoot } from '../../support/proxy-process.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8' });

test('names the commands when called without one, and exits 2', () => {
  const out = cli();
  assert.equal(out.status, 2);
  assert.match(out.stdout, /proxy .*\n.*decode .*\n.*list .*\n.*replay /s);
});

test('says which commands exist when given an unknown one', () => {
  const out = cli('serve');
  assert.equal(out.status, 2);
  assert.equal(out.stderr, "ca2-inspector: unknown command 'serve'; the commands are decode, proxy, list, replay, export, import, open, mock.\n");
});

test('turns a bad option into one line on stderr, exit 2, no stack trace', () => {
  const out = cli('proxy', '--listen', 'nowhere');
  assert.equal(out.status, 2);
  assert.equal(out.stderr, 'ca2-inspector proxy: --listen takes HOST:PORT (like 127.0.0.1:8080) or a port; got "nowhere".\n');
});

test('refuses --ui-token off beyond loopback and a token that cannot go in a link, exit 2', () => {
  const off = cli('proxy', '--ui', '0.0.0.0:0', '--ui-token', 'off');
  assert.equal(off.status, 2);
  assert.match(off.stderr, /^ca2-inspector proxy: --ui-token off is refused with --ui 0\.0\.0\.0: .*bind --ui to 127\.0\.0\.1\.\n$/);
  const spaced = cli('proxy', '--ui-token', 'a b');
  assert.equal(spaced.status, 2);
  assert.match(spaced.stderr, /--ui-token takes letters, digits and - _ \. ~ only/);
});

test('prints the version, and a command help with help COMMAND', () => {
  const version = cli('--version');
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^ca2-inspector \d+\.\d+\.\d+\n$/);
  const help = cli('help', 'list');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: ca2-inspector list /);
  assert.equal(cli('help').status, 0);
});

test('speaks with one voice for option mistakes in every command, exit 2', () => {
  for (const command of ['proxy', 'decode', 'list', 'replay', 'export', 'import', 'open', 'mock']) {
    const unknown = cli(command, '--bogus');
    assert.equal(unknown.status, 2, command);
    assert.equal(unknown.stderr, `ca2-inspector ${command}: unknown option --bogus; see 'ca2-inspector ${command} --help'.\n`);
  }
  const missing = cli('list', '--filter');
  assert.equal(missing.stderr, "ca2-inspector list: --filter needs a value; see 'ca2-inspector list --help'.\n");
});

test('exits 2 from proxy for a --proto that does not load and a --db that is no recording, as decode and list do', () => {
  const proto = cli('proxy', '--proto', '/nope', '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0');
  assert.equal(proto.status, 2);
  assert.match(proto.stderr, /^ca2-inspector proxy: --proto \/nope: no such file or folder;/);
  const db = cli('proxy', '--db', 'README.md', '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0');
  assert.equal(db.status, 2);
  assert.match(db.stderr, /^ca2-inspector proxy: README\.md is not an SQLite database/);
});

test('a port in use is exit 2 with the same sentence for proxy, open and mock', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  // Asynchronous: the port's holder lives in this process and must keep answering.
  const run = async (...args: string[]) => {
    const child = spawn(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    return { code, stderr };
  };
  try {
    const sample = join(mkdtempSync(join(tmpdir(), 'ca2-port-in-use-')), 'sample.sqlite');
    copyFileSync(join(projectRoot, 'test/fixtures/storage/v2.sqlite'), sample);
    const proxy = await run('proxy', '--listen', `127.0.0.1:${port}`, '--ui', '127.0.0.1:0', '--db', ':memory:', '--quiet');
    assert.deepEqual(proxy, { code: 2, stderr: `ca2-inspector proxy: 127.0.0.1:${port} is already in use; pick another --listen\n` });
    const ui = await run('proxy', '--listen', '127.0.0.1:0', '--ui', `127.0.0.1:${port}`, '--db', ':memory:', '--quiet');
    assert.deepEqual(ui, { code: 2, stderr: `ca2-inspector proxy: 127.0.0.1:${port} is already in use; pick another --ui\n` });
    const open = await run('open', sample, '--ui', `127.0.0.1:${port}`);
    assert.deepEqual(open, { code: 2, stderr: `ca2-inspector open: 127.0.0.1:${port} is already in use; pick another --ui\n` });
    const mock = await run('mock', '--db', sample, '--listen', `127.0.0.1:${port}`);
    assert.deepEqual(mock, { code: 2, stderr: `ca2-inspector mock: 127.0.0.1:${port} is already in use; pick another --listen\n` });
  } finally {
    holder.close();
  }
});
