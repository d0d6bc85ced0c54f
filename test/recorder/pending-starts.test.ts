import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingStarts } from '../../recorder/pending-starts.ts';
import type { TappedFlow } from '../../proxy/tap.ts';

const flow = (id: number, startedAt = id): TappedFlow => ({
  id,
  source: 'live',
  kind: 'exec',
  startedAt,
  endedAt: null,
  clientAddress: '127.0.0.1:1',
  request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: [], body: new Uint8Array(0), size: 0, truncated: false },
  response: null,
  error: null,
});

describe('PendingStarts', () => {
  it('hands out due starts oldest first, and not those taken by their end', () => {
    const starts = new PendingStarts();
    for (let id = 1; id <= 5; id++) starts.add(flow(id, id * 10));
    assert.equal(starts.take(2)?.id, 2);
    assert.equal(starts.take(2), null, 'a start is taken once');
    assert.deepEqual(starts.takeDue(40).map((f) => f.id), [1, 3, 4]);
    assert.equal(starts.take(3), null, 'a start already handed out is not held back any more');
    assert.equal(starts.size, 1);
    assert.deepEqual(starts.takeDue(1000).map((f) => f.id), [5]);
    assert.equal(starts.size, 0);
    assert.equal(starts.take(99), null);
  });

  it('agrees with a plain model over 20,000 starts, across compaction', () => {
    const starts = new PendingStarts();
    // The model: held-back starts in id order (a Map keeps insertion order).
    const model = new Map<number, number>();
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let id = 1; id <= 20_000; id++) {
      starts.add(flow(id));
      model.set(id, id);
      // Most exchanges end within a few ids of their start; some never before their start is due.
      const ending = id - Math.floor(random() * 40);
      if (ending > 0 && random() < 0.9) assert.equal(starts.take(ending) !== null, model.delete(ending), `take ${ending} at ${id}`);
      if (id % 97 === 0) {
        const due = [...model.keys()].filter((k) => k <= id - 50);
        for (const k of due) model.delete(k);
        assert.deepEqual(starts.takeDue(id - 50).map((f) => f.id), due, `due at ${id}`);
      }
      assert.equal(starts.size, model.size);
    }
    assert.deepEqual(starts.takeDue(Infinity).map((f) => f.id), [...model.keys()]);
  });
});
