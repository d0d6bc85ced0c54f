// The shared-memory ring between the proxy's thread and the recorder: every hook call
// comes out as it went in, in order, across the ring's end, and a full ring refuses
// calls instead of overwriting ones not yet read.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { callAt, callStarts, envelopesAt, journalCalls, type TapCall } from '../../recorder/tap-codec.ts';
import { createRing, RING_BYTES, RingReader, RingWriter } from '../../recorder/tap-ring.ts';
import type { TappedClose, TappedFlow, TappedFrame } from '../../proxy/tap.ts';

function flow(overrides: Partial<TappedFlow> = {}): TappedFlow {
  return {
    id: 7,
    source: 'live',
    kind: 'exec',
    startedAt: 1_764_000_000_123.456,
    endedAt: 1_764_000_000_125.5,
    clientAddress: '127.0.0.1:50123',
    request: {
      method: 'POST',
      path: '/exec?x=ü',
      httpVersion: '1.1',
      headers: [['Host', 'example'], ['X-Latin1', 'caf\u00e9'], ['X-Empty', '']],
      body: Buffer.from([0x0a, 0x02, 0xff, 0x00]),
      size: 4,
      truncated: false,
    },
    response: {
      status: 200,
      statusMessage: 'OK ✓',
      headers: [['Content-Type', 'application/x-protobuf']],
      body: Buffer.alloc(300, 0x78),
      size: 9_000,
      truncated: true,
    },
    error: null,
    ...overrides,
  };
}

const frame = (seq: number, bytes = 200): TappedFrame => ({
  flowId: 3,
  seq,
  direction: seq % 2 ? 'server' : 'client',
  at: 1_764_000_000_000 + seq,
  opcode: 2,
  body: Buffer.alloc(bytes, seq & 0xff),
  size: bytes,
  truncated: false,
});

/** Up to `limit` waiting calls, read back as the journal reads them. */
function take(reader: RingReader, limit: number): TapCall[] {
  const batch = reader.takeRecords(limit);
  return batch === null ? [] : [...journalCalls(batch.records)];
}

function readAll(reader: RingReader): TapCall[] {
  const calls: TapCall[] = [];
  for (let batch = take(reader, 1000); batch.length > 0; batch = take(reader, 1000)) calls.push(...batch);
  return calls;
}

