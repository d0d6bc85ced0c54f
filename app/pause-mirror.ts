// The breakpoints as the inspector in the recording worker sees them: the proxy's thread
// holds the paused messages (intercept/pauses.ts) and tells this mirror of each pause and
// its end; a decision made in the inspector goes back to it, and its answer (or why it
// was refused) comes back to the request that made it.

import { PauseRefusal, type PauseControl, type PausedView, type PauseEvent, type ResumedView } from '../model/pauses.ts';
import type { PauseOutcomeMessage } from './worker-messages.ts';

/** How long a decision waits for the proxy's thread before the request is answered with an error. */
const DECIDE_TIMEOUT_MS = 10_000;

export class PauseMirror implements PauseControl {
  private readonly paused = new Map<number, PausedView>();
  private readonly listeners: ((event: PauseEvent) => void)[] = [];
  private nextRequest = 1;
  private readonly asked = new Map<number, { resolve: (r: ResumedView) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly tellProxy: (requestId: number, id: number, decision: unknown) => void) {}

  /** The proxy's thread paused a message, or one went on. */
  update(event: PauseEvent): void {
    if (event.type === 'paused') this.paused.set(event.pause.id, event.pause);
    else this.paused.delete(event.resumed.id);
    for (const listener of this.listeners) listener(event);
  }

  /** The proxy's thread answered a decision. */
  decided(requestId: number, outcome: PauseOutcomeMessage): void {
    const asked = this.asked.get(requestId);
    if (!asked) return;
    this.asked.delete(requestId);
    clearTimeout(asked.timer);
    if ('resumed' in outcome) asked.resolve(outcome.resumed);
    else if ('refused' in outcome) asked.reject(new PauseRefusal(outcome.refused.message, outcome.refused.status));
    else asked.reject(new Error(`the proxy could not carry out the decision: ${outcome.failed}`));
  }

  list(): PausedView[] {
    return [...this.paused.values()];
  }

  decide(id: number, decision: unknown): Promise<ResumedView> {
    if (!this.paused.has(id)) return Promise.reject(new PauseRefusal(`No message #${id} is paused: it went on already, or never paused. GET /api/paused lists those that are.`, 404));
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.asked.delete(requestId);
        reject(new Error(`the proxy did not answer the decision on #${id} within ${DECIDE_TIMEOUT_MS / 1000} s`));
      }, DECIDE_TIMEOUT_MS);
      timer.unref();
      this.asked.set(requestId, { resolve, reject, timer });
      this.tellProxy(requestId, id, decision);
    });
  }

  onChange(listener: (event: PauseEvent) => void): void {
    this.listeners.push(listener);
  }
}
