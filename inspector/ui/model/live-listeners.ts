// Who listens to which live event. The app keeps one socket for everything; each part
// that shows live data (the list, expanded WebSocket rows, the open detail, a panel)
// adds listeners for the events it needs, whenever it mounts, before or after the
// socket connects.

import type { LiveEvents } from '../../../model/types.ts';

/** The server's events, batches unpacked, and `connected` on every connect: events may have been missed before it. */
export type LiveListenerEvents = Omit<LiveEvents, 'packedBatch'> & { connected: () => void };

type AnyListener = (...args: unknown[]) => void;

export class LiveListeners {
  private readonly byEvent = new Map<keyof LiveListenerEvents, Set<AnyListener>>();

  /** Adds a listener; the function returned takes it away again. */
  on<E extends keyof LiveListenerEvents>(event: E, listener: LiveListenerEvents[E]): () => void {
    const listeners = this.byEvent.get(event) ?? new Set<AnyListener>();
    this.byEvent.set(event, listeners);
    // Wrapped, so the same function added twice is called twice and taken away once per add.
    const entry: AnyListener = (...args) => (listener as AnyListener)(...args);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
    };
  }

  emit<E extends keyof LiveListenerEvents>(event: E, ...args: Parameters<LiveListenerEvents[E]>): void {
    for (const listener of [...(this.byEvent.get(event) ?? [])]) listener(...args);
  }
}
