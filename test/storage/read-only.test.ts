import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openForReading } from '../../capture/sources.ts';
import { createCodec } from '../../proto/codec.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';
import { exec } from '../../support/journal-run.ts';

const dir = fs.mkdtempSync(path.join(tmpdir(), 'ca2-read-only-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a reader of a file a proxy is recording into reads it as it is, and the recording goes on', () => {
  const file = path.join(dir, 'live.sqlite');
  const codec = createCodec();
  const writer = Store.open(file, { codec, recording: true });
  const recorder = new Recorder(codec, writer);
  try {
    for (const id of [1, 2]) {
      recorder.requestStarted(exec(id));
      recorder.exchangeEnded(exec(id));
    }
    writer.flush();
    const reader = openForReading(file, { use: { flag: '--db', command: 'list', writes: false } });
    try {
      assert.equal(reader.store.readOnly, true, 'read as it is, not through a copy');
      assert.deepEqual(reader.store.listExchanges({}).items.map((s) => s.id), [2, 1]);
      recorder.requestStarted(exec(3));
      recorder.exchangeEnded(exec(3));
      writer.flush();
      assert.equal(writer.stats().writeFailures, 0, 'the reader holds nothing the writer waits for');
      assert.deepEqual(reader.store.listExchanges({}).items.map((s) => s.id), [3, 2, 1], 'what the proxy writes meanwhile shows');
    } finally {
      reader.close();
    }
  } finally {
    recorder.stop();
    writer.close();
  }
});
