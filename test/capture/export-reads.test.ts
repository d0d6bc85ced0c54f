import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openExportReads } from '../../capture/export-reads.ts';
import { SourceError } from '../../capture/source-error.ts';
import { namedFlows, selectIds } from '../../capture/sources.ts';
import type { Flow } from '../../model/flow.ts';
import { createCodec } from '../../proto/codec.ts';
import { Store } from '../../storage/store.ts';
import { execRecordingProtos, writeExecRecording } from '../../support/exec-recording.ts';
import { writeRuledRecording } from './ruled-recording.ts';
import { demoProtos, writeSampleRecording } from './sample-recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-export-reads-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`../fixtures/reading-threads/${name}`, import.meta.url);

/** Recordings with what a flow can hold: frames, a rule's originals and marks, and many /exec calls with their header lists (several batches). */
const recordings = [
  { name: 'sample', write: writeSampleRecording, protos: demoProtos, every: 1 },
  { name: 'ruled', write: writeRuledRecording, protos: demoProtos, every: 1 },
  { name: 'exec', write: (file: string) => writeExecRecording(file, 350), protos: execRecordingProtos, every: 1 },
  // Ids far enough apart that each batch is read one by one.
  { name: 'every third', write: (file: string) => writeExecRecording(file, 350), protos: execRecordingProtos, every: 3 },
];

const opened: Record<string, { store: Store; codec: ReturnType<typeof createCodec>; ids: number[] }> = {};
before(() => {
  for (const { name, write, protos, every } of recordings) {
    const file = join(dir, `${name}.sqlite`);
    write(file);
    const codec = createCodec({ protoPaths: [protos] });
    const store = Store.open(file, { codec });
    opened[name] = { store, codec, ids: selectIds(store, {}).filter((_, i) => i % every === 0) };
  }
});
after(() => {
  for (const { store } of Object.values(opened)) store.close();
});

// A guard against a hang, which is what these tests look for; not a measure of time.
describe("an export's exchanges read on a thread of their own", { timeout: 60_000 }, () => {
  for (const { name } of recordings) {
    it(`gives, in each pass, the flows a read on the export's thread gives: ${name}`, async () => {
      const { store, codec, ids } = opened[name]!;
      const here = [...namedFlows(store, ids)];
      assert.ok(here.length > 0);
      const notices: string[] = [];
      const reads = await openExportReads(store, ids, { codec, passes: 2, notice: (line) => notices.push(line), minIds: 0 });
      try {
        for (let pass = 0; pass < 2; pass++) assert.deepEqual(comparable([...reads.pass()]), comparable(here), `pass ${pass + 1}`);
      } finally {
        reads.close();
      }
      assert.deepEqual(notices, []);
    });
  }

  it('can be closed part way through a pass', async () => {
    const { store, codec, ids } = opened.exec!;
    const reads = await openExportReads(store, ids, { codec, passes: 2, minIds: 0 });
    const iterator = reads.pass()[Symbol.iterator]();
    assert.equal(iterator.next().done, false);
    reads.close();
  });

  it('reads on the export thread, saying so, when the thread breaks while its modules load', async () => {
    const { store, codec, ids } = opened.sample!;
    const notices: string[] = [];
    const reads = await openExportReads(store, ids, { codec, passes: 1, notice: (line) => notices.push(line), minIds: 0, entry: fixture('fails-on-load.ts') });
    assert.deepEqual(comparable([...reads.pass()]), comparable([...namedFlows(store, ids)]));
    reads.close();
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /sample\.sqlite could not be read on a thread of its own \(this thread broke while its modules loaded\), so it is read on this one\.$/);
  });

  it('reads on the export thread when the selection is smaller than the least worth a thread: a thread that would break is never started', async () => {
    const { store, codec, ids } = opened.sample!;
    const notices: string[] = [];
    const reads = await openExportReads(store, ids, { codec, passes: 1, notice: (line) => notices.push(line), minIds: ids.length + 1, entry: fixture('fails-on-load.ts') });
    assert.equal([...reads.pass()].length, ids.length);
    reads.close();
    assert.deepEqual(notices, []);
  });

  it('fails with a sentence when the thread ends part way through', async () => {
    const { store, codec, ids } = opened.sample!;
    const reads = await openExportReads(store, ids, { codec, passes: 1, minIds: 0, entry: fixture('export-dies-midway.ts') });
    try {
      assert.throws(
        () => [...reads.pass()],
        (err: Error) => err instanceof SourceError && /^The thread reading .*sample\.sqlite for the export stopped without saying why; nothing was written\.$/.test(err.message),
      );
    } finally {
      reads.close();
    }
  });
});

/** Flows as values: bodies as plain bytes, whatever view they come in. */
function comparable(flows: Flow[]): unknown {
  return JSON.parse(JSON.stringify(flows, (_key, value) => (ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') : value)));
}
