// A script that stops the proxy as soon as it prints that it is ready must get a clean
// stop (exit 0, every record written), not a process killed by the signal's default
// action: the handlers are installed before the ready lines are printed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/ca2-inspector.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ca2-ready-signal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('SIGINT sent the moment "proxy at" is read ends the proxy cleanly, every time', async () => {
  const codes: (number | null)[] = [];
  // Before the fix about one start in four died of the signal: eight starts make a pass by luck unlikely.
  for (let i = 0; i < 8; i++) {
    const args = ['proxy', '--upstream', 'http://127.0.0.1:9', '--quiet', '--db', join(dir, `r${i}.sqlite`), '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0'];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (data: Buffer) => {
      if (String(data).includes('proxy at')) child.kill('SIGINT');
    });
    codes.push(await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))));
  }
  assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0, 0]);
});
