// One tap call as bytes: the format the ring (recorder/tap-ring.ts) carries calls in
// and the journal (recorder/tap-journal.ts) keeps them in on disk, where a file may
// outlive the build that wrote it. So every call starts with the format's version: a
// journal row written by another ca2-inspector is recognised, and kept for that one to
// read, never misparsed.
//
// Call: u8 version, u8 hook, then the hook's arguments. Strings are u32 byte length +
// UTF-8, bytes are u32 length + bytes, numbers f64 (NaN for null). The ring and a journal
// row hold calls one after another, each after its u32 length.

import type { ExchangeKind, FrameDirection, HeaderList } from '../model/types.ts';
import { asBuffer } from '../proto/scalars.ts';
import { readUtf8, readUtf8Lossy } from '../proto/text.ts';
import type { TapHook, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import { breakpointBits, breakpointEditsOf, type FlowErrorKind, type FlowOriginal, type FlowRequest, type FlowResponse, type FrameMark } from '../model/flow.ts';

/**
 * The version every call starts with: change it with any change to what a call's bytes
 * hold. It counts from 4 because calls written before they carried one start with their
 * hook, 0 to 3.
 */
export const TAP_CALL_VERSION = 6;
const FIRST_VERSION = 4;

const HOOKS: TapHook[] = ['requestStarted', 'exchangeEnded', 'wsFrame', 'wsClosed'];
const KINDS: ExchangeKind[] = ['exec', 'ws', 'http'];
const DIRECTIONS: FrameDirection[] = ['client', 'server'];
const CLOSERS: TappedClose['by'][] = ['client', 'server', 'proxy'];
const MARKS: (FrameMark | undefined)[] = [undefined, 'dropped', 'injected', 'breakpoint'];

/** How a flow's bodies are encoded: with them, or without (other hooks carry headers only). */
export type Bodies = 'with' | 'without' | 'without-marked-truncated';

/** One tap hook call as the worker replays it on the recorder. */
export interface TapCall {
  hook: TapHook;
  args: unknown[];
}

/** Bodies are read back as Buffer views (this one when empty): the codec, which reads Buffers, then takes them as they are instead of making a view of each for every decode. */
const NO_BYTES = Buffer.alloc(0);
const strBound = (s: string) => 4 + 3 * s.length;
const headersBound = (headers: HeaderList) => {
  let n = 4;
  for (const [name, value] of headers) n += strBound(name) + strBound(value);
  return n;
};

/** Upper bounds on a call's encoded size (UTF-8 takes at most 3 bytes per UTF-16 unit), version and hook included. */
export const callBound = {
  flow(flow: TappedFlow, bodies: Bodies): number {
    const { request, response, error } = flow;
    let n = 130 + strBound(flow.clientAddress) + strBound(request.method) + strBound(request.path) + strBound(request.httpVersion);
    n += headersBound(request.headers) + (bodies === 'with' ? request.body.byteLength : 0);
    if (response) n += strBound(response.statusMessage) + headersBound(response.headers) + (bodies === 'with' ? response.body.byteLength : 0);
    if (error) n += strBound(error.kind) + strBound(error.message);
    for (const p of flow.captureProblems ?? []) n += strBound(p);
    for (const rule of flow.rules ?? []) n += strBound(rule);
    const original = flow.original;
    if (original?.request) n += 64 + headersBound(original.request.headers) + (bodies === 'with' ? original.request.body.byteLength : 0);
    if (original?.response) n += 64 + headersBound(original.response.headers) + (bodies === 'with' ? original.response.body.byteLength : 0);
    return n;
  },
  frame: (frame: TappedFrame) => 80 + frame.body.byteLength + strBound(frame.rule ?? '') + (frame.original?.byteLength ?? 0),
  close: (flow: TappedFlow, close: TappedClose) => callBound.flow(flow, 'without') + 48 + strBound(close.reason),
};

/** Encodes calls into `data` from `at`, which it moves past what it wrote; the caller has checked the room (callBound). */
export class CallWriter {
  at = 0;

  constructor(private readonly data: Buffer) {}

  requestStarted(flow: TappedFlow): void {
    this.begin(0);
    this.flow(flow, 'without');
  }

  exchangeEnded(flow: TappedFlow, bodies: Bodies): void {
    this.begin(1);
    this.flow(flow, bodies);
  }

  wsFrame(frame: TappedFrame): void {
    this.begin(2);
    this.f64(frame.flowId);
    this.f64(frame.seq);
    this.u8(DIRECTIONS.indexOf(frame.direction));
    this.f64(frame.at);
    this.u8(frame.opcode);
    this.bytes(frame.body);
    this.f64(frame.size);
    this.u8(frame.truncated ? 1 : 0);
    this.str(frame.rule ?? '');
    this.u8(MARKS.indexOf(frame.mark));
    this.u8(frame.original ? 1 : 0);
    if (frame.original) this.bytes(frame.original);
  }

  wsClosed(flow: TappedFlow, close: TappedClose): void {
    this.begin(3);
    this.flow(flow, 'without');
    this.f64(close.flowId);
    this.f64(close.code ?? NaN);
    this.str(close.reason);
    this.u8(CLOSERS.indexOf(close.by));
    this.f64(close.at);
  }

  private begin(hook: number): void {
    this.u8(TAP_CALL_VERSION);
    this.u8(hook);
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
    const rules = flow.rules ?? [];
    this.u32(rules.length);
    for (const rule of rules) this.str(rule);
    // The versions rules replaced go with the bodies: the other hooks carry heads only.
    const original = bodies === 'with' ? flow.original : undefined;
    this.u8(original?.request ? 1 : 0);
    if (original?.request) this.message(original.request, bodies);
    this.u8(original?.response ? 1 : 0);
    if (original?.response) {
      this.f64(original.response.status);
      this.message(original.response, bodies);
    }
    this.u8(breakpointBits(flow.editedAtBreakpoint));
  }

  private message(m: FlowRequest | FlowResponse, bodies: Bodies): void {
    this.u32(m.headers.length);
    for (const [name, value] of m.headers) {
      this.str(name);
      this.str(value);
    }
    this.bytes(bodies === 'with' ? m.body : NO_BYTES);
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

/** The hook of the call at `at`, without decoding it (the ring counts the exchanges and frames it hands out). */
export function hookAt(data: Uint8Array, at: number): TapHook | undefined {
  return HOOKS[data[at + 1]!];
}

/** The flow the call at `at` is about (a frame's, or the flow's own id), without decoding it. */
export function flowIdAt(data: Buffer, at: number): number {
  return data.readDoubleLE(at + 2);
}

/** The kind of exchange of a requestStarted, exchangeEnded or wsClosed call at `at`, without decoding it. */
export function kindAt(data: Uint8Array, at: number): ExchangeKind | undefined {
  return KINDS[data[at + 10]!];
}

/** Where each call of a journal row starts (after its u32 length), in order; throws at a length that runs past the row. */
export function* callStarts(records: Buffer): Generator<number> {
  for (let at = 0; at < records.byteLength; ) {
    const length = records.readUInt32LE(at);
    if (at + 4 + length > records.byteLength) throw new Error(`the tap call at byte ${at} runs past the end of its row`);
    yield at + 4;
    at += 4 + length;
  }
}

/** The call at `at` of a journal row, decoded; its bodies are views of the row's bytes. */
export function callAt(data: Buffer, at: number): TapCall {
  const reader = new CallReader(data);
  reader.at = at;
  return reader.call();
}

/**
 * The version of the calls of a journal row, read from its first: a row is written by one
 * ca2-inspector. Calls from before versions, which start with their hook, read as 0.
 */
export function journalVersion(records: Uint8Array): number {
  if (records.byteLength < 5) return TAP_CALL_VERSION;
  const first = records[4]!;
  return first < FIRST_VERSION ? 0 : first;
}

/** What an exchangeEnded call says of an exchange's envelopes, read without the rest of the call. */
export interface CallEnvelopes {
  startedAt: number;
  requestBody: Uint8Array;
  /** Of its headers, those that may be its content type (named in 12 bytes): all its envelope's type depends on. */
  response: { headers: HeaderList; body: Uint8Array } | null;
}

const CONTENT_TYPE_BYTES = 'content-type'.length;

/** The envelopes of the exchangeEnded call at `at` of a journal row; its bodies are views of the row's bytes. */
export function envelopesAt(data: Buffer, at: number): CallEnvelopes {
  const reader = new CallReader(data);
  reader.at = at;
  return reader.envelopes();
}

/** Which headers of an /exec flow a reader keeps: all, or those that may be its content type (named in 12 bytes), all its summary needs (the live view's, never stored). */
export type ExecHeaders = 'all' | 'content-type';

/** The calls of a journal row (each after its u32 length, as the ring held them), in order; their bodies are views of the row's bytes. */
export function* journalCalls(records: Uint8Array, execHeaders: ExecHeaders = 'all'): Generator<TapCall> {
  const data = asBuffer(records);
  const reader = new CallReader(data, execHeaders);
  for (const at of callStarts(data)) {
    reader.at = at;
    yield reader.call();
  }
}

/** Decodes calls out of a journal row (copied out of the ring, whose bytes are written over once read) from `at`; bodies are views of its bytes. */
class CallReader {
  at = 0;

  constructor(private readonly data: Buffer, private readonly execHeaders: ExecHeaders = 'all') {}

  call(): TapCall {
    this.version();
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
        const rule = this.str();
        if (rule !== '') frame.rule = rule;
        const mark = MARKS[this.u8()];
        if (mark !== undefined) frame.mark = mark;
        if (this.u8() === 1) frame.original = this.bytes();
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

  /** The envelopes of an exchangeEnded call, skipping over what flow() reads besides them. */
  envelopes(): CallEnvelopes {
    this.version();
    // The hook, the flow's id and kind.
    this.at += 10;
    const startedAt = this.f64();
    // Its end; its client's address, method, path and HTTP version; the request's headers.
    this.at += 8;
    this.skipStrings(4);
    this.skipStrings(2 * this.u32());
    const requestBody = this.bytes();
    // The request's size and whether it was truncated.
    this.at += 9;
    let response: CallEnvelopes['response'] = null;
    if (this.u8() === 1) {
      // The status and its message.
      this.at += 8;
      this.skipStrings(1);
      response = { headers: this.headers(true), body: this.bytes() };
      this.at += 9;
    }
    // The rest as call() reads it (error, replayOf, problems, rules, originals, edits): a call it cannot read ends its row's replay, so is never refused and passed over.
    if (this.u8() === 1) this.skipStrings(2);
    this.at += 8;
    for (let lists = 0; lists < 2; lists++) this.skipStrings(this.u32());
    if (this.u8() === 1) this.skipMessage(0);
    if (this.u8() === 1) this.skipMessage(8);
    if (++this.at > this.data.length) throw new Error('the tap call runs past the end of its row');
    return { startedAt, requestBody, response };
  }

  /** A message() passed over, `head` bytes on: its headers, its body (laid out as a string is), its size and truncated flag. */
  private skipMessage(head: number): void {
    this.at += head;
    this.skipStrings(2 * this.u32() + 1);
    this.at += 9;
  }

  private version(): void {
    const version = this.u8();
    if (version !== TAP_CALL_VERSION) throw new Error(`a tap call of version ${version}, where ${TAP_CALL_VERSION} was expected`);
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
    // Field by field, in the order a spread of message() gave: a spread costs more than the rest of the object. A WebSocket's upgrade is checked on its headers.
    const contentTypeOnly = kind === 'exec' && this.execHeaders === 'content-type';
    const request: FlowRequest = { method, path, httpVersion, headers: this.headers(contentTypeOnly), body: this.bytes(), size: this.f64(), truncated: this.u8() === 1 };
    let response: FlowResponse | null = null;
    if (this.u8() === 1) {
      const status = this.f64();
      const statusMessage = this.str();
      response = { status, statusMessage, headers: this.headers(contentTypeOnly), body: this.bytes(), size: this.f64(), truncated: this.u8() === 1 };
    }
    const error = this.u8() === 1 ? { kind: this.str() as FlowErrorKind, message: this.str() } : null;
    // The ring and the journal carry the proxy's own tap (app/worker-bridge.ts): its flows are live.
    const flow: TappedFlow = { id, source: 'live', kind, startedAt, endedAt, clientAddress, request, response, error };
    const replayOf = this.f64();
    if (!Number.isNaN(replayOf)) flow.replayOf = replayOf;
    const problems = this.u32();
    if (problems > 0) flow.captureProblems = Array.from({ length: problems }, () => this.str());
    const rules = this.u32();
    if (rules > 0) flow.rules = Array.from({ length: rules }, () => this.str());
    const original: FlowOriginal = { request: null, response: null };
    if (this.u8() === 1) original.request = { method, path, httpVersion, ...this.message() };
    if (this.u8() === 1) {
      const status = this.f64();
      original.response = { status, statusMessage: '', ...this.message() };
    }
    if (original.request || original.response) flow.original = original;
    const edited = this.u8();
    if (edited !== 0) flow.editedAtBreakpoint = breakpointEditsOf(edited);
    return flow;
  }

  private message(): Pick<FlowRequest, 'headers' | 'body' | 'size' | 'truncated'> {
    return { headers: this.headers(), body: this.bytes(), size: this.f64(), truncated: this.u8() === 1 };
  }

  private headers(contentTypeOnly = false): HeaderList {
    const headers: HeaderList = [];
    for (let i = 0, count = this.u32(); i < count; i++) {
      if (contentTypeOnly && this.data.readUInt32LE(this.at) !== CONTENT_TYPE_BYTES) this.skipStrings(2);
      else headers.push([this.str(), this.str()]);
    }
    return headers;
  }

  private skipStrings(n: number): void {
    for (let i = 0; i < n; i++) this.at += 4 + this.u32();
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

  /** Short ASCII (headers, paths) is read as the codec reads it, without toString's checks and native call. */
  private str(): string {
    const start = this.at + 4;
    this.at = start + this.u32();
    const end = Math.min(this.at, this.data.length); // cut at the row's end, as toString cut a damaged length
    return readUtf8(this.data, start, end) ?? readUtf8Lossy(this.data, start, end);
  }

  private bytes(): Uint8Array {
    const length = this.u32();
    const b = length === 0 ? NO_BYTES : Buffer.from(this.data.buffer, this.data.byteOffset + this.at, length);
    this.at += length;
    return b;
  }
}
