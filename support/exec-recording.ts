// A recording of /exec traffic as a client under load makes it, written straight into an
// SQLite file through the Store: ClientRequests of about 284 bytes (trx, a session's JWT,
// an instances call) and ServerResponses of about 512 (the instance it is about), with
// the headers a mobile client and a server behind nginx send. The facts of each row are
// worked out by the codec, as the recorder would have. For the capture benchmark and the
// tests that export more than a small heap holds.

import { createHmac } from 'node:crypto';
import type { Flow } from '../model/flow.ts';
import type { HeaderList } from '../model/types.ts';
import { encodeMessage } from '../demo/schema.ts';
import { createCodec } from '../proto/codec.ts';
import { FlowDecoder } from '../storage/decode.ts';
import { Store } from '../storage/store.ts';
import { projectRoot } from './proxy-process.ts';
import { random, pick } from './sample-traffic.ts';

export const execRecordingProtos = `${projectRoot}/demo/protos`;

/** Sessions the traffic is spread over: each is a user with a JWT of its own. */
const SESSIONS = 40;
const REGIONS = ['fra1', 'ams3', 'nyc1', 'sfo2', 'sgp1', 'lon1'];
const IMAGES = ['debian-12', 'ubuntu-24.04', 'rocky-9'];
const start = Date.UTC(2026, 0, 15, 12);

function jwt(user: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: `usr_${String(user).padStart(6, '0')}`, iat: 1_768_478_400, exp: 1_768_564_800, jti: `s${user}x7f3a9c` })}`;
  return `${unsigned}.${createHmac('sha256', 'bench').update(unsigned).digest('base64url')}`;
}

function instance(rng: () => number, i: number) {
  const id = `i-${(i * 7919).toString(36).padStart(8, '0')}`;
  return {
    id, name: `web-${i % 1000}`, status: 'INSTANCE_STATUS_RUNNING', server_id: 's-2vcpu-4gb', region: pick(rng, REGIONS), image: pick(rng, IMAGES),
    vcpus: 2, memory_mb: 4096, disk_gb: 80, ipv4: [`10.0.${(i >> 8) & 255}.${i & 255}`], ipv6: [`2a03:b0c0:3:d0::${(i & 0xffff).toString(16)}:1`],
    labels: {
      env: 'staging', team: 'platform', owner: `usr_${String(i % SESSIONS).padStart(6, '0')}`, project: 'checkout-service', cost_center: 'cc-4411',
      managed_by: 'terraform', backup: 'daily', tier: 'web', release: `2026.01.${i % 28}`, contact: 'platform-oncall@example.com',
      pipeline: `https://ci.example.com/checkout/pipelines/${1000 + (i % 9000)}`, note: 'staging replica behind the eu load balancer',
    },
    ssh_key_ids: ['k-1f2e3d4c', 'k-9a8b7c6d', 'k-5e6f7a8b'],
    price_per_hour: 3, created_at_ms: start - 86_400_000, updated_at_ms: start + i,
  };
}

/** One /exec call of session `i % SESSIONS`, started at `startedAt`. */
export function execFlow(i: number, rng: () => number, tokens: readonly string[], startedAt: number): Flow {
  const trx = Buffer.alloc(16);
  trx.writeUInt32BE(i, 12);
  trx.writeUInt32BE(Math.floor(rng() * 2 ** 32), 0);
  const body = Buffer.from(encodeMessage('ca2.ClientRequest', {
    trx, token: tokens[i % tokens.length],
    instances: { create: { name: `web-${i % 1000}`, server_id: 's-2vcpu-4gb', region: pick(rng, REGIONS), image: pick(rng, IMAGES), ssh_key_ids: ['k-1f2e3d4c', 'k-9a8b7c6d'], labels: { env: 'staging' } } },
  }));
  const answer = Buffer.from(encodeMessage('ca2.ServerResponse', { trx, instances: { create: { instance: instance(rng, i) } } }));
  const request: HeaderList = [
    ['Host', 'api.example.com'], ['User-Agent', 'ca2-client/2.3.1 (Android 14; Pixel 7)'], ['Accept', 'application/x-protobuf'],
    ['Accept-Encoding', 'gzip'], ['Content-Type', 'application/x-protobuf'], ['Content-Length', String(body.length)], ['Connection', 'keep-alive'],
  ];
  const response: HeaderList = [
    ['Server', 'nginx'], ['Date', new Date(startedAt).toUTCString()], ['Content-Type', 'application/x-protobuf'], ['Content-Length', String(answer.length)],
    ['Connection', 'keep-alive'], ['Cache-Control', 'no-store'], ['Strict-Transport-Security', 'max-age=31536000'],
  ];
  const endedAt = startedAt + 2 + rng() * 40;
  return {
    id: 0, kind: 'exec', startedAt, endedAt, clientAddress: '127.0.0.1',
    request: { method: 'POST', path: '/exec', httpVersion: '1.1', headers: request, body, size: body.length, truncated: false },
    response: { status: 200, statusMessage: 'OK', headers: response, body: answer, size: answer.length, truncated: false },
    error: null, state: 'complete', service: null, operation: null, trx: null, errors: [], token: null, problems: [],
    close: null, replayOf: null, frames: [],
  };
}

/**
 * Writes `count` /exec exchanges into the recording at `file` (made if missing)
 * and closes it. `progress` is told every 10,000.
 */
export function writeExecRecording(file: string, count: number, progress?: (done: number) => void): void {
  const rng = random(284);
  const tokens = Array.from({ length: SESSIONS }, (_, user) => jwt(user));
  const decoder = new FlowDecoder(createCodec({ protoPaths: [execRecordingProtos] }));
  const store = Store.open(file, { codec: decoder.codec, maxBatch: 5000, flushIntervalMs: 60_000 });
  try {
    for (let i = 0; i < count; i++) {
      const flow = execFlow(i, rng, tokens, start + i * 4 + rng() * 3);
      const { frames: _frames, ...head } = { ...flow, ...decoder.facts(flow) };
      store.putExchange({ ...head, id: store.allocateExchangeId() }, { fresh: true });
      if ((i + 1) % 10_000 === 0) progress?.(i + 1);
    }
    store.catchUp();
  } finally {
    store.close();
  }
}
