import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tap, type TappedFrame } from '../../proxy/tap.ts';

const frame: TappedFrame = { flowId: 1, seq: 0, direction: 'client', at: 0, opcode: 2, body: new Uint8Array([1]), size: 1, truncated: false };

test('calls every listener that has the hook, in the order they were added', () => {
  const seen: string[] = [];
  const tap = new Tap();
  tap.add({ wsFrame: () => seen.push('first') });
  tap.add({});
  tap.add({ wsFrame: (f) => seen.push(`second ${f.seq}`) });
  tap.emit('wsFrame', frame);
  assert.deepEqual(seen, ['first', 'second 0']);
});

test('a listener that throws is reported once per hook and the others still run', () => {
  const reports: string[] = [];
  const seen: number[] = [];
  const tap = new Tap((m) => reports.push(m));
  class Broken {
    wsFrame(): void {
      throw new Error('disk on fire');
    }
  }
  tap.add(new Broken());
  tap.add({ wsFrame: (f) => seen.push(f.seq) });
  tap.emit('wsFrame', frame);
  tap.emit('wsFrame', { ...frame, seq: 1 });
  assert.deepEqual(seen, [0, 1]);
  assert.deepEqual(reports, ['Broken.wsFrame failed and was skipped (traffic still flows): disk on fire']);
});
