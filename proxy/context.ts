// What every forwarder shares for one proxy run.

import type { FlowTracker } from './flows.ts';
import type { Tap } from './tap.ts';
import type { Upstream } from './upstream.ts';
import type { InterceptStage } from './intercept.ts';

/** Capture limit per body or frame unless --max-body says otherwise; the mock's request limit too. */
export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export interface ProxyContext {
  readonly upstream: Upstream;
  readonly tap: Tap;
  readonly flows: FlowTracker;
  /** Capture limit per body or frame, in bytes. */
  readonly maxBody: number;
  readonly upstreamTimeoutMs: number;
  /** Set once close() begins: answers then close the client's connection instead of keeping it alive. */
  closing: boolean;
  /** The grace period close() was given, for the sentence recorded on exchanges it had to end. */
  graceMs: number;
  /** Rules that change traffic in flight; null with none loaded. */
  readonly intercept: InterceptStage | null;
}
