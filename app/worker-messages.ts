// What crosses between the proxy's thread and the recording worker.

import type { StoreStats } from '../model/types.ts';
import type { RuleView } from '../model/rules.ts';
import type { BackendOptions } from './backend.ts';

/** The worker's workerData: the backend's options and the ring the tap calls arrive in (recorder/tap-ring.ts). */
export interface WorkerSetup {
  options: BackendOptions;
  ring: SharedArrayBuffer;
}

export type ToWorker =
  /** Record what is in the ring, then close. */
  | { type: 'shutdown' }
  /** The rules loaded in the proxy's thread as they are now, for the inspector. */
  | { type: 'rules'; rules: RuleView[] };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  /** The backend could not start; 'user' when it is a UserError (a --proto, a --db, a port), which crosses the thread as its sentence. */
  | { type: 'fatal'; message: string; cause: 'user' | 'other' }
  | { type: 'log'; line: string }
  | { type: 'closed'; stats: ClosedStats }
  /** The inspector switched a rule (PATCH /api/rules/:name). */
  | { type: 'rule-switch'; name: string; enabled: boolean };

export type ClosedStats = Pick<StoreStats, 'exchanges' | 'frames' | 'writeFailures' | 'dropped'>;
