import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { FlowTracker, type FlowRecord, type Stoppable } from '../../proxy/flows.ts';

const req = { method: 'POST', url: '/exec', httpVersion: '1.1', rawHeaders: ['Host', 'x'], socket: { remoteAddress: '127.0.0.1', remotePort: 5000 } } as unknown as IncomingMessage;

function entry(flow: FlowRecord, connection: boolean, tracker: FlowTracker): Stoppable & { stopped: boolean } {
  const e = { flow, connection, stopped: false, stop: () => ((e.stopped = true), tracker.delete(flow)) };
  return e;
}

describe('FlowTracker', () => {
  it('numbers flows in arrival order from 1', () => {
    const tracker = new FlowTracker(10);
    assert.deepEqual([tracker.create('exec', req).id, tracker.create('ws', req).id, tracker.create('http', req).id], [1, 2, 3]);
  });

  it('counts open flows and resolves whenIdle once the last one ends', async () => {
    const tracker = new FlowTracker(10);
    const a = tracker.create('exec', req);
    const b = tracker.create('ws', req);
    tracker.add(entry(a, false, tracker));
    tracker.add(entry(b, true, tracker));
    assert.equal(tracker.size, 2);
    let idle = false;
    const waiting = tracker.whenIdle().then(() => (idle = true));
    tracker.delete(a);
    await Promise.resolve();
    assert.equal(idle, false);
    tracker.delete(b);
    await waiting;
    assert.equal(tracker.size, 0);
  });

  it('waits for exchanges but not for connections, and gives up after the time given', async () => {
    const tracker = new FlowTracker(10);
    const exchange = tracker.create('exec', req);
    tracker.add(entry(tracker.create('ws', req), true, tracker));
    tracker.add(entry(exchange, false, tracker));
    const done = tracker.exchangesDone(60_000);
    tracker.delete(exchange);
    await done;
    const stuck = tracker.create('http', req);
    tracker.add(entry(stuck, false, tracker));
    await tracker.exchangesDone(10);
    assert.equal(tracker.size, 2);
  });

  it('stops every open flow', () => {
    const tracker = new FlowTracker(10);
    const entries = [entry(tracker.create('exec', req), false, tracker), entry(tracker.create('ws', req), true, tracker)];
    for (const e of entries) tracker.add(e);
    tracker.stopAll();
    assert.deepEqual(entries.map((e) => e.stopped), [true, true]);
    assert.equal(tracker.size, 0);
  });
});

describe('FlowRecord snapshots', () => {
  it('are plain copies: later changes to the flow do not reach a snapshot already handed out', () => {
    const flow = new FlowTracker(4).create('exec', req);
    const started = flow.snapshot();
    flow.requestBody.add(Buffer.from('abcdef'));
    flow.response = { status: 200, statusMessage: 'OK', headers: [['A', '1']] };
    flow.endedAt = started.startedAt + 1;
    const ended = flow.snapshot();
    assert.equal(started.response, null);
    assert.equal(started.request.size, 0);
    assert.equal(started.endedAt, null);
    assert.equal(Buffer.from(ended.request.body).toString(), 'abcd');
    assert.equal(ended.request.truncated, true);
    assert.equal(ended.response!.status, 200);
    assert.equal(ended.response!.size, 0);
    assert.equal(ended.clientAddress, '127.0.0.1:5000');
    assert.deepEqual(ended.request.headers, [['Host', 'x']]);
  });
});
