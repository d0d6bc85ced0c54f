// The breakpoints as the inspector in the recording worker sees them: the proxy's thread
// holds the paused messages (intercept/pauses.ts) and tells this mirror of each pause and
// its end; a decision made in the inspector goes back to it, and its answer (or why it
// was refused) comes back to the request that made it. The proxy's thread knows a paused
// message by its flow; here it is named by the exchange the recorder stored it as.

import { notPaused, type PauseControl, type PausedView, type PauseEvent, type ResumedView } from '../model/pauses.ts';
import type { HeldEvent } from '../intercept/pauses.ts';
import { ThreadRequests, type ThreadOutcome } from './thread-requests.ts';

export class PauseMirror implements PauseControl {
  private readonly paused = new Map<number, PausedView>();
  private readonly listeners: ((event: PauseEvent) => void)[] = [];
  /** Decisions answer with how the pause ended, injections with null. */
  private readonly requests = new ThreadRequests<ResumedView | null>();

  /** Events in the order they came, each after the exchange id of those before it is known. */
  private order: Promise<void> = Promise.resolve();

  constructor(
    private readonly tellProxy: {
      decide(requestId: number, id: number, decision: unknown): void;
      inject(requestId: number, id: number, injection: unknown): void;
    },
    /** The stored exchange a flow of the proxy's is recorded as; null when it is not (the recording fell behind, or stopped). */
    private readonly exchangeOf: (flowId: number) => number | null | Promise<number | null>,
  ) {}

  /** The proxy's thread paused a message, counted the frames waiting behind one, or one went on. */
  update(event: HeldEvent): void {
    this.order = this.order.then(async () => {
      let told: PauseEvent = event as PauseEvent;
      if (event.type === 'paused') {
        const { flowId, ...rest } = event.pause;
        // Not knowing the exchange costs the panel its link, never the pause: it is still shown and decided.
        const pause: PausedView = { ...rest, exchangeId: await Promise.resolve(flowId).then(this.exchangeOf).catch(() => null) };
        this.paused.set(pause.id, pause);
        told = { type: 'paused', pause };
      } else if (event.type === 'waiting') {
        const pause = this.paused.get(event.waiting.id);
        if (pause) pause.waiting = event.waiting.waiting;
      } else {
        this.paused.delete(event.resumed.id);
      }
      for (const listener of this.listeners) listener(told);
    });
  }

  /** The proxy's thread answered a decision or an injection. */
  decided(requestId: number, outcome: ThreadOutcome<ResumedView | null>): void {
    this.requests.answer(requestId, outcome);
  }

  list(): PausedView[] {
    return [...this.paused.values()];
  }

  async decide(id: number, decision: unknown): Promise<ResumedView> {
    this.mustBePaused(id);
    return (await this.requests.ask(`the decision on #${id}`, (requestId) => this.tellProxy.decide(requestId, id, decision)))!;
  }

  async inject(id: number, injection: unknown): Promise<void> {
    this.mustBePaused(id);
    await this.requests.ask(`the frame to inject beside #${id}`, (requestId) => this.tellProxy.inject(requestId, id, injection));
  }

  private mustBePaused(id: number): void {
    if (!this.paused.has(id)) throw notPaused(id);
  }

  onChange(listener: (event: PauseEvent) => void): void {
    this.listeners.push(listener);
  }
}
