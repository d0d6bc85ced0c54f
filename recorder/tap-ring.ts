// The channel from the proxy's thread to the recording worker: a ring of shared memory
// with one writer (the forwarding thread) and one reader (the worker). Each tap call is
// written into it as a compact binary record; no object is cloned, sent or collected.
// postMessage's structured clone of every exchange, and the garbage it left, took a
// fifth of the forwarding thread's throughput; a write here is a few copies into memory
// both threads see. The ring's size is also the cap on what may wait for the recorder.
//
// The worker either hands the calls to the recorder at once or, while nobody watches,
// keeps the records as they are in its journal (recorder/tap-journal.ts).
//
// Record: u32 length (0: the rest of the ring is unused, go on at its start), then the
// hook as a u8, then its arguments. Strings are u32 byte length + UTF-8, bytes are
// u32 length + bytes, numbers f64 (NaN for null). Records start 4-byte aligned.

import type { ExchangeKind, FrameDirection, HeaderList } from '../model/types.ts';
import type { Dropped } from '../model/types.ts';
import type { TapHook, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import type { FlowErrorKind, FlowRequest, FlowResponse } from '../model/flow.ts';

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

const HOOKS: TapHook[] = ['requestStarted', 'exchangeEnded', 'wsFrame', 'wsClosed'];
const KINDS: ExchangeKind[] = ['exec', 'ws', 'http'];
const DIRECTIONS: FrameDirection[] = ['client', 'server'];
const CLOSERS: TappedClose['by'][] = ['client', 'server', 'proxy'];

export function createRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + RING_BYTES);
}

/** How a flow's bodies go into the ring: with them, or without (other hooks carry headers only). */
export type Bodies = 'with' | 'without' | 'without-marked-truncated';

/** One tap hook call as the worker replays it on the recorder. */
export interface TapCall {
  hook: TapHook;
  args: unknown[];
}

const align = (n: number) => (n + 3) & ~3;
const strBound = (s: string) => 4 + 3 * s.length;
const headersBound = (headers: HeaderList) => {
  let n = 4;
  for (const [name, value] of headers) n += strBound(name) + strBound(value);
  return n;
};

