// The recording worker's side of the WAL checkpointer (app/checkpoint-worker.ts).

import { startTsWorker } from '../recorder/ts-worker.ts';

export interface CheckpointsSetup {
  file: string;
}
export type ToCheckpoints = { type: 'stop' };
/** Checkpointing failed (a sentence), or, with null, works again. The thread's exit says it stopped. */
export type FromCheckpoints = { type: 'problem'; message: string | null };

export interface Checkpoints {
  /** Stops checkpointing; the store's own close then makes the last checkpoint. */
  stop(): Promise<void>;
}

/** Starts checkpointing `file`'s WAL on a thread of its own; problems are said through `log`. */
export function startCheckpoints(file: string, log: (line: string) => void): Checkpoints {
  const worker = startTsWorker(new URL('./checkpoint-worker.ts', import.meta.url), { workerData: { file } satisfies CheckpointsSetup });
  let ended = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => (ended = true));
  // Not a reason to keep the process alive: the recorder's thread is.
  worker.unref();
  worker.on('error', (err) => log(`recording: the WAL checkpointer of ${file} stopped: ${err.message}. The WAL grows until the proxy exits.`));
  worker.on('message', (message: FromCheckpoints) => {
    log(
      message.message === null
        ? `recording: checkpointing ${file}'s WAL works again.`
        : `recording: could not checkpoint ${file}'s WAL (${message.message}); it grows until this is tried again and succeeds.`,
    );
  });
  return {
    async stop() {
      if (ended) return;
      worker.postMessage({ type: 'stop' } satisfies ToCheckpoints);
      await exited;
    },
  };
}
