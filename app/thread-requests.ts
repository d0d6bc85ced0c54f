// Requests the recording worker makes of the proxy's thread and waits on (a decision on a
// paused message, a rule added or removed): each gets an id, the answer comes back with
// it, and one the proxy's thread never answers fails after a while instead of hanging
// the inspector's request.

import { Refusal, type RefusalStatus } from '../model/user-refusal.ts';

/** How an asked thing went in the proxy's thread: done, refused with a sentence, or failed (a bug). */
export type ThreadOutcome<T> = { done: T } | { refused: { status: RefusalStatus; message: string } } | { failed: string };

const ANSWER_TIMEOUT_MS = 10_000;

export class ThreadRequests<T> {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (value: T) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  /** Sends the request through `send` with its id, and waits for answer() with that id. `what` names it in a timeout's sentence. */
  ask(what: string, send: (requestId: number) => void): Promise<T> {
    const requestId = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new Error(`the proxy did not answer ${what} within ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(requestId, { resolve, reject, timer });
      send(requestId);
    });
  }

  answer(requestId: number, outcome: ThreadOutcome<T>): void {
    const waiting = this.waiting.get(requestId);
    if (!waiting) return;
    this.waiting.delete(requestId);
    clearTimeout(waiting.timer);
    if ('done' in outcome) waiting.resolve(outcome.done);
    else if ('refused' in outcome) waiting.reject(new Refusal(outcome.refused.message, outcome.refused.status));
    else waiting.reject(new Error(`the proxy could not do it: ${outcome.failed}`));
  }
}

/** Runs `act` in the proxy's thread and says how it went, for the answer to the worker. */
export function outcomeOf<T>(act: () => T): ThreadOutcome<T> {
  try {
    return { done: act() };
  } catch (err) {
    return err instanceof Refusal ? { refused: { status: err.status, message: err.message } } : { failed: (err as Error).message };
  }
}