/** The forwarding thread's end: writes never block and never throw for lack of room (they return false). */
export class RingWriter {
  private readonly control: Int32Array;
  private readonly data: Buffer;
  /** Where the next byte of the record being written goes. */
  private at = 0;
  private written = 0;

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.data = Buffer.from(ring, CONTROL_BYTES, RING_BYTES);
    this.written = Atomics.load(this.control, WRITTEN) >>> 0;
  }

  /** Bytes written and not yet read. */
  used(): number {
    return (this.written - (Atomics.load(this.control, READ) >>> 0)) >>> 0;
  }

  /** Counts a call dropped because the ring had no room; the worker adds it to the store's dropped totals. */
  countDropped(kind: keyof Dropped): void {
    Atomics.add(this.control, kind === 'exchanges' ? DROPPED_EXCHANGES : DROPPED_FRAMES, 1);
  }

  requestStarted(flow: TappedFlow): boolean {
    if (!this.begin(0, flowBound(flow, 'without'))) return false;
    this.flow(flow, 'without');
    return this.end();
  }

  exchangeEnded(flow: TappedFlow, bodies: Bodies): boolean {
    if (!this.begin(1, flowBound(flow, bodies))) return false;
    this.flow(flow, bodies);
    return this.end();
  }

  wsFrame(frame: TappedFrame): boolean {
    if (!this.begin(2, 64 + frame.body.byteLength)) return false;
    this.f64(frame.flowId);
    this.f64(frame.seq);
    this.u8(DIRECTIONS.indexOf(frame.direction));
    this.f64(frame.at);
    this.u8(frame.opcode);
    this.bytes(frame.body);
    this.f64(frame.size);
    this.u8(frame.truncated ? 1 : 0);
    return this.end();
  }

  wsClosed(flow: TappedFlow, close: TappedClose): boolean {
    if (!this.begin(3, flowBound(flow, 'without') + 48 + strBound(close.reason))) return false;
    this.flow(flow, 'without');
    this.f64(close.flowId);
    this.f64(close.code ?? NaN);
    this.str(close.reason);
    this.u8(CLOSERS.indexOf(close.by));
    this.f64(close.at);
    return this.end();
  }

  private recordStart = 0;
  private skip = 0;

  /** Reserves room for a record of at most `bound` bytes after the hook byte; false if the ring is too full. */
  private begin(hook: number, bound: number): boolean {
    const need = align(4 + 1 + bound);
    let pos = this.written & MASK;
    const tail = RING_BYTES - pos;
    // A record never wraps: if it does not fit before the end, the end is skipped.
    this.skip = need > tail ? tail : 0;
    if (this.used() + this.skip + need > RING_BYTES) return false;
    if (this.skip > 0) {
      this.data.writeUInt32LE(0, pos);
      pos = 0;
    }
    this.recordStart = pos;
    this.at = pos + 4;
    this.u8(hook);
    return true;
  }

  /** Publishes the record, and wakes the reader if it waits. */
  private end(): boolean {
    const length = this.at - this.recordStart - 4;
    this.data.writeUInt32LE(length, this.recordStart);
    this.written = (this.written + this.skip + align(4 + length)) >>> 0;
    Atomics.store(this.control, WRITTEN, this.written | 0);
    if (Atomics.load(this.control, SLEEPING) === 1 && Atomics.compareExchange(this.control, SLEEPING, 1, 0) === 1) {
      Atomics.notify(this.control, WRITTEN);
    }
    return true;
  }

  private flow(flow: TappedFlow, bodies: Bodies): void {
    this.f64(flow.id);
    this.u8(KINDS.indexOf(flow.kind));
    this.f64(flow.startedAt);
    this.f64(flow.endedAt ?? NaN);
    this.str(flow.clientAddress);
    const { request, response } = flow;
    this.str(request.method);
    this.str(request.path);
    this.str(request.httpVersion);
    this.message(request, bodies);
    this.u8(response ? 1 : 0);
    if (response) {
      this.f64(response.status);
      this.str(response.statusMessage);
      this.message(response, bodies);
    }
    this.u8(flow.error ? 1 : 0);
    if (flow.error) {
      this.str(flow.error.kind);
      this.str(flow.error.message);
    }
    this.f64(flow.replayOf ?? NaN);
    const problems = flow.captureProblems ?? [];
    this.u32(problems.length);
    for (const p of problems) this.str(p);
  }

  private message(m: FlowRequest | FlowResponse, bodies: Bodies): void {
    this.u32(m.headers.length);
    for (const [name, value] of m.headers) {
      this.str(name);
      this.str(value);
    }
    const keep = bodies === 'with';
    this.bytes(keep ? m.body : EMPTY);
    this.f64(m.size);
    this.u8(m.truncated || (bodies === 'without-marked-truncated' && m.body.byteLength > 0) ? 1 : 0);
  }

  private u8(n: number): void {
    this.data[this.at++] = n;
  }

  private u32(n: number): void {
    this.data.writeUInt32LE(n, this.at);
    this.at += 4;
  }

  private f64(n: number): void {
    this.data.writeDoubleLE(n, this.at);
    this.at += 8;
  }

  private str(s: string): void {
    const start = this.at + 4;
    const n = s.length;
    const data = this.data;
    // Headers, paths and methods are short ASCII: copied in this loop, they cost a fraction
    // of a native write call each. Anything else is written as UTF-8 from the start.
    let i = 0;
    if (n <= 256) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        data[start + i] = c;
      }
    }
    const length = i === n ? n : data.write(s, start, 'utf8');
    data.writeUInt32LE(length, this.at);
    this.at = start + length;
  }

  private bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    this.data.set(b, this.at);
    this.at += b.byteLength;
  }
}

const EMPTY = new Uint8Array(0);

/** An upper bound on a flow's encoded size (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function flowBound(flow: TappedFlow, bodies: Bodies): number {
  const { request, response, error } = flow;
  let n = 128 + strBound(flow.clientAddress) + strBound(request.method) + strBound(request.path) + strBound(request.httpVersion);
  n += headersBound(request.headers) + (bodies === 'with' ? request.body.byteLength : 0);
  if (response) n += strBound(response.statusMessage) + headersBound(response.headers) + (bodies === 'with' ? response.body.byteLength : 0);
  if (error) n += strBound(error.kind) + strBound(error.message);
  for (const p of flow.captureProblems ?? []) n += strBound(p);
  return n;
}

/** The worker's end. */
export class RingReader {
  private readonly control: Int32Array;
  private readonly data: Buffer;
  private readonly calls: CallReader;
  private read: number;
  private dropped: Dropped = { exchanges: 0, frames: 0 };

  constructor(ring: SharedArrayBuffer) {
    this.control = new Int32Array(ring, 0, CONTROL_BYTES / 4);
    this.data = Buffer.from(ring, CONTROL_BYTES, RING_BYTES);
    this.calls = new CallReader(this.data);
    this.read = Atomics.load(this.control, READ) >>> 0;
  }

  /**
   * Hands up to `limit` waiting calls to `handle`, in the order they were written, and
   * frees their room; whether more are waiting. Bodies are copied out of the ring.
   */
  drain(handle: (call: TapCall) => void, limit: number): boolean {
    return this.take(limit, (pos) => {
      this.calls.at = pos + 4;
      const call = this.calls.call();
      return () => handle(call);
    });
  }

