// The fail-closed check searches files and long bytes a piece at a time: a token must be
// found wherever it stands, across the boundary of any two pieces as well as inside one.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeakCheck } from '../../capture/leak-check.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-leak-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMDAwMDQyIn0.c2lnbmF0dXJlLW9mLWEtdGVzdA';
const forms = { plain: token, hex: Buffer.from(token).toString('hex'), base64: Buffer.from(`xx${token}`).toString('base64') };
/** Four pieces of 64 KiB, or most of one of 1 MiB: boundaries at each multiple of 64 KiB. */
const SIZE = 4 * 64 * 1024 + 1000;
const BOUNDARIES = [64 * 1024, 3 * 64 * 1024];

function bytesWith(text: string, at: number): Buffer {
  const bytes = Buffer.alloc(SIZE, '.');
  bytes.write(text, at, 'latin1');
  return bytes;
}

test('finds a token in any form across every piece boundary of a file and of long bytes, and nothing where there is none', () => {
  const check = new LeakCheck([token]);
  const file = join(dir, 'out');
  for (const [name, text] of Object.entries(forms)) {
    for (const boundary of BOUNDARIES) {
      for (let at = boundary - text.length - 1; at <= boundary + 1; at++) {
        const bytes = bytesWith(text, at);
        writeFileSync(file, bytes);
        assert.equal(check.findInFile(file), token, `${name} at ${at} in a file`);
        assert.equal(check.findInBytes(bytes), token, `${name} at ${at} in bytes`);
      }
    }
  }
  writeFileSync(file, Buffer.alloc(SIZE, '.'));
  assert.equal(check.findInFile(file), null);
});
