// What the redactor (capture/redact.ts) remembers of header pairs, by name then value:
// calls repeat their headers, so a pair is learned from, or redacted, once. Bounded: past
// its limit it starts again, since unique values (request ids, dates) would fill it.

export class HeaderMemory<T> {
  private byName = new Map<string, Map<string, T>>();
  private size = 0;

  constructor(private readonly limit: number) {}

  get(name: string, value: string): T | undefined {
    return this.byName.get(name)?.get(value);
  }

  set(name: string, value: string, remembered: T): void {
    if (this.size >= this.limit) this.clear();
    let values = this.byName.get(name);
    if (values === undefined) this.byName.set(name, (values = new Map()));
    if (!values.has(value)) this.size++;
    values.set(value, remembered);
  }

  clear(): void {
    this.byName.clear();
    this.size = 0;
  }
}
