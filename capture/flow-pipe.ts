// Flows read on a thread of their own and taken, synchronously, by the thread that needs
// them: an import's file (capture/import-pipe.ts) and an export's exchanges
// (capture/export-reads.ts) are read while the taking thread records, redacts and writes.
//
// The taking thread stays synchronous, as the SQLite transaction it is in must be: it waits
// on a shared counter and takes each message with receiveMessageOnPort. Flows go a batch at
// a time, packed (capture/import-batch.ts), and the reading thread is a few batches ahead at
// most, so memory does not grow with the file.

import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startThread } from '../recorder/threads.ts';
import type { Flow } from '../model/flow.ts';
import { UserError } from '../model/user-error.ts';
import { BatchPacker, BatchUnpacker, type PackedBatch } from './import-batch.ts';
import { SourceError } from './source-error.ts';

/** Flows a batch carries: few enough that the first reaches the taker soon. */
export const PIPE_BATCH = 100;
/** Batches the reading thread may be ahead by: what memory holds besides the taker's own. */
export const PIPE_AHEAD = 3;

/** Slots of the shared counters. */
const POSTED = 0;
const TAKEN = 1;
const CANCELLED = 2;
const EXITED = 3;

/** What a reading thread is started with, besides what its own job needs. */
export interface PipeJob {
  port: MessagePort;
  /** Int32 slots POSTED, TAKEN, CANCELLED, EXITED. */
  counters: SharedArrayBuffer;
}

export type PipeMessage<Opened> =
  /** First, once the thread has opened what it reads. */
  | { type: 'opened'; opened: Opened }
  | { type: 'batch'; batch: PackedBatch; share: number | null }
  /** After the last batch of a pass over the flows. */
  | { type: 'done' }
  /** A UserError keeps its sentence; anything else (a bug) its stack too. */
  | { type: 'failed'; message: string; user: boolean; stack: string | undefined };

/**
 * The reading thread's end of the pipe. The thread's exit is told on the counters, as the
 * taker waits on them without an event loop to hear of it.
 */
export class PipeEnd<Opened> {
  private readonly counters: Int32Array;
  private readonly packer = new BatchPacker();
  private posted = 0;

  constructor(private readonly job: PipeJob) {
    const counters = (this.counters = new Int32Array(job.counters));
    process.on('exit', () => {
      Atomics.store(counters, EXITED, 1);
      Atomics.notify(counters, POSTED);
    });
  }

  /** Sends a message and counts it; false once the taker has cancelled. */
  post(message: PipeMessage<Opened>, transfer: ArrayBuffer[] = []): boolean {
    if (this.cancelled()) return false;
    this.job.port.postMessage(message, transfer);
    Atomics.store(this.counters, POSTED, ++this.posted);
    Atomics.notify(this.counters, POSTED);
    return true;
  }

  /** Posts `flows` a batch at a time, then done; false once the taker has cancelled. `share`: how much is read, where the count is not known. */
  postFlows(flows: Iterable<Flow>, share?: () => number): boolean {
    let batch: Flow[] = [];
    for (const flow of flows) {
      batch.push(flow);
      if (batch.length < PIPE_BATCH) continue;
      if (!this.postBatch(batch, share?.() ?? null)) return false;
      batch = [];
    }
    if (batch.length > 0 && !this.postBatch(batch, share?.() ?? null)) return false;
    return this.post({ type: 'done' });
  }

  /** Tells the taker why reading stopped: a UserError by its sentence, anything else with its stack. */
  fail(err: unknown): void {
    this.post({ type: 'failed', message: (err as Error).message, user: err instanceof UserError, stack: (err as Error).stack });
  }

  /** Waits until the taker closes the pipe: what was read stays open while the taker may still use it. */
  waitForClose(): void {
    while (!this.cancelled()) Atomics.wait(this.counters, CANCELLED, 0);
  }

  private cancelled(): boolean {
    return Atomics.load(this.counters, CANCELLED) === 1;
  }

  private postBatch(flows: Flow[], share: number | null): boolean {
    const batch = this.packer.pack(flows);
    return this.room() && this.post({ type: 'batch', batch, share }, [batch.bodies, batch.spans.buffer as ArrayBuffer]);
  }

