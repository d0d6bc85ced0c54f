// The channel from the proxy's thread to the recording worker: a ring of shared memory
// with one writer (the forwarding thread) and one reader (the worker). Each tap call is
// written into it as a compact binary record; no object is cloned, sent or collected.
// postMessage's structured clone of every exchange, and the garbage it left, took a
// fifth of the forwarding thread's throughput; a write here is a few copies into memory
// both threads see. The ring's size is also the cap on what may wait for the recorder.
//
// The worker keeps the records as they are in its journal (recorder/tap-journal.ts).
//
// Record: u32 length (0: the rest of the ring is unused, go on at its start), then one
// tap call as recorder/tap-codec.ts encodes it. Records start 4-byte aligned.
//
// Once the reader has read everything, the writer goes on at the ring's start (past
// REWIND_AFTER), so the memory in use stays a hot megabyte or two rather than 64 MiB
// written in turn: each record then landed on memory no cache held, and on a page not
// yet mapped every 4 KiB. On the proxy's thread that was half of what writing a call cost
// (3-4 µs of an /exec exchange, profiled under the bench's load). No marker is written
// where it left off: the reader, which has read up to there, may not have seen the
// position yet, and the writer is free to write over it. The control block says where.

import type { Dropped } from '../model/types.ts';
import type { TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import { callBound, CallWriter, hookAt, type Bodies } from './tap-codec.ts';

/** What may wait for the recorder, in bytes (a power of two); past it, calls are dropped and counted. */
export const RING_BYTES = 64 * 1024 * 1024;
const MASK = RING_BYTES - 1;
const CONTROL_BYTES = 64;

// Int32 slots of the control block. Positions count bytes modulo 2^32, so a ring whose
// size divides 2^32 never needs them reset.
const WRITTEN = 0;
const READ = 1;
/** 1 while the reader waits for WRITTEN to change: the writer then wakes it. */
const SLEEPING = 2;
const DROPPED_EXCHANGES = 3;
const DROPPED_FRAMES = 4;
/** Where the writer last went back to the ring's start early, until the reader has passed it; 0: nowhere (it never goes back from the start). */
const REWOUND_AT = 5;

/** How far into the ring the writer must be before it goes back to the start when the reader has caught up. */
const REWIND_AFTER = 1 << 20;

export function createRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + RING_BYTES);
}

const align = (n: number) => (n + 3) & ~3;
/** The position of the start of the ring after `at`. */
const nextLap = (at: number) => (at + RING_BYTES - (at & MASK)) >>> 0;

/** The forwarding thread's end: writes never block and never throw for lack of room (they return false). */
export class RingWriter {
  private readonly control: Int32Array;
  private readonly data: Buffer;
  /** Encodes each call in place, at the record begin() reserved. */
  private readonly calls: CallWriter;
  private written = 0;
  /** Where this writer went back to the ring's start while the reader had read up to there; -1 once the reader has moved on. */
  private rewoundAt = -1;

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.data = Buffer.from(ring, CONTROL_BYTES, RING_BYTES);
    this.calls = new CallWriter(this.data);
    this.written = Atomics.load(this.control, WRITTEN) >>> 0;
  }

  /** Bytes written and not yet read. */
  used(): number {
    return (this.written - this.readFrom()) >>> 0;
  }

  /** Where the reader reads on from: the ring's start if it still stands where the writer went back to it. */
  private readFrom(): number {
    const read = Atomics.load(this.control, READ) >>> 0;
    if (read === this.rewoundAt) return nextLap(read);
    this.rewoundAt = -1;
    return read;
  }

  /** Counts a call dropped because the ring had no room; the worker adds it to the store's dropped totals. */
  countDropped(kind: keyof Dropped): void {
    Atomics.add(this.control, kind === 'exchanges' ? DROPPED_EXCHANGES : DROPPED_FRAMES, 1);
  }

  requestStarted(flow: TappedFlow): boolean {
    if (!this.begin(callBound.flow(flow, 'without'))) return false;
    this.calls.requestStarted(flow);
    return this.end();
  }

  exchangeEnded(flow: TappedFlow, bodies: Bodies): boolean {
    if (!this.begin(callBound.flow(flow, bodies))) return false;
    this.calls.exchangeEnded(flow, bodies);
    return this.end();
  }

  wsFrame(frame: TappedFrame): boolean {
    if (!this.begin(callBound.frame(frame))) return false;
    this.calls.wsFrame(frame);
    return this.end();
  }

  wsClosed(flow: TappedFlow, close: TappedClose): boolean {
    if (!this.begin(callBound.close(flow, close))) return false;
    this.calls.wsClosed(flow, close);
    return this.end();
  }

  private recordStart = 0;
  private skip = 0;

  /** Reserves room for a record whose call takes at most `bound` bytes; false if the ring is too full. */
  private begin(bound: number): boolean {
    const need = align(4 + bound);
    let pos = this.written & MASK;
    if (pos >= REWIND_AFTER && Atomics.load(this.control, READ) >>> 0 === this.written) {
      // Published with the record, by end(): a reader that sees the record sees this first.
      Atomics.store(this.control, REWOUND_AT, this.written | 0);
      this.rewoundAt = this.written;
      this.written = nextLap(this.written);
      pos = 0;
    }
    const tail = RING_BYTES - pos;
    // A record never wraps: if it does not fit before the end, the end is skipped.
    this.skip = need > tail ? tail : 0;
    if (this.used() + this.skip + need > RING_BYTES) return false;
    if (this.skip > 0) {
      this.data.writeUInt32LE(0, pos);
      pos = 0;
    }
    this.recordStart = pos;
    this.calls.at = pos + 4;
    return true;
  }

  /** Publishes the record, and wakes the reader if it waits. */
  private end(): boolean {
    const length = this.calls.at - this.recordStart - 4;
    this.data.writeUInt32LE(length, this.recordStart);
    this.written = (this.written + this.skip + align(4 + length)) >>> 0;
    Atomics.store(this.control, WRITTEN, this.written | 0);
    if (Atomics.load(this.control, SLEEPING) === 1 && Atomics.compareExchange(this.control, SLEEPING, 1, 0) === 1) {
      Atomics.notify(this.control, WRITTEN);
    }
    return true;
  }
}

