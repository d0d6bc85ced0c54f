// Which imported exchanges are the same one: 10,000 identical calls recorded within a few
// milliseconds are 10,000 exchanges, through HAR and capture alike; the same export imported
// again adds none.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecording } from '../../capture/export.ts';
import { importInto as importFile } from './import-file.ts';
import { createCodec } from '../../proto/codec.ts';
import type { TappedFlow } from '../../proxy/tap.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { Store } from '../../storage/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-identity-'));
const codec = createCodec();
const recording = join(dir, 'load.sqlite');
const calls = 10_000;
const t0 = 1_800_000_000_000;
after(() => rmSync(dir, { recursive: true, force: true }));

function health(id: number, startedAt: number): TappedFlow {
  const body = Buffer.from('{"status":"ok"}');
  return {
    id, source: 'live', kind: 'http', startedAt, endedAt: startedAt + 0.2, clientAddress: '127.0.0.1',
    request: { method: 'GET', path: '/health', httpVersion: '1.1', headers: [['Host', '127.0.0.1:8080']], body: new Uint8Array(0), size: 0, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: [['Content-Type', 'application/json']], body, size: body.length, truncated: false },
    error: null,
  };
}

/** Records `count` identical /health calls through the recorder, within 5 ms of `from`. */
function record(file: string, count: number, from: number): void {
  const store = Store.open(file);
  const recorder = new Recorder(codec, store);
  for (let i = 0; i < count; i++) {
    const flow = health(i + 1, from + (i % 5) + 0.25);
    recorder.requestStarted(flow);
    recorder.exchangeEnded(flow);
  }
  recorder.stop();
  store.close();
}

async function exportAll(from: string, output: string): Promise<void> {
  const store = Store.open(from, { codec });
  try {
    await exportRecording(store, { format: output.endsWith('.har') ? 'har' : 'capture', output, redact: true, codec, toolVersion: 't' });
  } finally {
    store.close();
  }
}

function importInto(db: string, file: string): { added: number; duplicates: number } {
  const result = importFile(db, file, codec);
  return { added: result.ids.length, duplicates: result.duplicates };
}

function count(db: string): number {
  const out = spawnSync('sqlite3', [db, 'SELECT count(*) FROM exchanges'], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim());
}

const har = join(dir, 'load.har');
const capture = join(dir, 'load.capture');

before(async () => {
  record(recording, calls, t0);
  assert.equal(count(recording), calls);
  await exportAll(recording, har);
  await exportAll(recording, capture);
});

describe('an exchange is left out of an import only when it is the same exchange', () => {
  for (const exported of [har, capture]) {
    test(`${calls} identical calls within 5 ms survive export and import as ${exported.slice(dir.length + 1)}, and a second import adds none`, () => {
      const db = `${exported}.sqlite`;
      assert.deepEqual(importInto(db, exported), { added: calls, duplicates: 0 });
      assert.deepEqual(importInto(db, exported), { added: 0, duplicates: calls });
      assert.equal(count(db), calls);
    });
  }

  test('an export imported into the recording it came from adds nothing', () => {
    const copy = join(dir, 'self.sqlite');
    copyFileSync(recording, copy);
    assert.deepEqual(importInto(copy, har), { added: 0, duplicates: calls });
    assert.equal(count(copy), calls);
  });

  test('an exchange imported from a recording, exported again, is still the same one', async () => {
    const middle = join(dir, 'middle.sqlite');
    importInto(middle, har);
    const again = join(dir, 'again.capture');
    await exportAll(middle, again);
    const target = join(dir, 'both.sqlite');
    assert.deepEqual(importInto(target, capture), { added: calls, duplicates: 0 });
    assert.deepEqual(importInto(target, again), { added: 0, duplicates: calls });
  });

  test('two copies of a recording that went on apart keep their new exchanges apart', async () => {
    const base = join(dir, 'base.sqlite');
    record(base, 1, t0);
    const copy = join(dir, 'base-copy.sqlite');
    copyFileSync(base, copy);
    const more = (file: string, at: number) => {
      const store = Store.open(file);
      const recorder = new Recorder(codec, store);
      const flow = health(1, at);
      recorder.requestStarted(flow);
      recorder.exchangeEnded(flow);
      recorder.stop();
      store.close();
    };
    more(base, t0 + 60_000);
    more(copy, t0 + 120_000);
    const target = join(dir, 'copies.sqlite');
    for (const [file, added, duplicates] of [[base, 2, 0], [copy, 1, 1]] as const) {
      const exported = `${file}.har`;
      await exportAll(file, exported);
      assert.deepEqual(importInto(target, exported), { added, duplicates }, file);
    }
  });

  test(`a HAR with no identity (another tool's) keeps ${calls} identical entries apart by their place, and a second import adds none`, async () => {
    const json = JSON.parse(readFileSync(har, 'utf8'));
    for (const entry of json.log.entries) delete entry._ca2;
    const foreign = join(dir, 'foreign.har');
    writeFileSync(foreign, JSON.stringify(json));
    const db = join(dir, 'foreign.sqlite');
    assert.deepEqual(importInto(db, foreign), { added: calls, duplicates: 0 });
    assert.deepEqual(importInto(db, foreign), { added: 0, duplicates: calls });
    const named = join(dir, 'foreign-named.har');
    await exportAll(db, named);
    assert.deepEqual(importInto(db, named), { added: 0, duplicates: calls }, 'exported again, they keep the key they were imported under');
  });
});
