// The files an export writes, byte for byte as the code that built each document whole in
// memory wrote them (test/fixtures/capture/make-exports.ts kept its output), and a redacted
// HAR formatted exactly as JSON.stringify(document, null, 1) formats it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import { RECORD_BATCH } from '../../capture/record.ts';
import { writeExecRecording } from '../../support/exec-recording.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { exportedFiles } from './export-fixtures.ts';
import { demoProtos, writeSampleRecording } from './sample-recording.ts';
import { writeRuledRecording } from './ruled-recording.ts';
import { flowAsStored } from '../../storage/rows.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/capture/${name}`, import.meta.url), 'utf8');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where two texts first differ, with a little of each around it, for a failure worth reading. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: ${JSON.stringify(a.slice(i - 40, i + 40))} vs ${JSON.stringify(b.slice(i - 40, i + 40))}`;
}

test('HAR and capture exports of the sample and ruled recordings are what the whole-document writer wrote', async () => {
  for (const [name, { har, capture }] of Object.entries(await exportedFiles())) {
    const wantHar = fixture(`${name}-export.har`);
    assert.equal(sha256(har), sha256(wantHar), `${name}.har ${firstDifference(har, wantHar)}`);
    const wantCapture = fixture(`${name}-export.capture.json`);
    assert.equal(sha256(capture), sha256(wantCapture), `${name}.capture ${firstDifference(capture, wantCapture)}`);
  }
});

test('a flow as written reads back as storage reads it, for every exchange of the sample and ruled recordings (what export entries are made from)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-export-bytes-'));
  const codec = createCodec({ protoPaths: [demoProtos] });
  try {
    for (const [name, write] of [['sample', writeSampleRecording], ['ruled', writeRuledRecording]] as const) {
      write(join(dir, `${name}.sqlite`));
      const store = Store.open(join(dir, `${name}.sqlite`), { codec });
      try {
        const ids = store.exchangeIds({ order: 'oldest' });
        assert.ok(ids.length > 0, name);
        for (const id of ids) {
          const read = store.flow(id)!;
          const frames = read.frames.map((frame) => ({ ...frame, exchangeId: id }));
          assert.deepEqual(flowAsStored(read, frames), read, `${name} exchange ${id}`);
        }
      } finally {
        store.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a redacted HAR, empty, of a few exchanges or of several batches of them, is formatted as JSON.stringify(document, null, 1) formats it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-export-bytes-'));
  const codec = createCodec({ protoPaths: [demoProtos] });
  try {
    writeSampleRecording(join(dir, 'rec.sqlite'));
    writeExecRecording(join(dir, 'rec.sqlite'), RECORD_BATCH * 2 + 100);
    const source = Store.open(join(dir, 'rec.sqlite'), { codec });
    try {
      for (const filter of ['', 'status:999', 'service:users']) {
        const output = join(dir, `out-${filter.length}.har`);
        await exportRecording(source, { format: 'har', output, filter, redact: true, codec, toolVersion: 'test' });
        const text = readFileSync(output, 'utf8');
        const again = JSON.stringify(JSON.parse(text), null, 1);
        assert.equal(text, again, `filter "${filter}": ${firstDifference(text, again)}`);
      }
    } finally {
      source.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
