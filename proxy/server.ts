// The proxy's listener and lifecycle: every request and upgrade goes to the upstream, the
// tap hears about each one, and close() lets what is in flight finish before it returns.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_BODY, type ProxyContext } from './context.ts';
import { FlowTracker } from './flows.ts';
import { forwardHttp } from './http.ts';
import type { Tap } from './tap.ts';
import { tunnelUpgrade } from './tunnel.ts';
import { Upstream } from './upstream.ts';
import { relayWebSocket } from './ws.ts';
import { ClientHandshakes, isRelayableWebSocket } from './ws-handshake.ts';
import { listen } from './listen.ts';
import { endAndClose } from './raw-http.ts';
import type { InterceptStage } from './intercept.ts';

export interface ProxyOptions {
  /** http: or https: */
  upstream: URL;
  /** port 0 picks a free port. */
  listen: { host: string; port: number };
  tap: Tap;
  /** Skip TLS certificate checks to the upstream. */
  insecure?: boolean;
  /** Capture limit per body or frame (default 16 MiB); larger ones are forwarded whole and captured truncated. */
  maxBody?: number;
  /** How long the upstream may take to answer (default 60 s); past it the client gets 504. */
  upstreamTimeoutMs?: number;
  /** The interception stage (intercept/): rules that change traffic in flight. */
  intercept?: InterceptStage;
}

export interface ProxyServer {
  address: { host: string; port: number };
  /** Stop accepting, let in-flight exchanges finish up to graceMs, then end what is left (recorded as ended by the proxy). */
  close(graceMs?: number): Promise<void>;
  inFlight(): number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_GRACE_MS = 5_000;

/** Rejects with a sentence naming the address and the fix when it cannot listen. */
export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  const upstream = new Upstream(options.upstream, options.insecure ?? false);
  const flows = new FlowTracker(options.maxBody ?? DEFAULT_MAX_BODY);
  const ctx: ProxyContext = {
    upstream,
    tap: options.tap,
    flows,
    maxBody: options.maxBody ?? DEFAULT_MAX_BODY,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    closing: false,
    graceMs: DEFAULT_GRACE_MS,
    intercept: options.intercept ?? null,
  };
  const handshakes = new ClientHandshakes();
  let stopped = false;

  const server = http.createServer();
  server.on('request', (req, res) => {
    if (stopped) res.socket?.destroy();
    else forwardHttp(ctx, req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    if (stopped) socket.destroy();
    else if (isRelayableWebSocket(req)) relayWebSocket(ctx, handshakes, req, socket, head);
    else tunnelUpgrade(ctx, req, socket, head);
  });
  server.on('connect', (_req, socket) => {
    endAndClose(
      socket,
      'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
        `ca2-inspector is a reverse proxy for ${upstream.host}: use it as your client's server URL, not as an HTTP proxy.\n`,
    );
  });

  try {
    await listen(server, options.listen, '--listen');
  } catch (err) {
    upstream.close();
    throw err;
  }
  const { address, port } = server.address() as AddressInfo;

  let closing: Promise<void> | null = null;
  const shutdown = async (graceMs: number) => {
    ctx.closing = true;
    ctx.graceMs = graceMs;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    await flows.exchangesDone(graceMs);
    stopped = true;
    flows.stopAll();
    await flows.whenIdle();
    server.closeAllConnections();
    upstream.close();
    await serverClosed;
  };

  return {
    address: { host: address, port },
    close: (graceMs = DEFAULT_GRACE_MS) => (closing ??= shutdown(graceMs)),
    inFlight: () => flows.size,
  };
}
