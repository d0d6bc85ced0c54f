// The lines the mock says per request, each said once: a client that repeats a request the
// recording lacks would otherwise fill the terminal with one line hundreds of times. A repeat
// is counted instead, and the count said as the same line ending "(×N so far)" every
// `everyMs` while it grows, and "(×N in all)" when the mock stops.

/** Distinct lines remembered; past it the oldest is reported and forgotten. */
const REMEMBERED = 1_000;

export class RepeatedLines {
  /** Times each line was said, and the count last printed for it. */
  private readonly counts = new Map<string, { seen: number; printed: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly print: (line: string) => void, everyMs = 10_000) {
    this.timer = setInterval(() => this.report('so far'), everyMs).unref();
  }

  say(line: string): void {
    const count = this.counts.get(line);
    if (count) {
      count.seen++;
      return;
    }
    if (this.counts.size >= REMEMBERED) {
      const [oldest, oldestCount] = this.counts.entries().next().value!;
      this.reportOne(oldest, oldestCount, 'so far');
      this.counts.delete(oldest);
    }
    this.counts.set(line, { seen: 1, printed: 1 });
    this.print(line);
  }

  /** Says the counts not said yet; the timer stops. */
  close(): void {
    clearInterval(this.timer);
    this.report('in all');
  }

  private report(when: 'so far' | 'in all'): void {
    for (const [line, count] of this.counts) this.reportOne(line, count, when);
  }

  private reportOne(line: string, count: { seen: number; printed: number }, when: 'so far' | 'in all'): void {
    if (count.seen === count.printed) return;
    this.print(`${line} (×${count.seen.toLocaleString('en-US')} ${when})`);
    count.printed = count.seen;
  }
}
