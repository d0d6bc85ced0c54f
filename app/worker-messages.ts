// What crosses between the proxy's thread and the recording worker.

import type { StoreStats } from '../model/types.ts';
import type { RuleView } from '../model/rules.ts';
import type { ResumedView } from '../model/pauses.ts';
import type { HeldEvent } from '../intercept/pauses.ts';
import type { ThreadOutcome } from './thread-requests.ts';
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
  | { type: 'rules'; rules: RuleView[] }
  /** A message paused at a breakpoint in the proxy's thread (its start is in the ring before this), or one that went on. */
  | { type: 'pause-event'; event: HeldEvent }
  /** The proxy's thread carried out a decision (how the pause ended) or an injection (null), or refused it with a sentence. */
  | { type: 'pause-decided'; requestId: number; outcome: ThreadOutcome<ResumedView | null> }
  /** The proxy's thread added a rule (its view) or removed one (null), or refused to. */
  | { type: 'rule-edited'; requestId: number; outcome: ThreadOutcome<RuleView | null> };

export type FromWorker =
  | { type: 'ready'; ui: { host: string; port: number } }
  /** The backend could not start; 'user' when it is a UserError (a --proto, a --db, a port), which crosses the thread as its sentence. */
  | { type: 'fatal'; message: string; cause: 'user' | 'other' }
  | { type: 'log'; line: string }
  | { type: 'closed'; stats: ClosedStats }
  /** The inspector switched a rule (PATCH /api/rules/:name). */
  | { type: 'rule-switch'; name: string; enabled: boolean }
  /** The inspector decided a paused message (POST /api/paused/:id). */
  | { type: 'pause-decide'; requestId: number; id: number; decision: unknown }
  /** The inspector sent a frame on a paused frame's WebSocket (POST /api/paused/:id/inject). */
  | { type: 'pause-inject'; requestId: number; id: number; injection: unknown }
  /** The inspector added a rule (POST /api/rules), as its JSON in a rules file. */
  | { type: 'rule-add'; requestId: number; rule: unknown }
  /** The inspector removed a rule it added (DELETE /api/rules/:name). */
  | { type: 'rule-remove'; requestId: number; name: string };

export type ClosedStats = Pick<StoreStats, 'exchanges' | 'frames' | 'writeFailures' | 'dropped'>;