describe('tap ring', () => {
  test('each hook comes out as it went in, bodies copied out of shared memory', () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const ended = flow({ replayOf: 42, captureProblems: ['the response body was lost'], editedAtBreakpoint: ['request', 'response'] });
    const edited: TappedFrame = { ...frame(1), rule: 'pause events', mark: 'breakpoint', original: Buffer.from([1, 2, 3]) };
    const failed = flow({ id: 8, endedAt: null, response: null, error: { kind: 'upstream-reset', message: 'upstream 127.0.0.1:9 reset the connection' } });
    const close: TappedClose = { flowId: 3, code: null, reason: '', by: 'proxy', at: 1_764_000_000_999 };
    assert.ok(writer.requestStarted(failed));
    assert.ok(writer.exchangeEnded(ended, 'with'));
    assert.ok(writer.exchangeEnded(ended, 'without-marked-truncated'));
    assert.ok(writer.wsFrame(frame(0)));
    assert.ok(writer.wsFrame(edited));
    assert.ok(writer.wsClosed(flow({ kind: 'ws' }), close));

    const calls = readAll(reader);
    assert.deepEqual(calls.map((c) => c.hook), ['requestStarted', 'exchangeEnded', 'exchangeEnded', 'wsFrame', 'wsFrame', 'wsClosed']);
    const withoutBodies = (f: TappedFlow, truncated: boolean) => ({
      ...f,
      request: { ...f.request, body: Buffer.alloc(0), truncated: f.request.truncated || truncated },
      response: f.response && { ...f.response, body: Buffer.alloc(0), truncated: f.response.truncated || truncated },
    });
    assert.deepEqual(calls[0]!.args, [withoutBodies(failed, false)]);
    assert.deepEqual(calls[1]!.args, [ended]);
    assert.deepEqual(calls[2]!.args, [withoutBodies(ended, true)]);
    assert.deepEqual(calls[3]!.args, [frame(0)]);
    assert.deepEqual(calls[4]!.args, [edited]);
    assert.deepEqual(calls[5]!.args, [withoutBodies(flow({ kind: 'ws' }), false), close]);
    const body = (calls[1]!.args[0] as TappedFlow).request.body;
    assert.ok(!(body.buffer instanceof SharedArrayBuffer), 'a body read is a copy of its own');
    assert.equal(writer.used(), 0, 'everything read is freed');
  });

  test("a journal row's exchangeEnded calls give their envelopes, read past the rest, as the whole call reads", () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const flows = [
      flow(),
      flow({ response: null, error: { kind: 'upstream-reset', message: 'reset' } }),
      flow({ replayOf: 3, captureProblems: ['lost'], rules: ['fake it'], editedAtBreakpoint: ['request'], original: { request: flow().request, response: { ...flow().response!, statusMessage: '' } } }),
      flow({ response: { ...flow().response!, headers: [['X-Long-Name-Header', 'v'], ['CONTENT-TYPE', 'text/plain; é'], ['Content-Typ', 'x'], ['content-type', 'application/x-protobuf']] } }),
      flow({ clientAddress: '[::1]:1', request: { ...flow().request, headers: [], body: Buffer.alloc(0) } }),
    ];
    for (const f of flows) assert.ok(writer.exchangeEnded(f, 'with'));
    const { records } = reader.takeRecords(flows.length)!;
    const starts = [...callStarts(records)];
    assert.equal(starts.length, flows.length);
    for (const at of starts) {
      const whole = callAt(records, at).args[0] as TappedFlow;
      const read = envelopesAt(records, at);
      assert.equal(read.startedAt, whole.startedAt);
      assert.deepEqual(read.requestBody, whole.request.body);
      const contentType = whole.response && whole.response.headers.filter(([name]) => Buffer.byteLength(name) === 'content-type'.length);
      assert.deepEqual(read.response, whole.response && { headers: contentType, body: whole.response.body });
    }
  });

  test("read for the live view, an /exec flow keeps only the headers that may be its content type, a WebSocket's all, the rest as the whole call reads", () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const headers: [string, string][] = [['Host', 'example'], ['CONTENT-TYPE', 'text/plain; é'], ['Content-Typ', 'x'], ['content-type', 'application/x-protobuf'], ['X-Long-Name-Header', 'v']];
    const flows = [
      flow({ request: { ...flow().request, headers }, response: { ...flow().response!, headers } }),
      flow({ kind: 'ws', request: { ...flow().request, headers }, response: { ...flow().response!, status: 101, headers } }),
      flow({ replayOf: 3, captureProblems: ['lost'], rules: ['fake it'], response: null, error: { kind: 'client-aborted', message: 'gone' } }),
    ];
    for (const f of flows) assert.ok(writer.exchangeEnded(f, 'with'));
    const { records } = reader.takeRecords(flows.length)!;
    const whole = [...journalCalls(records)];
    const live = [...journalCalls(records, 'content-type')];
    const contentType = (list: [string, string][]) => list.filter(([name]) => Buffer.byteLength(name) === 'content-type'.length);
    const kept = ({ args: [f] }: TapCall) => {
      const { request, response, kind } = f as TappedFlow;
      return kind !== 'exec' ? f : { ...(f as TappedFlow), request: { ...request, headers: contentType(request.headers) }, response: response && { ...response, headers: contentType(response.headers) } };
    };
    assert.deepEqual(live.map((c) => c.args[0]), whole.map(kept));
    assert.deepEqual((live[0]!.args[0] as TappedFlow).request.headers, [['CONTENT-TYPE', 'text/plain; é'], ['content-type', 'application/x-protobuf']]);
    assert.deepEqual((live[1]!.args[0] as TappedFlow).request.headers, headers);
  });

  test('calls keep their order across the end of the ring, many times over', () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    // Odd sizes, so records land on every alignment and the end is skipped at many offsets.
    const total = Math.ceil((3 * RING_BYTES) / 100_000);
    let next = 0;
    for (let seq = 0; seq < total; seq++) {
      assert.ok(writer.wsFrame(frame(seq, 99_991 + (seq % 13))), `frame ${seq} fits`);
      // One call is left unread each time: a ring read to the end would be written from its start again, never across its end.
      if (seq % 50 === 49) for (const call of take(reader, 49)) assert.equal((call.args[0] as TappedFrame).seq, next++);
    }
    for (const call of readAll(reader)) {
      const got = call.args[0] as TappedFrame;
      assert.equal(got.seq, next++);
      assert.equal(got.body.byteLength, 99_991 + (got.seq % 13));
      assert.equal(got.body[got.body.byteLength - 1], got.seq & 0xff);
    }
    assert.equal(next, total);
  });

  test('once the reader has read everything, the writer goes on at the start of the ring, with all its room', () => {
    const ring = createRing();
    // The seq of the frame whose record is first in the ring (after its length, the version, the hook and the flow id).
    const firstSeq = () => new DataView(ring, 64).getFloat64(4 + 2 + 8, true);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    for (let seq = 0; seq < 3; seq++) assert.ok(writer.wsFrame(frame(seq, 1 << 20)));
    assert.equal(readAll(reader).length, 3);
    assert.ok(writer.wsFrame(frame(0xab)));
    assert.equal(firstSeq(), 0xab, 'the next call is written at the start');
    assert.equal(writer.used() < 1024, true, 'what is left where the reader stands is not counted as waiting');
    assert.equal(reader.backlog(), 1);
    // The reader has not yet gone back to the start: the writer still has the whole ring.
    let written = 1;
    while (writer.wsFrame(frame(written, 1 << 20))) written++;
    assert.ok(written - 1 >= 60 && written - 1 < 64, `${written - 1} one-MiB frames fit after it, as in an empty ring`);
    assert.equal(reader.backlog(), written);
    const calls = readAll(reader).map((call) => call.args[0] as TappedFrame);
    assert.deepEqual(calls.map((f) => f.seq), [0xab, ...Array.from({ length: written - 1 }, (_, i) => i + 1)]);
    assert.ok(calls.every((f) => f.body.every((b) => b === (f.seq & 0xff))), 'every body comes out whole');
    assert.equal(writer.used(), 0);
    // And again, from wherever the writer stopped.
    assert.ok(writer.wsFrame(frame(0xcd)));
    assert.deepEqual(readAll(reader).map((call) => (call.args[0] as TappedFrame).seq), [0xcd]);
  });

  test('a full ring refuses calls and counts them dropped, then takes more once read', () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    let written = 0;
    while (writer.wsFrame(frame(written, 1 << 20))) written++;
    assert.ok(written >= 60 && written < 64, `${written} one-MiB frames fit in ${RING_BYTES >> 20} MiB`);
    writer.countDropped('frames');
    writer.countDropped('frames');
    writer.countDropped('exchanges');
    assert.deepEqual(reader.takeDropped(), { exchanges: 1, frames: 2 });
    assert.deepEqual(reader.takeDropped(), { exchanges: 0, frames: 0 }, 'each drop is told once');

    const seqs = take(reader, 10).map((call) => (call.args[0] as TappedFrame).seq);
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(writer.wsFrame(frame(written, 1 << 20)), 'room again once read');
    const rest = readAll(reader).map((call) => (call.args[0] as TappedFrame).seq);
    assert.deepEqual(rest, Array.from({ length: written + 1 - 10 }, (_, i) => i + 10));
  });

  test('counts the calls waiting to be read, across the end of the ring', () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    assert.equal(reader.backlog(), 0);
    // 3 MiB frames: the 22nd does not fit before the end, so the writer skips it and starts over.
    for (let seq = 0; seq < 21; seq++) writer.wsFrame(frame(seq, 3 << 20));
    assert.equal(reader.backlog(), 21);
    take(reader, 15);
    for (let seq = 21; seq < 30; seq++) writer.wsFrame(frame(seq, 3 << 20));
    assert.equal(reader.backlog(), 15, 'six left before the end, nine after it');
    assert.equal(readAll(reader).length, 15);
    assert.equal(reader.backlog(), 0);
  });

  test('a call larger than the whole ring is refused, not written in part', () => {
    const ring = createRing();
    const writer = new RingWriter(ring);
    assert.equal(writer.wsFrame(frame(0, RING_BYTES)), false);
    assert.equal(writer.used(), 0);
  });
});
