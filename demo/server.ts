// The demo ca2 server: /exec, /ws and two plain paths, on loopback by default.
// It speaks the documented envelope with the invented service messages of
// demo/protos, keeps everything in memory and forgets it on close.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleExec } from './exec.ts';
import { defaultRateLimit, RateLimiter, type RateLimit } from './rate-limit.ts';
import { Sessions } from './sessions.ts';
import { DemoState } from './state.ts';
import { attachWsEndpoint } from './ws.ts';

export { demoProtoDir } from './paths.ts';
export type { RateLimit } from './rate-limit.ts';

export interface DemoServerOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 0: any free port. */
  port?: number;
  /** Per-token limit on /exec calls; false turns it off. Defaults to 20 per second. */
  rateLimit?: RateLimit | false;
  /** Lifetime of the tokens login issues. Defaults to one hour. */
  tokenTtlMs?: number;
  /** How long background changes take before their WsEvent. Defaults to 800 ms. */
  eventDelayMs?: number;
  /** Period of the billing balance WsEvent. Defaults to 15 s. */
  billingIntervalMs?: number;
}

export interface DemoServer {
  /** http://host:port/ — the base URL for a client or for the proxy's --upstream. */
  url: URL;
  close(): Promise<void>;
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const state = new DemoState({
    eventDelayMs: options.eventDelayMs ?? 800,
    billingIntervalMs: options.billingIntervalMs ?? 15_000,
  });
  const sessions = new Sessions(options.tokenTtlMs ?? 3600_000, (userId) => state.account(userId) !== undefined);
  const rateLimit = options.rateLimit ?? defaultRateLimit;
  const limiter = rateLimit ? new RateLimiter(rateLimit) : null;
  const startedAt = Date.now();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path === '/exec') {
      if (req.method === 'POST') return handleExec(req, res, { state, sessions, limiter });
      return plain(res, 405, 'POST a ca2.ClientRequest (application/x-protobuf) to /exec.\n', { allow: 'POST' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, `${path} answers GET only.\n`, { allow: 'GET, HEAD' });
    }
    if (path === '/') return plain(res, 200, homePage);
    if (path === '/health') return json(res, { status: 'ok', uptimeMs: Date.now() - startedAt, webSockets: ws.connections() });
    plain(res, 404, `Nothing at ${path}: the demo serves POST /exec, GET /ws, / and /health.\n`);
  });
  const ws = attachWsEndpoint(server, { state, sessions });
  // A client that resets must not take the process that hosts the demo (the proxy) down.
  server.on('connection', (socket) => socket.on('error', () => {}));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    state.close();
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`the demo server cannot listen on ${host}:${options.port ?? 0} (${code}); choose another host or port`, { cause: err });
  }
  const { port } = server.address() as AddressInfo;
  const url = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}/`);

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        state.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await ws.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

const homePage = `ca2 demo server

An illustrative ca2 server for trying ca2-inspector: its service messages are
invented (see demo/protos); only the envelope follows the ca2 document.

  POST /exec   ca2.ClientRequest in, ca2.ServerResponse out (application/x-protobuf)
  GET  /ws     WebSocket: send ca2.WsAuth, receive ca2.WsEvent
  GET  /health JSON status
`;

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function json(res: ServerResponse, value: object): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
