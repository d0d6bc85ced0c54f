// What crosses between the proxy's thread and the recording worker.

/** One tap hook call, replayed on the recorder in the worker. */
export interface TapCall {
  hook: string;
  args: unknown[];
}

export type ToWorker =
  /** Every hook called during one turn of the proxy's event loop, in order. */
  | { type: 'tap'; calls: TapCall[] }
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  /** The backend could not start; 'options' when a --proto or --db given was at fault. */
  | { type: 'fatal'; message: string; cause: 'options' | 'other' }
  | { type: 'log'; line: string }
  /** This many tap calls were handed to the recorder. */
  | { type: 'recorded'; calls: number }
  | { type: 'closed'; stats: { exchanges: number; frames: number; writeFailures: number; dropped: number } };