  /**
   * Up to `limit` waiting calls as they are in the ring, freed from it: a journal
   * (u32 length + record, one after another) that journalCalls() reads back. Null if none wait.
   */
  takeRecords(limit: number): { records: Buffer; count: number; ends: Dropped } | null {
    const spans: [number, number][] = [];
    const ends: Dropped = { exchanges: 0, frames: 0 };
    let bytes = 0;
    this.take(limit, (pos, length) => {
      spans.push([pos, pos + 4 + length]);
      bytes += 4 + length;
      const hook = HOOKS[this.data[pos + 4]!];
      if (hook === 'exchangeEnded') ends.exchanges++;
      else if (hook === 'wsFrame') ends.frames++;
      return null;
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
    let count = 0;
    for (let at = this.read; at !== written; ) {
      const pos = at & MASK;
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
   * Walks up to `limit` records; `visit` gets each one's position and length and returns
   * what to run once its room is freed, or null to leave the room to the caller to free.
   */
  private take(limit: number, visit: (pos: number, length: number) => (() => void) | null): boolean {
    const written = Atomics.load(this.control, WRITTEN) >>> 0;
    let n = 0;
    while (this.read !== written && n < limit) {
      const pos = this.read & MASK;
      const length = this.data.readUInt32LE(pos);
      if (length === 0) {
        this.read = (this.read + RING_BYTES - pos) >>> 0;
        continue;
      }
      const after = visit(pos, length);
      this.read = (this.read + align(4 + length)) >>> 0;
      if (after !== null) {
        // Freed before the call is handled: everything it needs has been copied out.
        Atomics.store(this.control, READ, this.read | 0);
        after();
      }
      n++;
    }
    return this.read !== written;
  }
}

/** The calls of a journal that RingReader.takeRecords() made, in order. */
export function* journalCalls(records: Uint8Array): Generator<TapCall> {
  const data = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  const reader = new CallReader(data);
  let at = 0;
  while (at < data.byteLength) {
    const length = data.readUInt32LE(at);
    reader.at = at + 4;
    yield reader.call();
    at += 4 + length;
  }
}

/**
 * Reads tap calls out of bytes in the ring's record format: the ring itself, or a
 * journal of records copied out of it (recorder/tap-journal.ts).
 */
class CallReader {
  at = 0;

  constructor(private readonly data: Buffer) {}

  call(): TapCall {
    const hook = HOOKS[this.u8()]!;
    switch (hook) {
      case 'wsFrame': {
        const frame: TappedFrame = {
          flowId: this.f64(),
          seq: this.f64(),
          direction: DIRECTIONS[this.u8()]!,
          at: this.f64(),
          opcode: this.u8(),
          body: this.bytes(),
          size: this.f64(),
          truncated: this.u8() === 1,
        };
        return { hook, args: [frame] };
      }
      case 'wsClosed': {
        const flow = this.flow();
        const close: TappedClose = { flowId: this.f64(), code: this.nullable(this.f64()), reason: this.str(), by: CLOSERS[this.u8()]!, at: this.f64() };
        return { hook, args: [flow, close] };
      }
      default:
        return { hook, args: [this.flow()] };
    }
  }

  private flow(): TappedFlow {
    const id = this.f64();
    const kind = KINDS[this.u8()]!;
    const startedAt = this.f64();
    const endedAt = this.nullable(this.f64());
    const clientAddress = this.str();
    const method = this.str();
    const path = this.str();
    const httpVersion = this.str();
    const request: FlowRequest = { method, path, httpVersion, ...this.message() };
    let response: FlowResponse | null = null;
    if (this.u8() === 1) {
      const status = this.f64();
      const statusMessage = this.str();
      response = { status, statusMessage, ...this.message() };
    }
    const error = this.u8() === 1 ? { kind: this.str() as FlowErrorKind, message: this.str() } : null;
    const flow: TappedFlow = { id, kind, startedAt, endedAt, clientAddress, request, response, error };
    const replayOf = this.f64();
    if (!Number.isNaN(replayOf)) flow.replayOf = replayOf;
    const problems = this.u32();
    if (problems > 0) flow.captureProblems = Array.from({ length: problems }, () => this.str());
    return flow;
  }

  private message(): Pick<FlowRequest, 'headers' | 'body' | 'size' | 'truncated'> {
    const count = this.u32();
    const headers: HeaderList = [];
    for (let i = 0; i < count; i++) headers.push([this.str(), this.str()]);
    return { headers, body: this.bytes(), size: this.f64(), truncated: this.u8() === 1 };
  }

  private nullable(n: number): number | null {
    return Number.isNaN(n) ? null : n;
  }

  private u8(): number {
    return this.data[this.at++]!;
  }

  private u32(): number {
    const n = this.data.readUInt32LE(this.at);
    this.at += 4;
    return n;
  }

  private f64(): number {
    const n = this.data.readDoubleLE(this.at);
    this.at += 8;
    return n;
  }

  private str(): string {
    const length = this.u32();
    const s = this.data.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }

  private bytes(): Uint8Array {
    const length = this.u32();
    // A copy of its own: the ring's bytes are written over once read.
    const b = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return length === 0 ? EMPTY : new Uint8Array(b);
  }
}
