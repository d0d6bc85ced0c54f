// Where an export reads its exchanges: in a pass to learn their tokens, when it redacts,
// then in a pass to write them. A large selection is read on a thread of its own
// (capture/export-read-thread.ts), through a read-only connection of its own, while this
// thread learns, redacts, records and writes: reading was a fifth of a 100,000-exchange
// export, on a machine with a core to spare.

import type { Flow } from '../model/flow.ts';
import type { Codec } from '../proto/codec.ts';
import type { Store } from '../storage/store.ts';
import { startPipe, type Pipe } from './flow-pipe.ts';
import { namedFlows } from './sources.ts';

/** What the reading thread is started with, besides its end of the pipe. */
export interface ExportReadJob {
  /** The recording, with every exchange of `ids` committed. */
  file: string;
  /** The export's schema, so that the thread works out stale facts as the export would. */
  schema: { bytes: Uint8Array; fingerprint: string };
  ids: readonly number[];
  passes: number;
}

/**
 * Selections smaller than this are read on the export's own thread: starting a thread
 * (0.2-0.5 s here) costs more than reading them there. Reading took 10-12 µs an exchange.
 */
export const EXPORT_PIPE_MIN = 20_000;

/** The selected exchanges, oldest first, `passes` times over. */
export interface ExportReads {
  /** The next pass over the exchanges: each one is taken whole, in turn. */
  pass(): Iterable<Flow>;
  close(): void;
}

const threadEntry = new URL('./export-read-thread.ts', import.meta.url);

/**
 * Reads `ids` of `store` `passes` times, on a thread of its own when there are
 * EXPORT_PIPE_MIN or more. A thread that cannot start or open the recording is told to
 * `notice`, and the exchanges are read on this thread. `entry` and `minIds` are for tests.
 */
export async function openExportReads(
  store: Store,
  ids: readonly number[],
  { codec, passes, notice, entry = threadEntry, minIds = EXPORT_PIPE_MIN }: { codec: Codec; passes: number; notice?: (line: string) => void; entry?: URL; minIds?: number },
): Promise<ExportReads> {
  const here: ExportReads = { pass: () => namedFlows(store, ids), close: () => undefined };
  if (passes === 0 || ids.length < minIds) return here;
  const job: ExportReadJob = { file: store.file, schema: { bytes: codec.descriptorSet(), fingerprint: codec.fingerprint }, ids, passes };
  let pipe: Pipe<null>;
  try {
    const started = await startPipe<null>(entry, job, { stopped: `The thread reading ${store.file} for the export stopped without saying why; nothing was written.` });
    if ('failed' in started) throw new Error(started.failed);
    pipe = started.pipe;
  } catch (err) {
    notice?.(`${store.file} could not be read on a thread of its own (${(err as Error).message}), so it is read on this one.`);
    return here;
  }
  return { pass: () => pipe.flows(), close: () => pipe.close() };
}
