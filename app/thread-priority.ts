// Background threads (the recorder, the WAL checkpointer) give way to forwarding.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

const BACKGROUND_NICE = 10;

/**
 * On Linux a thread has its own nice value: lowering a background thread's lets the
 * forwarding thread win the CPU when both want it, and the background work catches up
 * when traffic pauses. Elsewhere the thread keeps its priority.
 */
export function yieldCpuToForwarding(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid)) setPriority(tid, BACKGROUND_NICE);
  } catch {
    // No /proc, or not allowed: the thread simply competes on equal terms.
  }
}
