// The upstream of the burst case (bench/inspector-burst.ts), run as its own process, and
// the traffic both sides share: a pool of /exec calls as a ca2 client and server make
// them, encoded with the demo schema (demo/protos), so a recording of them has services,
// operations, tokens and errors to filter on. Requests are about 280 bytes (a trx, a
// JWT, the call), answers about 500, each with the headers such a client and server send.
// The request's trx begins with its place in the pool, so the upstream answers it
// without decoding it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { encodeMessage } from '../demo/schema.ts';
import { createHmac } from 'node:crypto';
import { random, pick } from '../support/sample-traffic.ts';

export interface PoolCall {
  request: Buffer;
  response: Buffer;
}

export const burstRequestHeaders = {
  'content-type': 'application/x-protobuf',
  accept: 'application/x-protobuf',
  'accept-encoding': 'gzip, deflate, br',
  'user-agent': 'ca2-client/2.3.1 (linux; x64) node/20',
  'x-client-version': '2.3.1',
};

const poolSize = 4096;
const subjects = 40;
const regions = ['fra1', 'ams3', 'nyc1', 'sfo2', 'sgp1'];
const names = ['api', 'worker', 'db', 'cache', 'build', 'staging'];

/** A subject of the pool's tokens, for token: filters. */
export function burstSubject(n: number): string {
  return `user${n}@example.com`;
}

function instance(rng: () => number, n: number) {
  return {
    id: `i-${(n * 2654435761 >>> 0).toString(16)}`,
    name: `${pick(rng, names)}-${n % 100}`,
    status: 'INSTANCE_STATUS_RUNNING',
    server_id: 's-2vcpu-4gb',
    region: pick(rng, regions),
    image: 'ubuntu-24.04',
    vcpus: 2,
    memory_mb: 4096,
    disk_gb: 80,
    ipv4: [`10.${n % 250}.${(n * 7) % 250}.${(n * 13) % 250}`],
    labels: { env: 'prod', team: 'core', owner: `ops-${n % 7}`, 'cost-center': 'cc-1042' },
    price_per_hour: 18,
    created_at_ms: 1_767_000_000_000 + n * 1000,
    updated_at_ms: 1_767_100_000_000 + n * 1000,
  };
}

/** What each call asks and its answer, the service part of ClientRequest and ServerResponse. */
function call(rng: () => number, n: number): [object, object] {
  const balance = (currency: string) => ({ currency, amount: Math.floor(rng() * 100_000), reserved: 500, updated_at_ms: 1_767_100_000_000 + n });
  const payment = (i: number) => ({
    id: `pay_${n}_${i}`,
    currency: 'CURRENCY_EUR',
    amount: 2500,
    status: 'PAYMENT_STATUS_SUCCEEDED',
    kind: 'PAYMENT_KIND_TOP_UP',
    description: 'Top-up by card ending 4242',
    created_at_ms: 1_767_000_000_000 + i,
    settled_at_ms: 1_767_000_005_000 + i,
  });
  switch (Math.floor(rng() * 6)) {
    case 0:
      return [{ instances: { list: { page: { limit: 20 }, label_selector: { env: 'prod' } } } }, { instances: { list: { instances: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => instance(rng, n + i)), total: 9 } } }];
    case 1:
      return [{ instances: { get: { id: `i-${n}` } } }, { instances: { get: { instance: { ...instance(rng, n), ipv6: [`2a03:b0c0:3:d0::${n.toString(16)}:1`], ssh_key_ids: ['k-4f1c', 'k-77aa'] } } } }];
    case 2:
      return [{ billing: { balance: {} } }, { billing: { balance: { balances: [balance('CURRENCY_EUR'), balance('CURRENCY_USD')] } } }];
    case 3:
      return [{ billing: { payments: { page: { limit: 10 }, statuses: ['PAYMENT_STATUS_SUCCEEDED'] } } }, { billing: { payments: { payments: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(payment), next_cursor: `c${n}` } } }];
    case 4:
      return [{ users: { me: {} } }, { users: { me: { user: { id: `u${n % subjects}`, email: burstSubject(n % subjects), display_name: 'Ada Example', roles: ['owner'], email_verified: true, created_at_ms: 1_700_000_000_000, preferences: { theme: 'dark', locale: 'en-GB', timezone: 'Europe/Berlin', 'default-region': 'fra1', notifications: 'email,push' } } } } }];
    default:
      return [{ servers: { list: { region: pick(rng, regions) } } }, { servers: { list: { servers: [1, 2, 4, 8, 16, 32, 48].map((vcpus) => ({ id: `s-${vcpus}vcpu-${vcpus * 2}gb`, name: `${vcpus} vCPU, ${vcpus * 2} GB`, regions, vcpus, memory_mb: vcpus * 2048, disk_gb: vcpus * 40, price_per_hour: vcpus * 9, currency: 'CURRENCY_EUR', available: true })) } } }];
  }
}

/** An HS256 JWT with the claims an identity provider puts in one. */
function jwt(claims: object): string {
  const unsigned = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${unsigned}.${createHmac('sha256', 'burst bench secret').update(unsigned).digest('base64url')}`;
}

/** The pool, the same in every process that builds it. */
export function burstPool(): PoolCall[] {
  const rng = random(22);
  // A client sends the token it signed in with on every call: one per subject.
  const tokens = Array.from({ length: subjects }, (_, i) => {
    const iat = 1_767_200_000 + i;
    const sid = `${i.toString(36)}-${Math.floor(rng() * 2 ** 32).toString(36)}`;
    const jti = Array.from({ length: 16 }, () => Math.floor(rng() * 256).toString(16).padStart(2, '0')).join('');
    return jwt({ sub: burstSubject(i), iat, exp: iat + 4_000_000_000, aud: 'ca2-api', sid, jti });
  });
  return Array.from({ length: poolSize }, (_, n) => {
    const trx = Buffer.alloc(16);
    trx.writeUInt16BE(n, 0);
    for (let i = 2; i < 16; i++) trx[i] = Math.floor(rng() * 256);
    const token = tokens[n % subjects]!;
    const [asked, answered] = call(rng, n);
    // About one call in twenty is refused, as a busy server does.
    const errors = rng() < 0.05 ? [pick(rng, ['SE_RATE_LIMIT_EXCEEDED_ERROR', 'SE_INTERNAL_SERVER_ERROR'])] : [];
    return {
      request: Buffer.from(encodeMessage('ca2.ClientRequest', { trx, token, ...asked })),
      response: Buffer.from(encodeMessage('ca2.ServerResponse', { trx, errors, ...(errors.length === 0 ? answered : {}) })),
    };
  });
}

function serve(): void {
  const pool = burstPool();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const n = body[0] === 0x0a && body[1] === 16 ? body.readUInt16BE(2) : -1;
      const answer = pool[n]?.response;
      if (req.method !== 'POST' || req.url !== '/exec' || answer === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'application/x-protobuf',
        'Content-Length': answer.length,
        'Cache-Control': 'no-store',
        'X-Request-Id': body.subarray(2, 18).toString('hex'),
        'Strict-Transport-Security': 'max-age=63072000',
      });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`upstream at http://127.0.0.1:${(server.address() as AddressInfo).port},\n`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) serve();
