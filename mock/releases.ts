// Which recorded /exec calls have been answered live, and when: a WebSocket playback holds
// a frame the recording pushed after a call until the mock answers that call.

export class ExecReleases {
  private readonly answeredAt = new Map<number, number>();
  private readonly waiting = new Map<number, Set<(at: number) => void>>();

  /** The mock answered the recorded exchange `execId` now. */
  answered(execId: number): void {
    const now = Date.now();
    this.answeredAt.set(execId, now);
    const waiters = this.waiting.get(execId);
    this.waiting.delete(execId);
    for (const wake of waiters ?? []) wake(now);
  }

  /** Resolves with the time `execId` was answered, at `since` or later; `cancel` stops the wait. */
  after(execId: number, since: number, cancel: AbortSignal): Promise<number | null> {
    const at = this.answeredAt.get(execId);
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
