// The server the proxy forwards to: how to open a request to it, with keep-alive
// connections reused across exchanges and TLS checked unless told otherwise.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

export class Upstream {
  /** host[:port] as in the URL: the Host header the upstream gets and the name in messages. */
  readonly host: string;
  readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: number;
  /** A path the upstream URL carries (https://api.example.com/ca2): prefixed to every request path. */
  private readonly basePath: string;
  private readonly tlsOptions: { rejectUnauthorized: boolean; servername?: string };
  private readonly agent: http.Agent;

  constructor(url: URL, insecure: boolean) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`upstream ${url.href} must start with http:// or https://`);
    }
    this.secure = url.protocol === 'https:';
    this.host = url.host;
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port) || (this.secure ? 443 : 80);
    this.basePath = url.pathname.replace(/\/+$/, '');
    // SNI carries a name, never an address (RFC 6066 §3).
    const servername = net.isIP(this.hostname) ? undefined : this.hostname;
    this.tlsOptions = { rejectUnauthorized: !insecure, ...(servername ? { servername } : {}) };
    const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, noDelay: true };
    this.agent = this.secure ? new https.Agent({ ...agentOptions, ...this.tlsOptions }) : new http.Agent(agentOptions);
  }

  /** Opens a request on a pooled connection; `headers` is the flat raw form, sent as is. */
  request(method: string, path: string, headers: string[]): http.ClientRequest {
    const options: http.RequestOptions & tls.ConnectionOptions = {
      host: this.hostname,
      port: this.port,
      method,
      path: this.basePath + path,
      headers,
      agent: this.agent,
      ...(this.secure ? this.tlsOptions : {}),
    };
    return this.secure ? https.request(options) : http.request(options);
  }

  /** A dedicated connection for a tunnel (a non-WebSocket upgrade), never pooled. */
  connect(): net.Socket {
    return this.secure
      ? tls.connect({ host: this.hostname, port: this.port, ...this.tlsOptions, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: this.hostname, port: this.port });
  }

  /** Where the WebSocket for a client path lives upstream, and how to reach it safely. */
  webSocket(path: string): { url: string; tls: { rejectUnauthorized: boolean; servername?: string } } {
    return { url: `${this.secure ? 'wss' : 'ws'}://${this.host}${this.basePath}${path}`, tls: this.tlsOptions };
  }

  /** The request path upstream for a client path (the base path prefixed). */
  path(path: string): string {
    return this.basePath + path;
  }

  close(): void {
    this.agent.destroy();
  }
}
