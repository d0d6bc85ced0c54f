import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../../recorder/threads.ts';

const probe = new URL('../fixtures/threads/probe.ts', import.meta.url);
const answer = (thread: Worker) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });

describe('startThread', () => {
  it('runs a TypeScript entry from its bundle as it would run on disk', async () => {
    const thread = await startThread(probe, { workerData: { n: 7 } });
    const seen = await answer(thread);
    await thread.terminate();
    assert.deepEqual(seen.echo, { n: 7 });
    assert.equal(seen.url, probe.href, "each module's import.meta.url is its own file's");
    assert.equal(seen.beside, readFileSync(probe, 'utf8').split('\n')[0], 'so files beside a module are found');
    assert.equal(seen.ws, 'function', 'a package with an ESM wrapper gives its named exports');
    assert.equal(seen.protobuf, 'function', 'a CommonJS package gives its default export');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(seen.toolVersion, pkg.version);
    assert.match(String(seen.stack), new RegExp(`${probe.href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\?bundled`), 'a stack trace names the entry, not a data: URL');
  });

  it('does the same in a thread that a bundled thread starts', async () => {
    const thread = await startThread(probe, { workerData: { nest: true, n: 1 } });
    const seen = await answer(thread);
    await thread.terminate();
    assert.deepEqual(seen.echo, { n: 2 }, JSON.stringify(seen));
    assert.equal(seen.url, probe.href);
    assert.equal(seen.ws, 'function');
  });

  it('starts the thread without the TypeScript loader the test runner has', async () => {
    assert.ok(process.execArgv.some((arg) => /tsx/.test(arg)), 'this test runs under tsx (node --import tsx --test)');
    const thread = await startThread(probe, { workerData: null });
    const seen = await answer(thread);
    await thread.terminate();
    assert.ok(!(seen.execArgv as string[]).some((arg) => /tsx/.test(arg)), `the thread's flags: ${JSON.stringify(seen.execArgv)}`);
  });
});
