// A child process that puts mixed load through a proxy and kills it: an upstream that
// answers /exec and echoes /ws frames, 20 /exec clients one call at a time each, and 2
// WebSocket clients sending a steady stream of binary frames. After `killAfterMs` it
// kill -9s the proxy and reports when each call and each echoed frame was answered, on
// its own clock, against the moment of the kill.
//
// With `diskBusyFile`, it also keeps the disk busy meanwhile, as other programs do on a
// developer's machine: dd writing past the page cache into that file, over and over, so
// that anything that waits for the disk to sync waits behind it.
//
// Run with child_process.fork (IPC): it sends { upstream }, takes { proxyUrl, proxyPid,
// killAfterMs, diskBusyFile? }, and sends a MixedLoadReport.

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

export interface MixedLoadReport {
  /** performance.now() just before the kill. */
  killedAt: number;
  /** Per /exec client, when its n-th call (trx execTrx(client, n)) was answered. */
  exec: number[][];
  /** Per WebSocket client, when the echo of its n-th frame (frameBody(client, n)) came back. */
  frames: number[][];
}

export const EXEC_CLIENTS = 20;
export const WS_CLIENTS = 2;
/** Each WebSocket client sends this many frames every FRAME_EVERY_MS. */
const FRAMES_PER_TICK = 10;
const FRAME_EVERY_MS = 2;
/** Megabytes each dd run writes: the file is overwritten in place, so this is all the disk it takes. */
const DISK_BUSY_MB = 4096;

export const execTrx = (client: number, n: number) => `c${String(client).padStart(2, '0')}-${String(n).padStart(10, '0')}`;
export const frameBody = (client: number, n: number) => Buffer.from(`ws${client}-${String(n).padStart(10, '0')}`);

/** Protobuf length-delimited field (lengths under 128). */
const field = (number: number, bytes: Buffer) => Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
/** ClientRequest { trx, utils { ping {} } } */
const execRequest = (trx: string) => Buffer.concat([field(1, Buffer.from(trx)), Buffer.from([0x52, 2, 0x0a, 0])]);

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();

async function run(): Promise<void> {
  process.send!({ upstream: (await startUpstream()).url });
  const { proxyUrl, proxyPid, killAfterMs, diskBusyFile } = await new Promise<{ proxyUrl: string; proxyPid: number; killAfterMs: number; diskBusyFile?: string }>((resolve) =>
    process.once('message', resolve),
  );
  let stopped = false;
  const disk = diskBusyFile === undefined ? null : keepDiskBusy(diskBusyFile, () => stopped);
  const exec = execClients(proxyUrl, EXEC_CLIENTS, () => stopped).answered;
  const frames = Array.from({ length: WS_CLIENTS }, () => [] as number[]);

  const wsClient = async (client: number) => {
    const echoed = frames[client]!;
    const ws = new WebSocket(`${proxyUrl.replace('http', 'ws')}/ws`, { perMessageDeflate: false });
    ws.on('error', () => undefined);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(field(2, Buffer.from('token')));
    ws.on('message', (data: Buffer) => {
      if (data.length > 0 && !stopped) echoed.push(performance.now());
    });
    let sent = 0;
    const timer = setInterval(() => {
      if (stopped || ws.readyState !== ws.OPEN) return clearInterval(timer);
      for (let i = 0; i < FRAMES_PER_TICK; i++) ws.send(frameBody(client, sent++));
    }, FRAME_EVERY_MS);
  };

  for (let client = 0; client < WS_CLIENTS; client++) void wsClient(client);
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  const killedAt = performance.now();
  process.kill(proxyPid, 'SIGKILL');
  stopped = true;
  await disk?.stop();
  process.send!({ killedAt, exec, frames } satisfies MixedLoadReport, () => process.exit(0));
}

/**
 * dd writing DISK_BUSY_MB into `file` with O_DIRECT, past the page cache straight to the
 * device, run after run until `stopped()`. Where O_DIRECT is refused (tmpfs), plain writes
 * synced at the end of each run.
 */
function keepDiskBusy(file: string, stopped: () => boolean): { stop(): Promise<void> } {
  let current: ChildProcess | null = null;
  let flags = ['oflag=direct'];
  const running = (async () => {
    while (!stopped()) {
      current = spawn('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${DISK_BUSY_MB}`, ...flags], { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => current!.once('close', resolve));
      if (code !== 0 && code !== null && !stopped()) {
        if (flags[0] !== 'oflag=direct') throw new Error(`dd could not write ${file} (exit ${code})`);
        flags = ['conv=fdatasync'];
      }
    }
  })();
  return {
    async stop() {
      current?.kill();
      await running;
      rmSync(file, { force: true });
    },
  };
}

/**
 * `clients` /exec clients, one call at a time each (trx execTrx(client, n)), until
 * `stopped()`: per client, when each call was answered (the last ones after `stopped()`
 * too); `done` once all have stopped.
 */
export function execClients(proxyUrl: string, clients: number, stopped: () => boolean): { answered: number[][]; done: Promise<void> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const answered = Array.from({ length: clients }, () => [] as number[]);
  const client = async (times: number[], index: number) => {
    while (!stopped()) {
      try {
        await post(`${proxyUrl}/exec`, execRequest(execTrx(index, times.length)), agent);
      } catch {
        return;
      }
      times.push(performance.now());
    }
  };
  const done = Promise.all(answered.map(client)).then(() => agent.destroy());
  return { answered, done };
}

function post(url: string, body: Buffer, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', Authorization: 'Bearer t', 'Content-Length': body.length } }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** /exec answers a ServerResponse echoing the request's trx; /ws answers WsAuth with an empty WsEvent, then echoes each frame. */
export async function startUpstream(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = Buffer.concat(chunks);
      const trx = request.subarray(2, 2 + (request[1] ?? 0));
      const body = Buffer.concat([field(1, trx), field(10, field(1, Buffer.alloc(100, 'x')))]);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.once('message', () => {
      ws.send(Buffer.alloc(0));
      ws.on('message', (data: Buffer) => ws.send(data));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      wss.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
