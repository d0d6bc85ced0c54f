// What crosses between the proxy's thread and the recording worker.

import type { Dropped, StoreStats } from '../storage/store.ts';

/** One tap hook call, replayed on the recorder in the worker. */
export interface TapCall {
  hook: string;
  args: unknown[];
}

export type ToWorker =
  /** Every hook called during one turn of the proxy's event loop, in order, and what was dropped instead of sent. */
  | { type: 'tap'; calls: TapCall[]; dropped: Dropped }
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  /** The backend could not start; 'options' when a --proto or --db given was at fault. */
  | { type: 'fatal'; message: string; cause: 'options' | 'other' }
  | { type: 'log'; line: string }
  /** The calls of one tap message were handed to the recorder. */
  | { type: 'recorded' }
  | { type: 'closed'; stats: ClosedStats };

export type ClosedStats = Pick<StoreStats, 'exchanges' | 'frames' | 'writeFailures' | 'dropped'>;
