// The load the proxy benchmark sends: /exec calls through autocannon or at a steady pace,
// /ws clients that count pushed events or hold their socket open, and an inspector tab on
// the live stream.

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { io as connectLive, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { unpackLiveBatch } from '../../model/live-wire.ts';
import { autocannon, type CannonResult } from '../autocannon.ts';
import type { Child } from './processes.ts';

/** autocannon's connections for every /exec run. */
export const EXEC_CONNECTIONS = 32;

// A ClientRequest { trx: 16 bytes, token: "…", utils: { … } } as a ca2 client would send it.
const execBody = Buffer.concat([
  Buffer.from([0x0a, 16]), Buffer.from('0123456789abcdef'),
  Buffer.from([0x12, 40]), Buffer.alloc(40, 't'),
  Buffer.from([0x52, 6, 0x0a, 4]), Buffer.from('ping'),
]);
export const wsAuth = Buffer.concat([Buffer.from([0x12, 40]), Buffer.alloc(40, 't')]);

export function exec(url: string, options: { seconds?: number; amount?: number }): Promise<CannonResult> {
  return autocannon({
    url: `${url}/exec`,
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: execBody,
    connections: EXEC_CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
  });
}

/** A /ws client that authenticates and then stays connected (count=0: the upstream pushes nothing more). */
export async function holdWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?count=0`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => (ws.send(wsAuth), resolve()));
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  return ws;
}

/** A socket.io client on the inspector's live stream, as an open browser tab is: it counts the summaries it is sent. */
export async function watchLive(proxy: Child): Promise<{ socket: Socket; exchanges: () => number }> {
  // Packed, as the inspector asks for it.
  const socket = connectLive(proxy.ui!, { auth: { token: proxy.token, packed: true }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
  let exchanges = 0;
  socket.on('packedBatch', (packed: Uint8Array) => (exchanges += unpackLiveBatch(packed).exchanges.length));
  return { socket, exchanges: () => exchanges };
}

/** Events per second received by run.clients sockets, through the proxy at `url`, over run.seconds. */
export async function wsEvents(url: string, run: { clients: number; seconds: number }): Promise<number> {
  let events = 0;
  let counting = false;
  const sockets = await Promise.all(
    Array.from({ length: run.clients }, () => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { perMessageDeflate: false });
      ws.on('message', () => counting && events++);
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => (ws.send(wsAuth), resolve(ws)));
        ws.once('error', reject);
      });
    }),
  );
  await sleep(500);
  counting = true;
  const started = performance.now();
  await sleep(run.seconds * 1000);
  counting = false;
  const rate = events / ((performance.now() - started) / 1000);
  for (const ws of sockets) ws.terminate();
  return rate;
}

export function checkClean(label: string, r: CannonResult): void {
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`${label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers; the numbers would mean nothing`);
  }
}

/** Latencies of /exec calls sent at a steady `rate` per second, in ms with sub-ms precision. */
export async function paced(url: string, rate: number, seconds: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  const target = new URL(`${url}/exec`);
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': execBody.length } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(execBody);
    });
  const pending: Promise<void>[] = [];
  const begin = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = begin + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(one());
  }
  await Promise.all(pending);
  agent.destroy();
  return latencies;
}