  /** Waits while the taker is PIPE_AHEAD batches behind; false once it has cancelled. */
  private room(): boolean {
    for (;;) {
      if (this.cancelled()) return false;
      const taken = Atomics.load(this.counters, TAKEN);
      if (this.posted - taken < PIPE_AHEAD) return true;
      Atomics.wait(this.counters, TAKEN, taken);
    }
  }
}

/**
 * Starts a reading thread on `entry` with `job` and waits, letting the event loop run, for
 * it to say it opened what it reads: the pipe and what it opened; or why it did not get
 * that far (it could not start, or ended first), for the caller to read on its own thread.
 * `stopped` is the sentence for a thread that ends later without saying why; `meanwhile`
 * runs while the thread starts.
 * A failure the thread reports (a file it cannot read) throws, as reading it here would.
 */
export async function startPipe<Opened>(
  entry: URL,
  job: object,
  { stopped, meanwhile }: { stopped: string; meanwhile?: () => void },
): Promise<{ pipe: Pipe<Opened>; opened: Opened } | { failed: string }> {
  const counters = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = await startThread(entry, { workerData: { ...job, port: port2, counters } satisfies PipeJob, transferList: [port2] });
  } catch (err) {
    port1.close();
    return { failed: (err as Error).message };
  }
  const pipe = new Pipe<Opened>(stopped, worker, port1, new Int32Array(counters));
  try {
    meanwhile?.();
    const ended = await pipe.opening();
    if (ended !== null) {
      pipe.close();
      return { failed: ended };
    }
    const first = pipe.next();
    if (first.type !== 'opened') throw pipe.failure(first);
    return { pipe, opened: first.opened };
  } catch (err) {
    pipe.close();
    throw err;
  }
}

/** The taking thread's end of the pipe. */
export class Pipe<Opened> {
  /** What the last batch said of how much is read, where the count is not known. */
  share: number | null = null;
  private taken = 0;
  private closed = false;
  private readonly unpacker = new BatchUnpacker();
  /** Why the thread ended, once it has: its uncaught error, else its exit code. */
  private ended: string | null = null;

  constructor(
    /** The sentence for a thread that ends without saying why. */
    private readonly stopped: string,
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly counters: Int32Array,
  ) {
    worker.on('error', (err) => (this.ended ??= err.message));
    worker.on('exit', (code) => (this.ended ??= `it exited with code ${code}`));
  }

  /**
   * Waits, letting the event loop run, for the thread's first message: null once it is
   * posted, or why the thread ended first. Until its code runs (a module that fails to load
   * ends it before) only the event loop hears of its end.
   */
  async opening(): Promise<string | null> {
    const ended = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const wait = Atomics.waitAsync(this.counters, POSTED, 0);
    if (wait.async) await Promise.race([wait.value, ended]);
    // From here the taker waits on the counters, never on the event loop, which the thread then need not keep running.
    this.worker.unref();
    return Atomics.load(this.counters, POSTED) > 0 ? null : (this.ended ?? 'it ended');
  }

  /** The next message, waited for: the reading thread counts each one it posts, and says when it exits. */
  next(): PipeMessage<Opened> {
    for (;;) {
      // Its messages are all posted before it says it exited: one not there after that never comes.
      const exited = Atomics.load(this.counters, EXITED) === 1;
      const received = receiveMessageOnPort(this.port);
      if (received) {
        this.taken++;
        Atomics.store(this.counters, TAKEN, this.taken);
        Atomics.notify(this.counters, TAKEN);
        return received.message as PipeMessage<Opened>;
      }
      if (exited) throw new SourceError(this.stopped);
      Atomics.wait(this.counters, POSTED, this.taken);
    }
  }

  /** The flows of one pass, up to its done. */
  *flows(): Generator<Flow> {
    for (;;) {
      const message = this.next();
      if (message.type === 'done') return;
      if (message.type !== 'batch') throw this.failure(message);
      this.share = message.share;
      yield* this.unpacker.unpack(message.batch);
    }
  }

  failure(message: PipeMessage<Opened>): Error {
    if (message.type !== 'failed') return new Error(`a reading thread sent ${message.type} out of turn`);
    if (message.user) return new SourceError(message.message);
    return Object.assign(new Error(message.message), { stack: message.stack });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.counters, CANCELLED, 1);
    Atomics.notify(this.counters, TAKEN);
    Atomics.notify(this.counters, CANCELLED);
    Atomics.notify(this.counters, POSTED);
    this.port.close();
    void this.worker.terminate();
  }
}
