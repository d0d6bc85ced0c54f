import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { threadBundle } from '../../recorder/threads.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca2-bundle-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let made = 0;
/** A thread entry of its own (so that no other test shares its bundle) that posts what its imported part says. */
function entry(word: string): { entry: URL; part: string } {
  const folder = join(dir, `entry-${++made}`);
  mkdirSync(folder);
  writeFileSync(join(folder, 'entry.ts'), "import { parentPort } from 'node:worker_threads';\nimport { word } from './part.ts';\nparentPort!.postMessage(word);\n");
  const part = join(folder, 'part.ts');
  writeFileSync(part, `export const word: string = ${JSON.stringify(word)};\n`);
  return { entry: pathToFileURL(join(folder, 'entry.ts')), part };
}

const cacheDir = (name: string) => pathToFileURL(join(dir, name) + '/');

/** What a thread started from `code` posts. */
function run(code: URL): Promise<unknown> {
  const thread = new Worker(code);
  return new Promise((resolve, reject) => {
    thread.once('message', (word) => {
      resolve(word);
      void thread.terminate();
    });
    thread.once('error', reject);
  });
}

describe('threadBundle', () => {
  it('keeps the bundle in the cache and uses it again while its sources are unchanged', async () => {
    const { entry: main } = entry('kept');
    const cache = cacheDir('cache-kept');
    const first = await threadBundle(main, cache);
    assert.equal(first.protocol, 'file:', 'the bundle is a file in the cache');
    assert.ok(first.href.startsWith(cache.href));
    const kept = statSync(first);
    const again = await threadBundle(main, cache);
    assert.equal(again.href, first.href);
    assert.equal(statSync(again).ino, kept.ino, 'the kept file was used, not written again');
    assert.equal(await run(again), 'kept');
  });

  it('bundles again when a source it was made from changed, and does not start the stale one', async () => {
    const { entry: main, part } = entry('before');
    const cache = cacheDir('cache-changed');
    assert.equal(await run(await threadBundle(main, cache)), 'before');
    writeFileSync(part, "export const word: string = 'after';\n");
    const changed = await threadBundle(main, cache);
    assert.equal(await run(changed), 'after');
    assert.doesNotMatch(readFileSync(changed, 'utf8'), /before/);
  });

  it('still starts the thread when the cache cannot be written', async () => {
    const { entry: main } = entry('unwritable');
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const code = await threadBundle(main, pathToFileURL(join(blocker, 'cache') + '/'));
    assert.equal(code.protocol, 'data:', 'the bundle is handed over in memory, as before there was a cache');
    assert.equal(await run(code), 'unwritable');
  });

  it('bundles again over a damaged cache file', async () => {
    const { entry: main } = entry('repaired');
    const cache = cacheDir('cache-damaged');
    const first = await threadBundle(main, cache);
    const whole = readFileSync(first, 'utf8');
    for (const damaged of [whole.slice(0, whole.length / 2), 'garbage', whole.replace('repaired', 'tampered')]) {
      writeFileSync(first, damaged);
      const code = await threadBundle(main, cache);
      assert.equal(readFileSync(code, 'utf8'), whole, 'the file was written again whole');
      assert.equal(await run(code), 'repaired');
    }
  });
});