/** The worker's end. */
export class RingReader {
  private readonly control: Int32Array;
  private readonly data: Buffer;
  private read: number;
  private dropped: Dropped = { exchanges: 0, frames: 0 };

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.data = Buffer.from(ring, CONTROL_BYTES, RING_BYTES);
    this.read = Atomics.load(this.control, READ) >>> 0;
  }

  /**
   * Up to `limit` waiting calls as they are in the ring, freed from it: a journal
   * row (u32 length + call, one after another) that journalCalls() (tap-codec.ts) reads back. Null if none wait.
   */
  takeRecords(limit: number): { records: Buffer; count: number; ends: Dropped } | null {
    const spans: [number, number][] = [];
    const ends: Dropped = { exchanges: 0, frames: 0 };
    let bytes = 0;
    this.take(limit, (pos, length) => {
      spans.push([pos, pos + 4 + length]);
      bytes += 4 + length;
      const hook = hookAt(this.data, pos + 4);
      if (hook === 'exchangeEnded') ends.exchanges++;
      else if (hook === 'wsFrame') ends.frames++;
    });
    if (spans.length === 0) return null;
    // Copied in one pass after the walk; the writer only writes past what is still unread, and these are not freed yet.
    const records = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const [start, end] of spans) at += this.data.copy(records, at, start, end);
    Atomics.store(this.control, READ, this.read | 0);
    return { records, count: spans.length, ends };
  }

  /**
   * How many calls wait to be read: counted by walking their lengths when asked, so the
   * writer keeps no count of its own.
   */
  backlog(): number {
    const written = Atomics.load(this.control, WRITTEN) >>> 0;
    const rewound = Atomics.load(this.control, REWOUND_AT) >>> 0;
    let count = 0;
    for (let at = this.read; at !== written; ) {
      const pos = at & MASK;
      if (at === rewound && pos !== 0) {
        at = nextLap(at);
        continue;
      }
      const length = this.data.readUInt32LE(pos);
      if (length === 0) {
        at = (at + RING_BYTES - pos) >>> 0;
        continue;
      }
      at = (at + align(4 + length)) >>> 0;
      count++;
    }
    return count;
  }

  /** Whether calls wait to be read. */
  waiting(): boolean {
    return this.read !== Atomics.load(this.control, WRITTEN) >>> 0;
  }

  /** Calls the writer dropped since the last time this was asked. */
  takeDropped(): Dropped {
    const now = { exchanges: Atomics.load(this.control, DROPPED_EXCHANGES), frames: Atomics.load(this.control, DROPPED_FRAMES) };
    const delta = { exchanges: now.exchanges - this.dropped.exchanges, frames: now.frames - this.dropped.frames };
    this.dropped = now;
    return delta;
  }

  /** Resolves when something new is written, or after `timeoutMs` (a guard; the writer wakes it). */
  async wait(timeoutMs: number): Promise<void> {
    Atomics.store(this.control, SLEEPING, 1);
    const result = Atomics.waitAsync(this.control, WRITTEN, this.read | 0, timeoutMs);
    if (result.async) await result.value;
    Atomics.store(this.control, SLEEPING, 0);
  }

  /**
   * Walks up to `limit` records past the read position, handing `visit` each one's
   * position and length; the caller frees their room (READ) once it has copied them.
   */
  private take(limit: number, visit: (pos: number, length: number) => void): void {
    const written = Atomics.load(this.control, WRITTEN) >>> 0;
    const rewound = Atomics.load(this.control, REWOUND_AT) >>> 0;
    let n = 0;
    while (this.read !== written && n < limit) {
      const pos = this.read & MASK;
      if (this.read === rewound && pos !== 0) {
        this.read = nextLap(this.read);
        // Cleared before READ moves on, so a later going back, which waits for READ, is never cleared by this one.
        Atomics.store(this.control, REWOUND_AT, 0);
        continue;
      }
      const length = this.data.readUInt32LE(pos);
      if (length === 0) {
        this.read = (this.read + RING_BYTES - pos) >>> 0;
        continue;
      }
      visit(pos, length);
      this.read = (this.read + align(4 + length)) >>> 0;
      n++;
    }
  }
}
