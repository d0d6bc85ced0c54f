// The recording worker's side of the WAL checkpointer (app/checkpoint-worker.ts).

import { startThread } from '../recorder/threads.ts';

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
  const started = startThread(new URL('./checkpoint-worker.ts', import.meta.url), { workerData: { file } satisfies CheckpointsSetup }).then(
    (worker) => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
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
      return { worker, exited };
    },
    (err: Error) => {
      log(`recording: the WAL checkpointer of ${file} could not start: ${err.message}. The WAL grows until the proxy exits.`);
      return null;
    },
  );
  let ended = false;
  void started.then((thread) => (thread ? thread.exited : null)).then(() => (ended = true));
  return {
    async stop() {
      const thread = await started;
      if (ended || !thread) return;
      thread.worker.postMessage({ type: 'stop' } satisfies ToCheckpoints);
      await thread.exited;
    },
  };
}
