// Real servers, a recording tap and the proxy between them, for the proxy tests.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type ServerOptions } from 'ws';
import { startProxy, type ProxyOptions, type ProxyServer } from '../../proxy/server.ts';
import { Tap, type TapListener, type TappedClose, type TappedFlow, type TappedFrame } from '../../proxy/tap.ts';

/** A tap whose listener writes every hook call into plain arrays. */
export class RecordingTap {
  readonly tap: Tap;
  readonly started: TappedFlow[] = [];
  readonly ended: TappedFlow[] = [];
  readonly frames: TappedFrame[] = [];
  readonly closes: { flow: TappedFlow; close: TappedClose }[] = [];
  readonly listenerErrors: string[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(...extra: TapListener[]) {
    this.tap = new Tap((message) => this.listenerErrors.push(message));
    for (const listener of extra) this.tap.add(listener);
    const notify = () => {
      for (const check of [...this.waiters]) check();
    };
    this.tap.add({
      requestStarted: (flow) => (this.started.push(flow), notify()),
      exchangeEnded: (flow) => (this.ended.push(flow), notify()),
      wsFrame: (frame) => (this.frames.push(frame), notify()),
      wsClosed: (flow, close) => (this.closes.push({ flow, close }), notify()),
    });
  }

  /** Resolves once `condition` holds, checked after every hook call. */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  async endedFlow(index = 0): Promise<TappedFlow> {
    await this.until(() => this.ended.length > index);
    return this.ended[index]!;
  }

  async closed(index = 0): Promise<{ flow: TappedFlow; close: TappedClose }> {
    await this.until(() => this.closes.length > index);
    return this.closes[index]!;
  }
}

export interface Harness {
  proxy: ProxyServer;
  recording: RecordingTap;
  /** http://127.0.0.1:PORT of the proxy. */
  url: string;
  wsUrl: string;
}

export async function startHarness(upstream: URL | string, options: Partial<ProxyOptions> = {}, recording = new RecordingTap()): Promise<Harness> {
  const proxy = await startProxy({
    upstream: new URL(upstream),
    listen: { host: '127.0.0.1', port: 0 },
    tap: recording.tap,
    ...options,
  });
  const base = `127.0.0.1:${proxy.address.port}`;
  return { proxy, recording, url: `http://${base}`, wsUrl: `ws://${base}` };
}

export interface Upstream<S> {
  server: S;
  url: string;
  close(): Promise<void>;
}

export async function startHttpUpstream(handler: http.RequestListener): Promise<Upstream<http.Server>> {
  const server = http.createServer(handler);
  return listening(server, 'http');
}

export async function startHttpsUpstream(handler: http.RequestListener, cert: TestCertificate): Promise<Upstream<https.Server>> {
  const server = https.createServer({ key: cert.key, cert: cert.cert }, handler);
  return listening(server, 'https');
}

/** A WebSocket server on its own HTTP server; `server` is the ws server. */
export async function startWsUpstream(options: ServerOptions = {}, http$ = http.createServer()): Promise<Upstream<WebSocketServer> & { http: http.Server }> {
  const wss = new WebSocketServer({ ...options, server: http$ });
  const up = await listening(http$, http$ instanceof https.Server ? 'https' : 'http');
  return {
    server: wss,
    http: http$,
    url: up.url,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await up.close();
    },
  };
}

async function listening<S extends http.Server>(server: S, scheme: string): Promise<Upstream<S>> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestCertificate {
  key: string;
  cert: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI (a test failure if it is missing). */
export function selfSignedCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'ca2-proxy-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RawResponse {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
}

/** One request with headers in the flat raw form (sent exactly so), the whole response read. */
export function request(url: string, options: { method?: string; headers?: string[]; body?: Buffer | Buffer[]; agent?: http.Agent | false } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers = options.headers ?? [];
    // Node adds Host itself only for object headers; HTTP/1.1 requires one.
    const withHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host') ? headers : ['Host', target.host, ...headers];
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: options.method ?? 'GET',
      headers: withHost,
      agent: options.agent ?? false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    const body = options.body;
    if (Array.isArray(body)) for (const chunk of body) req.write(chunk);
    else if (body) req.write(body);
    req.end();
  });
}

/** Header names and values from a flat raw array, as pairs. */
export function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

export function header(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** Random bytes with an index prefix, so order and identity both show in a comparison. */
export function payload(size: number, index = 0): Buffer {
  const bytes = randomBytes(size);
  if (size >= 4) bytes.writeUInt32BE(index, 0);
  return bytes;
}
