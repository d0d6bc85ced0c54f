// Values already seen in loaded rows, offered by the filter box's autocomplete
// ("service:" → auth, billing, …). Counted so the most frequent come first, and
// bounded per key so a long session does not grow without limit.

import type { ExchangeSummary } from '../../../model/types.ts';

const maxValuesPerKey = 200;

export class SeenValues {
  private readonly counts = new Map<string, Map<string, number>>();

  add(key: string, value: string | null | undefined): void {
    if (value === null || value === undefined || value === '') return;
    let values = this.counts.get(key);
    if (!values) this.counts.set(key, (values = new Map()));
    const count = values.get(value);
    if (count !== undefined) values.set(value, count + 1);
    else if (values.size < maxValuesPerKey) values.set(value, 1);
  }

  addSummary(summary: ExchangeSummary): void {
    this.add('kind', summary.kind);
    this.add('service', summary.service);
    this.add('op', summary.operation);
    this.add('trx', summary.trx);
    this.add('path', summary.path);
    if (summary.status !== null) this.add('status', String(summary.status));
    for (const error of summary.errors) this.add('error', error);
    for (const rule of summary.rules) this.add('rule', rule);
    if (summary.token) this.add('token', summary.token.sub ?? summary.token.prefix);
  }

  /** Values of `key` starting with `prefix` (case-insensitive), most frequent first. */
  values(key: string, prefix = ''): string[] {
    const values = this.counts.get(key);
    if (!values) return [];
    const lower = prefix.toLowerCase();
    return [...values.entries()]
      .filter(([value]) => value.toLowerCase().startsWith(lower))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([value]) => value);
  }
}
