// autocannon, the load generator every benchmark drives, with the result fields they read
// (it ships no types).

import { createRequire } from 'node:module';

export interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

export const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<CannonResult>;
