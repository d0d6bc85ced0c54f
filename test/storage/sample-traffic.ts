// Deterministic, varied traffic records for storage tests: every column takes its
// edge values (nulls, empty lists, sub-millisecond times, both frame directions).

import type { DecodeResult, JsonObject, TokenRef } from '../../model/types.ts';
import type { ExchangeRecord, FrameRecord } from '../../storage/records.ts';

/** A small seeded PRNG (mulberry32) so a failing case can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

export const services = ['auth', 'billing', 'instances', 'Domains', null] as const;
export const operations = ['login', 'create', 'list', 'Delete', '7', null] as const;
export const subjects = ['alice@example.com', 'bob', 'Carol_1'];
export const tokenPrefixes = ['eyJhbGciOiJI', 'eyJ0eXAiOiJK', 'opaque-token', 'ab%_\\x'];
export const words = ['instance', 'création', 'hello world', 'Billing', 'web_01', 'quota', '100%', 'névé'];
export const problemTexts = ['truncated varint at 3', 'length 2147483648 runs past the end', 'unknown field 99', 'trx is not a UUID'];
export const errorNames = ['SE_EXPIRED_TOKEN_ERROR', 'SE_INTERNAL_SERVER_ERROR', 'SE_RATE_LIMIT_EXCEEDED_ERROR', '12'];
export const baseTime = Date.UTC(2026, 0, 15, 12, 0, 0);

function decoded(rng: () => number, service: string | null): DecodeResult {
  const json: JsonObject = {};
  if (service) {
    json[service] = { [pick(rng, ['login', 'create', 'list'])]: { name: pick(rng, words), count: Math.floor(rng() * 5), ok: rng() < 0.5, note: null } };
  }
  if (rng() < 0.5) json.items = [pick(rng, words), { label: pick(rng, words) }, null, true];
  return { json, summary: { errors: [] }, problems: [] };
}

function token(rng: () => number): TokenRef | null {
  const r = rng();
  if (r < 0.2) return null;
  const prefix = pick(rng, tokenPrefixes);
  if (r < 0.45) return { prefix };
  return { prefix, sub: pick(rng, subjects), exp: 1_800_000_000, expired: rng() < 0.3 };
}

export interface SampleExchange {
  record: ExchangeRecord;
  frames: FrameRecord[];
}

export function sampleExchange(id: number, rng: () => number): SampleExchange {
  const kind = pick(rng, ['exec', 'exec', 'ws', 'http'] as const);
  const service = kind === 'http' ? null : pick(rng, services);
  const startedAt = baseTime + Math.floor(rng() * 3 * 86_400_000) + pick(rng, [0, 0.25, 0.5, 0.999]);
  const pending = rng() < 0.1;
  const status = pending ? null : pick(rng, [200, 200, 101, 204, 401, 404, 500, 503]);
  const errors = rng() < 0.3 ? [pick(rng, errorNames), ...(rng() < 0.3 ? [pick(rng, errorNames)] : [])].filter((e, i, a) => a.indexOf(e) === i) : [];
  const problems = rng() < 0.25 ? [pick(rng, problemTexts)] : [];
  const trx = rng() < 0.3 ? null : pick(rng, ['3f2a9c1e-0000-4000-8000-00000000000', 'A1B2C3D4-0000-4000-8000-00000000000', '7472782d31']) + id.toString(16);
  const requestBody = new Uint8Array(Array.from({ length: Math.floor(rng() * 3000) }, (_, i) => (i * 7 + id) % 256));
  const response = pending
    ? null
    : {
        headers: [['content-type', 'application/x-protobuf']] as [string, string][],
        body: new Uint8Array(Math.floor(rng() * 2000)),
        decoded: kind === 'http' || rng() < 0.1 ? null : decoded(rng, service),
        truncated: rng() < 0.1,
        size: 0,
      };
  if (response) response.size = response.body.length + (response.truncated ? 5000 : 0);
  const record: ExchangeRecord = {
    id,
    kind,
    startedAt,
    endedAt: pending ? null : startedAt + pick(rng, [0.5, 12, 199.75, 200, 250, 1000, 1500, 4000]),
    method: kind === 'exec' ? 'POST' : 'GET',
    path: kind === 'exec' ? '/exec' : kind === 'ws' ? '/ws' : pick(rng, ['/health', '/static/app_1.js', '/x%y']),
    status,
    service,
    operation: service ? pick(rng, operations) : null,
    trx,
    errors,
    token: kind === 'http' ? null : token(rng),
    clientAddress: '127.0.0.1',
    // A run that was killed leaves its pending rows interrupted at the next open.
    state: pending ? (id % 3 === 0 ? 'interrupted' : 'pending') : pick(rng, ['complete', 'complete', 'error', 'aborted'] as const),
    problems,
    error: rng() < 0.1 ? 'upstream 127.0.0.1:9 refused the connection (ECONNREFUSED)' : null,
    request: {
      headers: [['content-type', 'application/x-protobuf'], ['x-dup', '1'], ['x-dup', '2']],
      body: requestBody,
      decoded: kind === 'http' ? null : decoded(rng, service),
      truncated: false,
      size: requestBody.length,
    },
    response,
    close: kind === 'ws' && !pending ? { code: pick(rng, [1000, 1006, null]), reason: 'bye', by: pick(rng, ['client', 'server', 'proxy'] as const), at: startedAt + 5000 } : null,
  };
  const frames: FrameRecord[] = [];
  if (kind === 'ws') {
    const count = Math.floor(rng() * 4);
    for (let seq = 0; seq < count; seq++) {
      const body = new Uint8Array(Math.floor(rng() * 600));
      frames.push({
        exchangeId: id,
        seq,
        direction: seq === 0 ? 'client' : pick(rng, ['client', 'server'] as const),
        at: startedAt + seq * 10.5,
        opcode: 2,
        size: body.length,
        body,
        decoded: rng() < 0.8 ? decoded(rng, pick(rng, ['billing', 'instances', 'domain_check'])) : null,
        truncated: false,
        problems: [],
      });
    }
  }
  return { record, frames };
}

export function sampleTraffic(count: number, seed = 1): SampleExchange[] {
  const rng = random(seed);
  return Array.from({ length: count }, (_, i) => sampleExchange(i + 1, rng));
}
