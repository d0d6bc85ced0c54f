import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchPacker, BatchUnpacker, MAX_PAIRS } from '../../capture/import-batch.ts';
import type { Flow } from '../../model/flow.ts';
import { flowsIn } from './import-file.ts';

const har = new URL('../fixtures/capture/sample-export.har', import.meta.url).pathname;

/** The sample's flows again and again, each call with header values of its own, as request ids and dates are. */
function manyFlows(count: number): Flow[] {
  const sample = flowsIn(har);
  return Array.from({ length: count }, (_, i) => {
    const flow = structuredClone(sample[i % sample.length]!);
    flow.id = i + 1;
    flow.request.headers = [...flow.request.headers, ['X-Request-Id', `req-${i}`], ['x-request-id', `dup-${i}`], ['Accept', '*/*']];
    if (flow.response) flow.response.headers = [['Date', `Mon, 07 Dec 2026 09:00:${i}`], ...flow.response.headers];
    return flow;
  });
}

describe('import batches', () => {
  it('hand over every flow as it was, headers in order with their case and duplicates, past the pairs both threads remember', () => {
    const flows = manyFlows(3 * MAX_PAIRS / 2);
    const expected = structuredClone(flows);
    const packer = new BatchPacker();
    const unpacker = new BatchUnpacker();
    const got: Flow[] = [];
    let restarts = 0;
    for (let at = 0; at < flows.length; at += 100) {
      // Cloned as postMessage clones it.
      const batch = structuredClone(packer.pack(flows.slice(at, at + 100)));
      if (batch.restart) restarts++;
      got.push(...unpacker.unpack(batch));
    }
    assert.ok(restarts >= 2, `the numbering started again ${restarts} time(s)`);
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) {
      assert.deepEqual(got[i]!.request.headers, expected[i]!.request.headers, `flow ${i + 1}'s request headers`);
      assert.deepEqual(got[i]!.response?.headers, expected[i]!.response?.headers, `flow ${i + 1}'s response headers`);
      assert.deepEqual(Buffer.from(got[i]!.request.body), Buffer.from(expected[i]!.request.body), `flow ${i + 1}'s request body`);
    }
    assert.deepEqual({ ...got[7], request: null, response: null, frames: null }, { ...expected[7], request: null, response: null, frames: null });
  });
});
