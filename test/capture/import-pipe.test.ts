import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openImport, PIPE_MIN_BYTES } from '../../capture/import-pipe.ts';
import { openForImport, recordFlows } from '../../capture/record.ts';
import { SourceError } from '../../capture/source-error.ts';
import { createCodec } from '../../proto/codec.ts';
import { flowsIn } from './import-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-import-pipe-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const har = new URL('../fixtures/capture/sample-export.har', import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/reading-threads/${name}`, import.meta.url);
const codec = createCodec({});

/** Imports the sample HAR into a new recording, its file read on a thread started from `entry`; what was added and said. */
async function importWith(name: string, entry?: URL, minBytes = 0): Promise<{ added: number; notices: string[] }> {
  const store = openForImport(join(dir, `${name}.sqlite`), codec, { freshLoad: true });
  const notices: string[] = [];
  try {
    const source = await openImport(har, (line) => notices.push(line), { entry, minBytes });
    try {
      return { added: recordFlows(store, codec, source.flows, { dedupe: true }).added, notices };
    } catch (err) {
      assert.deepEqual(store.exchangeIds(), [], 'what was written before the failure is rolled back');
      throw err;
    } finally {
      source.close();
    }
  } finally {
    store.close();
  }
}

// A guard against a hang, which is what these tests look for; not a measure of time.
describe('an import read on a thread of its own', { timeout: 60_000 }, () => {
  it('adds every exchange of the file, saying nothing', async () => {
    const threaded = await importWith('threaded');
    assert.equal(threaded.added, flowsIn(har).length);
    assert.deepEqual(threaded.notices, []);
  });

  it('is not read on a thread at all when it is smaller than PIPE_MIN_BYTES: a thread that would break is never started', async () => {
    const { added } = await importWith('reference-small');
    const result = await importWith('small', fixture('fails-on-load.ts'), PIPE_MIN_BYTES);
    assert.equal(result.added, added);
    assert.deepEqual(result.notices, []);
  });

  it('is read on the command thread, which says so, when the thread breaks while its modules load', async () => {
    const { added } = await importWith('reference');
    const result = await importWith('fallback', fixture('fails-on-load.ts'));
    assert.equal(result.added, added);
    assert.equal(result.notices.length, 1);
    assert.match(result.notices[0]!, /sample-export\.har could not be read on a thread of its own \(this thread broke while its modules loaded\), so it is read on this one\.$/);
  });

  it('is read on the command thread, which says so, when the thread cannot be started', async () => {
    const { added } = await importWith('reference-unstarted');
    const result = await importWith('unstarted', fixture('no-such-entry.ts'));
    assert.equal(result.added, added);
    assert.equal(result.notices.length, 1);
    assert.match(result.notices[0]!, /sample-export\.har could not be read on a thread of its own \(.*no-such-entry.*\), so it is read on this one\.$/s);
  });

  it('fails with a sentence, and stores nothing, when the thread ends after it opened the file', async () => {
    await assert.rejects(importWith('died', fixture('dies-midway.ts')), (err: Error) => {
      assert.ok(err instanceof SourceError, String(err));
      assert.match(err.message, /sample-export\.har: the thread reading it stopped without saying why; nothing from this file was imported\.$/);
      return true;
    });
  });
});
