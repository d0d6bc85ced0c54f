import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../support/proxy-process.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/ca2-inspector.js', ...args], { cwd: projectRoot, encoding: 'utf8' });

test('names the commands when called without one, and exits 2', () => {
  const out = cli();
  assert.equal(out.status, 2);
  assert.match(out.stdout, /proxy .*\n.*decode .*\n.*list /s);
});

test('says which commands exist when given an unknown one', () => {
  const out = cli('serve');
  assert.equal(out.status, 2);
  assert.equal(out.stderr, "ca2-inspector: unknown command 'serve'; the commands are decode, proxy, list, mock.\n");
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
