// Which recorded /exec calls have arrived live, and when: a WebSocket playback holds a frame
// the recording pushed during or after a call until that call arrives.

export class ExecReleases {
  private readonly arrivedAt = new Map<number, number>();
  private readonly waiting = new Map<number, Set<(at: number) => void>>();

  /** A live call the mock answers with the recorded exchange `execId` arrived now. */
  arrived(execId: number): void {
    const now = Date.now();
    this.arrivedAt.set(execId, now);
    const waiters = this.waiting.get(execId);
    this.waiting.delete(execId);
    for (const wake of waiters ?? []) wake(now);
  }

  /** Resolves with the time `execId` arrived, at `since` or later; null when `cancel` stops the wait. */
  after(execId: number, since: number, cancel: AbortSignal): Promise<number | null> {
    const at = this.arrivedAt.get(execId);
    if (at !== undefined && at >= since) return Promise.resolve(at);
    return new Promise((resolve) => {
      let waiters = this.waiting.get(execId);
      if (!waiters) this.waiting.set(execId, (waiters = new Set()));
      const wake = (when: number) => resolve(when);
      waiters.add(wake);
      cancel.addEventListener('abort', () => {
        waiters.delete(wake);
        resolve(null);
      }, { once: true });
    });
  }
}
