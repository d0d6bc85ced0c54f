// A fixed-window request counter per token: enough to show SE_RATE_LIMIT_EXCEEDED_ERROR.

export interface RateLimit {
  /** Requests allowed per token in each window. */
  requests: number;
  windowMs: number;
}

export const defaultRateLimit: RateLimit = { requests: 20, windowMs: 1000 };

interface Window {
  startedAt: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limit: RateLimit) {
    if (!(limit.requests >= 1) || !(limit.windowMs > 0)) {
      throw new RangeError(`rate limit ${limit.requests} per ${limit.windowMs} ms is not usable: allow at least 1 request per window longer than 0 ms.`);
    }
  }

  /** Counts one request for `key`; returns 0 when allowed, else the ms until the window resets. */
  take(key: string, now: number): number {
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.limit.windowMs) {
      if (this.windows.size >= 10_000) this.forgetIdle(now);
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return window.count <= this.limit.requests ? 0 : window.startedAt + this.limit.windowMs - now;
  }

  private forgetIdle(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.limit.windowMs) this.windows.delete(key);
    }
  }
}
