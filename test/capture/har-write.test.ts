import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarWriter } from '../../capture/har-write.ts';
import type { HarEntry } from '../../capture/har.ts';

const log = { version: '1.2' as const, creator: { name: 'ca2-inspector', version: '0.0.0' }, _ca2: { madeAt: '2026-01-15T12:00:00.000Z', filter: 'é "quoted"', redacted: true } };

/** The file HarWriter writes for these entries, and JSON.stringify's text for the whole document. */
function written(entries: HarEntry[]): { file: string; whole: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-har-write-'));
  try {
    const writer = new HarWriter(join(dir, 'out.har'), log);
    for (const entry of entries) writer.write(entry);
    writer.end();
    writer.close();
    return { file: readFileSync(join(dir, 'out.har'), 'utf8'), whole: JSON.stringify({ log: { version: log.version, creator: log.creator, entries, _ca2: log._ca2 } }, null, 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function entry(i: number, text: string): HarEntry {
  return { startedDateTime: `#${i}`, time: i, request: { method: 'POST', url: `http://h/${i}`, postData: { mimeType: 'text/plain', text } }, _ca2: { nested: [[{ deep: text.slice(0, 3) }]] } } as unknown as HarEntry;
}

test('writes entries as JSON.stringify writes the whole document, over many writes of the gathered output and past multi-byte text at its edges', () => {
  // About 6 MiB of entries in all, text of 1, 2, 3 and 4 bytes a character, so the gathered output fills mid-entry more than once.
  const entries = Array.from({ length: 3_000 }, (_, i) => entry(i, ['a', 'é', '€', '\u{1F600}'][i % 4].repeat(500 + (i % 7))));
  const { file, whole } = written(entries);
  assert.equal(file, whole);
});

test('writes an entry larger than the gathered output, between small ones, and no entries as an empty array on one line', () => {
  const { file, whole } = written([entry(0, 'x'), entry(1, '€'.repeat(3 * 2 ** 20)), entry(2, 'y')]);
  assert.equal(file, whole);
  const empty = written([]);
  assert.equal(empty.file, empty.whole);
});
