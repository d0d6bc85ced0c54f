// The sample and the ruled recordings exported with --keep-tokens as HAR and as a capture,
// in a form that is the same whenever they are made: the time of the export and each
// recording's random id are put back to fixed values, and a capture is given as every
// exchange's detail as it serves it. test/fixtures/capture/make-exports.ts wrote what
// today's code writes; test/capture/export-bytes.test.ts compares.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import { createCodec } from '../../proto/codec.ts';
import { readCaptureMeta } from '../../storage/capture-meta.ts';
import { Store } from '../../storage/store.ts';
import { writeRuledRecording } from './ruled-recording.ts';
import { demoProtos, writeSampleRecording } from './sample-recording.ts';

const MADE_AT = /"madeAt": "[^"]*"/;
/** The recording's random id in each exchange's name (storage/content-keys.ts). */
const RECORDING_ID = /"id": "[0-9a-f]{32}\//g;

export async function exportedFiles(): Promise<Record<'sample' | 'ruled', { har: string; capture: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-export-fixtures-'));
  const codec = createCodec({ protoPaths: [demoProtos] });
  try {
    const made = async (name: string, write: (file: string) => void) => {
      const file = join(dir, `${name}.sqlite`);
      write(file);
      const source = Store.open(file, { codec });
      try {
        const options = { redact: false, codec, toolVersion: '0.1.0-test' };
        await exportRecording(source, { ...options, format: 'har', output: join(dir, `${name}.har`) });
        await exportRecording(source, { ...options, format: 'capture', output: join(dir, `${name}.capture`) });
      } finally {
        source.close();
      }
      const har = readFileSync(join(dir, `${name}.har`), 'utf8').replace(MADE_AT, '"madeAt": "2026-01-15T12:00:00.000Z"').replace(RECORDING_ID, `"id": "${'0'.repeat(32)}/`);
      return { har, capture: captureText(join(dir, `${name}.capture`), codec) };
    };
    return { sample: await made('sample', writeSampleRecording), ruled: await made('ruled', writeRuledRecording) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function captureText(file: string, codec: ReturnType<typeof createCodec>): string {
  const { meta } = readCaptureMeta(file)!;
  const store = Store.open(file, { codec });
  try {
    const details = store.listExchanges({ limit: 1000 }).items.reverse().map((item) => store.getExchange(item.id));
    return `${JSON.stringify({ meta: { ...meta, madeAt: '2026-01-15T12:00:00.000Z' }, details }, null, 1)}\n`;
  } finally {
    store.close();
  }
}
