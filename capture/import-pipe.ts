// What an import reads its file on: a thread of its own reads the file (parses a HAR
// file, reads a capture's rows) and makes each exchange a flow (capture/import-thread.ts),
// while the caller's thread records the flows as before (capture/record.ts, recordFlows:
// decoded, checked, left out when already there, written) and checks the file's values
// meanwhile. Reading was about half of an import's time, on a machine with a core to spare.
//
// The caller's thread stays synchronous while it writes, as the one SQLite transaction an
// import is in must be: it waits on a shared counter and takes each batch with
// receiveMessageOnPort. Batches are packed (capture/import-batch.ts).

import { statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startThread } from '../recorder/threads.ts';
import type { Flow } from '../model/flow.ts';
import { BatchUnpacker, type PackedBatch } from './import-batch.ts';
import { SourceError } from './source-error.ts';
import { openSource, readsInPlace, refuseImpossibleValues, type Source } from './sources.ts';

/** Flows a batch carries: few enough that the first reaches the writer soon. */
export const PIPE_BATCH = 100;
/** Batches the reading thread may be ahead by: what memory holds besides the writer's own. */
export const PIPE_AHEAD = 3;

/** Slots of the shared counters. */
export const POSTED = 0;
export const TAKEN = 1;
export const CANCELLED = 2;
export const EXITED = 3;

export interface ImportJob {
  file: string;
  port: MessagePort;
  /** Int32 slots POSTED, TAKEN, CANCELLED, EXITED. */
  counters: SharedArrayBuffer;
}

export type PipeMessage =
  /** Source's descriptorSet and total; rows: Source.rows, for the writer to check the values of meanwhile. */
  | { type: 'opened'; descriptorSet: Uint8Array | null; total: number | null; rows: string | null }
  | { type: 'batch'; batch: PackedBatch; share: number | null }
  | { type: 'done' }
  /** A UserError keeps its sentence; anything else (a bug) its stack too. */
  | { type: 'failed'; message: string; user: boolean; stack: string | undefined };

/**
 * The reading thread's end of the pipe: `post` sends a message and counts it (false once
 * the writer has cancelled), and the thread's exit is told on the counters, as the writer
 * waits on them without an event loop to hear of it.
 */
export function pipeEnd(job: ImportJob): { counters: Int32Array; posted(): number; post(message: PipeMessage, transfer?: ArrayBuffer[]): boolean } {
  const counters = new Int32Array(job.counters);
  let posted = 0;
  process.on('exit', () => {
    Atomics.store(counters, EXITED, 1);
    Atomics.notify(counters, POSTED);
  });
  return {
    counters,
    posted: () => posted,
    post(message, transfer = []) {
      if (Atomics.load(counters, CANCELLED)) return false;
      job.port.postMessage(message, transfer);
      Atomics.store(counters, POSTED, ++posted);
      Atomics.notify(counters, POSTED);
      return true;
    },
  };
}

const threadEntry = new URL('./import-thread.ts', import.meta.url);

/**
 * Files smaller than this are read on the command's thread: starting a thread (about half a
 * second here) costs more than reading one of them there saves. A bug report's HAR or capture
 * of a few hundred exchanges imported in 1.2-1.4 s through a thread, 0.65 s without.
 */
export const PIPE_MIN_BYTES = 32 * 2 ** 20;

/**
 * Opens `file` (a HAR file, a capture or a recording) to import, as openSource does, its
 * flows read on a thread of its own once it has PIPE_MIN_BYTES. Throws SourceError with the
 * sentence openSource would. A thread that cannot start, or ends before it has opened the
 * file, is told to `notice`, and the file is read on this thread (openSource). `entry` and
 * `minBytes` are for tests.
 */
export async function openImport(file: string, notice: (line: string) => void, { entry = threadEntry, minBytes = PIPE_MIN_BYTES } = {}): Promise<Source> {
  if (sizeOf(file) < minBytes) return openSource(file);
  const piped = await openPiped(file, entry);
  if ('source' in piped) return piped.source;
  notice(`${file} could not be read on a thread of its own (${piped.failed}), so it is read on this one.`);
  return openSource(file);
}

/** The file's size, or 0 when it cannot be looked at: openSource then says why. */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The file opened on a thread of its own; or, when that thread did not get as far as opening it, why. */
async function openPiped(file: string, entry: URL): Promise<{ source: Source } | { failed: string }> {
  const counters = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const { port1, port2 } = new MessageChannel();
  const job: ImportJob = { file, port: port2, counters };
  let worker: Worker;
  try {
    worker = await startThread(entry, { workerData: job, transferList: [port2] });
  } catch (err) {
    port1.close();
    return { failed: (err as Error).message };
  }
  const pipe = new Pipe(file, worker, port1, new Int32Array(counters));
  try {
    // Checked while the thread starts, where the rows are read as they are; else once it has made its copy of them.
    const checked = readsInPlace(file);
    if (checked) refuseImpossibleValues(file, file);
    const ended = await pipe.opening();
    if (ended !== null) {
      pipe.close();
      return { failed: ended };
    }
    const opened = pipe.next();
    if (opened.type !== 'opened') throw pipe.failure(opened);
    if (opened.rows !== null && !checked) refuseImpossibleValues(file, opened.rows);
    return {
      source: {
        descriptorSet: opened.descriptorSet,
        flows: pipe.flows(),
        total: opened.total,
        ...(opened.total === null && { share: () => pipe.share ?? 0 }),
        rows: opened.rows,
        close: () => pipe.close(),
      },
    };
  } catch (err) {
    pipe.close();
    throw err;
  }
}

class Pipe {
  share: number | null = null;
  private taken = 0;
  private closed = false;
  private readonly unpacker = new BatchUnpacker();
  /** Why the thread ended, once it has: its uncaught error, else its exit code. */
  private ended: string | null = null;

  constructor(
    private readonly file: string,
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
    // From here the caller waits on the counters, never on the event loop, which the thread then need not keep running.
    this.worker.unref();
    return Atomics.load(this.counters, POSTED) > 0 ? null : (this.ended ?? 'it ended');
  }

  /** The next message, waited for: the reading thread counts each one it posts, and says when it exits. */
  next(): PipeMessage {
    for (;;) {
      // Its messages are all posted before it says it exited: one not there after that never comes.
      const exited = Atomics.load(this.counters, EXITED) === 1;
      const received = receiveMessageOnPort(this.port);
      if (received) {
        this.taken++;
        Atomics.store(this.counters, TAKEN, this.taken);
        Atomics.notify(this.counters, TAKEN);
        return received.message as PipeMessage;
      }
      if (exited) throw new SourceError(`${this.file}: the thread reading it stopped without saying why; nothing from this file was imported.`);
      Atomics.wait(this.counters, POSTED, this.taken);
    }
  }

  *flows(): Generator<Flow> {
    for (;;) {
      const message = this.next();
      if (message.type === 'done') return;
      if (message.type !== 'batch') throw this.failure(message);
      this.share = message.share;
      yield* this.unpacker.unpack(message.batch);
    }
  }

  failure(message: PipeMessage): Error {
    if (message.type !== 'failed') return new Error(`the import's reading thread sent ${message.type} out of turn`);
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
