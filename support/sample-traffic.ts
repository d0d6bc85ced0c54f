// Deterministic, varied traffic records for storage tests: every column takes its
// edge values (nulls, empty lists, sub-millisecond times, both frame directions).

import type { TokenRef } from '../model/types.ts';
import type { FrameFields, HeadFields } from './flow-head.ts';

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
export const words = ['instance', 'création', 'hello world', 'Billing', 'web_01', 'quota', '100%', 'névé', 'label true'];
export const problemTexts = ['truncated varint at 3', 'length 2147483648 runs past the end', 'unknown field 99', 'trx is not a UUID'];
export const errorNames = ['SE_EXPIRED_TOKEN_ERROR', 'SE_INTERNAL_SERVER_ERROR', 'SE_RATE_LIMIT_EXCEEDED_ERROR', '12'];
export const baseTime = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Protobuf wire bytes, written by hand so the storage tests need no encoder. */
export function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  out.push(n);
  return out;
}

export function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...varint(field * 8 + 2), ...varint(payload.length), ...payload];
}

export const utf8 = (text: string) => new TextEncoder().encode(text);
const serviceFields: Record<string, number> = { auth: 11, billing: 16, instances: 17, Domains: 18, domain_check: 4 };

/** A message carrying sample words the codec decodes: a token (field 2) and a service field holding a word, padded to vary sizes. */
function encoded(rng: () => number, service: string | null, padding: number): Uint8Array {
  const bytes: number[] = [...lengthDelimited(2, utf8(pick(rng, words)))];
  const field = service === null ? undefined : serviceFields[service];
  if (field !== undefined) bytes.push(...lengthDelimited(field, new Uint8Array(lengthDelimited(1, new Uint8Array(lengthDelimited(1, utf8(pick(rng, words))))))));
  if (padding > 0) bytes.push(...lengthDelimited(99, new Uint8Array(padding).fill(7)));
  return new Uint8Array(bytes);
}

function token(rng: () => number): TokenRef | null {
  const r = rng();
  if (r < 0.2) return null;
  const prefix = pick(rng, tokenPrefixes);
  if (r < 0.45) return { prefix };
  return { prefix, sub: pick(rng, subjects), exp: 1_800_000_000, expired: rng() < 0.3 };
}

export interface SampleExchange {
  record: HeadFields;
  frames: FrameFields[];
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
  const requestPadding = Math.floor(rng() * 3000);
  const requestBody =
    kind === 'http' ? new Uint8Array(Array.from({ length: requestPadding }, (_, i) => (i * 7 + id) % 256)) : encoded(rng, service, requestPadding);
  const response = pending
    ? null
    : {
        headers: [['content-type', 'application/x-protobuf']] as [string, string][],
        body: kind === 'http' || rng() < 0.1 ? new Uint8Array(Math.floor(rng() * 2000)) : encoded(rng, service, Math.floor(rng() * 2000)),
        truncated: rng() < 0.1,
        size: 0,
      };
  if (response) response.size = response.body.length + (response.truncated ? 5000 : 0);
  const record: HeadFields = {
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
      truncated: false,
      size: requestBody.length,
    },
    response,
    close: kind === 'ws' && !pending ? { code: pick(rng, [1000, 1006, null]), reason: 'bye', by: pick(rng, ['client', 'server', 'proxy'] as const), at: startedAt + 5000 } : null,
    // From the id, not the generator, so adding it left every other column as it was.
    ...(id % 9 === 0 ? { replayOf: 1 + (id % 4) } : {}),
  };
  const frames: FrameFields[] = [];
  if (kind === 'ws') {
    const count = Math.floor(rng() * 4);
    for (let seq = 0; seq < count; seq++) {
      const body = rng() < 0.8 ? encoded(rng, pick(rng, ['billing', 'instances', 'domain_check']), Math.floor(rng() * 600)) : new Uint8Array(Math.floor(rng() * 600));
      frames.push({
        exchangeId: id,
        seq,
        direction: seq === 0 ? 'client' : pick(rng, ['client', 'server'] as const),
        at: startedAt + seq * 10.5,
        opcode: 2,
        size: body.length,
        body,
        truncated: false,
      });
    }
  }
  return { record, frames };
}

export function sampleTraffic(count: number, seed = 1): SampleExchange[] {
  const rng = random(seed);
  return Array.from({ length: count }, (_, i) => sampleExchange(i + 1, rng));
}
