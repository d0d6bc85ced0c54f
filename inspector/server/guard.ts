// The first thing every request to the inspector's listener meets, before express and
// before socket.io: a Host check against DNS rebinding, an Origin check against
// cross-site requests and WebSocket hijacking, and the security headers. The inspector
// shows every bearer token that crossed the proxy, so a page on another site must be
// able neither to read it nor to drive it.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { isLoopback } from './auth.ts';
import { endAndClose } from '../../proxy/raw-http.ts';

export interface GuardOptions {
  /** The --ui host the listener is bound to. */
  uiHost: string;
  /** The listener's port, read when a request arrives (it is known only once listening on port 0). */
  port: () => number;
  /** --ui-allow-host values: NAME (any port) or NAME:PORT, for users behind their own reverse proxy. */
  allowHosts: string[];
}

/**
 * No inline script or style, nothing from elsewhere, no framing. The favicon is a data:
 * URL; connect-src 'self' covers the same-origin WebSocket of the live stream.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders: [string, string][] = [
  ['Content-Security-Policy', contentSecurityPolicy],
  ['X-Content-Type-Options', 'nosniff'],
  // The token may sit in the address bar for a moment: it must never leave in a Referer.
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  // Other sites cannot embed the API's answers as images or scripts either.
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

const wildcardHosts = new Set(['0.0.0.0', '::', '']);

/** A Host header or an origin's host: the name (IPv6 without brackets, lower case) and the port, when given. */
export function splitHost(value: string): { name: string; port: number | null } | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([\w.-]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return null;
  return { name: (match[1] ?? match[2]).toLowerCase().replace(/\.$/, ''), port: match[3] === undefined ? null : Number(match[3]) };
}

export class Guard {
  private readonly names: Set<string>;
  private readonly allowed: { name: string; port: number | null }[];

  constructor(private readonly options: GuardOptions) {
    const uiHost = options.uiHost.toLowerCase().replace(/^\[|\]$/g, '');
    this.names = new Set(['localhost']);
    // Bound to every interface, the machine's own addresses are its --ui host. An address
    // cannot be rebound the way a name can.
    if (wildcardHosts.has(uiHost)) {
      for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) this.names.add(nic.address.toLowerCase());
    } else {
      this.names.add(uiHost);
    }
    this.allowed = options.allowHosts.map((entry) => splitHost(entry) ?? { name: entry.toLowerCase(), port: null });
  }

  /** Why this Host (or origin host) is refused, or null when it may reach the inspector. */
  refusal(host: string | undefined, what: 'Host' | 'Origin'): string | null {
    if (!host) return what === 'Host' ? 'The request has no Host header; the inspector answers only requests addressed to it.' : null;
    const split = splitHost(host);
    const port = this.options.port();
    if (split !== null) {
      const portOf = split.port ?? 80;
      if (this.allowed.some((a) => a.name === split.name && (a.port === null || a.port === portOf))) return null;
      if ((isLoopback(split.name) || this.names.has(split.name)) && portOf === port) return null;
    }
    return (
      `The inspector refused the ${what} ${host}: it answers only to loopback names and addresses and to its --ui host, on port ${port}. ` +
      `If you reach it through your own reverse proxy or another name, start the proxy with --ui-allow-host ${split?.name ?? 'NAME'}.`
    );
  }

  /** The Origin's host when the request carries an Origin, '' for an opaque origin ("null"), undefined without one. */
  private originHost(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    try {
      const url = new URL(origin);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : '';
    } catch {
      return '';
    }
  }

  /**
   * The refusal for a request, or null. The data (REST and socket.io) is refused to pages
   * elsewhere, a page on another port of this host included: that page is same-site, so
   * the SameSite cookie goes with its requests, and a GET it need not read still costs
   * the inspector an export or leaks through how long a search takes. Browsers say where a
   * request comes from in Sec-Fetch-Site (to loopback and https addresses; none when typed
   * in the address bar), and in Origin on all but plain GETs. Origin is also checked on
   * anything that may change state.
   */
  check(req: IncomingMessage): string | null {
    const host = this.refusal(req.headers.host, 'Host');
    if (host) return host;
    const data = /^\/(api|socket\.io)(\/|\?|$)/.test(req.url ?? '');
    const site = req.headers['sec-fetch-site'];
    if (data && site !== undefined && site !== 'same-origin' && site !== 'none') {
      return `The inspector refused a request made by a page elsewhere (Sec-Fetch-Site: ${site}), such as a page on another port of this machine; open the inspector itself instead.`;
    }
    const safeMethod = req.method === 'GET' || req.method === 'HEAD';
    if (safeMethod && !data) return null;
    const origin = this.originHost(req);
    if (origin === undefined) return null;
    if (origin === '') return `The inspector refused a request from an opaque origin (${req.headers.origin}); open the inspector itself instead.`;
    return this.refusal(origin, 'Origin');
  }

  /**
   * Puts the guard in front of whatever listens on the server now. socket.io installs its
   * own request and upgrade listeners, which would otherwise run before any express
   * middleware; so this runs after socket.io is attached.
   */
  install(server: Server): void {
    const requestListeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    const upgradeListeners = server.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      for (const [name, value] of securityHeaders) res.setHeader(name, value);
      const refusal = this.check(req);
      if (refusal) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end(refusal + '\n');
        return;
      }
      for (const listener of requestListeners) listener.call(server, req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refusal = this.check(req);
      if (refusal) {
        const body = refusal + '\n';
        endAndClose(
          socket,
          `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      for (const listener of upgradeListeners) listener.call(server, req, socket, head);
    });
  }
}
