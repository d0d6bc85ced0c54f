// What crosses between the proxy's thread and the recording worker.

import type { StoreStats } from '../model/types.ts';
import type { BackendOptions } from './backend.ts';

/** The worker's workerData: the backend's options and the ring the tap calls arrive in (recorder/tap-ring.ts). */
export interface WorkerSetup {
  options: BackendOptions;
  ring: SharedArrayBuffer;
}

/** Record what is in the ring, then close. */
export type ToWorker = { type: 'shutdown' };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  /** The backend could not start; 'user' when it is a UserError (a --proto, a --db, a port), which crosses the thread as its sentence. */
  | { type: 'fatal'; message: string; cause: 'user' | 'other' }
  | { type: 'log'; line: string }
  | { type: 'closed'; stats: ClosedStats };

export type ClosedStats = Pick<StoreStats, 'exchanges' | 'frames' | 'writeFailures' | 'dropped'>;
