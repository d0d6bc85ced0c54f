// What the interception tests share: the demo's schema loaded by protobufjs itself (not our
// codec), the messages they send, and an upstream that answers every /exec with a balance.

import { join } from 'node:path';
import protobuf from 'protobufjs';
import { demoProtoDir } from '../../demo/paths.ts';
import { createCodec } from '../../proto/codec.ts';
import { startHttpUpstream, type Harness } from '../proxy/fixtures.ts';

export const codec = createCodec({ protoPaths: [demoProtoDir] });
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(demoProtoDir, target);
root.loadSync('ca2.proto');
export const ClientRequest = root.lookupType('ca2.ClientRequest');
export const ServerResponse = root.lookupType('ca2.ServerResponse');
export const WsEvent = root.lookupType('ca2.WsEvent');

export const TRX = Buffer.from('0123456789abcdef');
/** A field no schema here knows (number 99, varint 7): it must survive any rewrite. */
export const UNKNOWN_FIELD = Buffer.from([0x98, 0x06, 0x07]);

export function balanceRequest(): Buffer {
  return Buffer.from(ClientRequest.encode(ClientRequest.fromObject({ trx: TRX, billing: { balance: {} } })).finish());
}

export function topUpRequest(amount: number): Buffer {
  return Buffer.from(ClientRequest.encode(ClientRequest.fromObject({ trx: TRX, billing: { topUp: { amount, currency: 1, cardToken: 'tok_1' } } })).finish());
}

export function balanceResponse(trx: Uint8Array): Buffer {
  const known = ServerResponse.encode(ServerResponse.fromObject({ trx, billing: { balance: { balances: [{ currency: 1, amount: 1000, reserved: 5 }] } } })).finish();
  return Buffer.concat([known, UNKNOWN_FIELD]);
}

export interface Received {
  bodies: Buffer[];
}

/** The second upstream: answers every /exec with a balance, remembering what it received. */
export async function startExecUpstream() {
  const received: Received = { bodies: [] };
  const upstream = await startHttpUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.bodies.push(body);
      const request = ClientRequest.decode(body) as unknown as { trx: Uint8Array };
      const answer = balanceResponse(request.trx);
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': answer.length });
      res.end(answer);
    });
  });
  return { upstream, received };
}

export async function exec(harness: Harness, body: Buffer, signal?: AbortSignal) {
  const res = await fetch(`${harness.url}/exec`, { method: "POST", body: new Uint8Array(body), headers: { "content-type": "application/x-protobuf" }, signal });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, json: ServerResponse.toObject(ServerResponse.decode(bytes), { enums: String, longs: String, bytes: String }) as Record<string, any> };
}
