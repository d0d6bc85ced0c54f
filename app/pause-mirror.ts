// The breakpoints as the inspector in the recording worker sees them: the proxy's thread
// holds the paused messages (intercept/pauses.ts) and tells this mirror of each pause and
// its end; a decision made in the inspector goes back to it, and its answer (or why it
// was refused) comes back to the request that made it.

import type { PauseControl, PausedView, PauseEvent, ResumedView } from '../model/pauses.ts';
import { Refusal } from '../model/user-refusal.ts';
import { ThreadRequests, type ThreadOutcome } from './thread-requests.ts';

export class PauseMirror implements PauseControl {
  private readonly paused = new Map<number, PausedView>();
  private readonly listeners: ((event: PauseEvent) => void)[] = [];
  private readonly requests = new ThreadRequests<ResumedView>();

  constructor(private readonly tellProxy: (requestId: number, id: number, decision: unknown) => void) {}

  /** The proxy's thread paused a message, or one went on. */
  update(event: PauseEvent): void {
    if (event.type === 'paused') this.paused.set(event.pause.id, event.pause);
    else this.paused.delete(event.resumed.id);
    for (const listener of this.listeners) listener(event);
  }

  /** The proxy's thread answered a decision. */
  decided(requestId: number, outcome: ThreadOutcome<ResumedView>): void {
    this.requests.answer(requestId, outcome);
  }

  list(): PausedView[] {
    return [...this.paused.values()];
  }

  decide(id: number, decision: unknown): Promise<ResumedView> {
    if (!this.paused.has(id)) return Promise.reject(new Refusal(`No message #${id} is paused: it went on already, or never paused. GET /api/paused lists those that are.`, 404));
    return this.requests.ask(`the decision on #${id}`, (requestId) => this.tellProxy(requestId, id, decision));
  }

  onChange(listener: (event: PauseEvent) => void): void {
    this.listeners.push(listener);
  }
}
