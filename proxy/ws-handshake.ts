// The WebSocket handshake on both sides of the relay (proxy/ws.ts): whether a client's
// upgrade is one the relay can complete, the client's handshake answered the way the
// upstream answered the proxy's (the same compression, subprotocol and extra headers), and
// what the upstream's answer means when it cannot be relayed.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { upstreamFailure, type Failure } from './errors.ts';
import { extraHandshakeResponseHeaders } from './headers.ts';

const KEY = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

/**
 * Whether the upgrade is a WebSocket handshake the relay can complete with the client
 * (RFC 6455 §4.2.1). Anything else is tunnelled so the upstream answers it.
 */
export function isRelayableWebSocket(req: IncomingMessage): boolean {
  const { upgrade, 'sec-websocket-key': key, 'sec-websocket-version': version } = req.headers;
  if (req.method !== 'GET' || upgrade?.toLowerCase() !== 'websocket') return false;
  if (!key || !KEY.test(key) || (version !== '13' && version !== '8')) return false;
  const protocols = offeredProtocols(req);
  return protocols.every((p) => TOKEN.test(p)) && new Set(protocols).size === protocols.length;
}

/** The ws servers that complete client handshakes: one per compression choice, so the client gets permessage-deflate exactly when the upstream agreed to it. */
export class ClientHandshakes {
  private readonly plain: WebSocketServer;
  private readonly deflate: WebSocketServer;
  private readonly pending = new WeakMap<IncomingMessage, { protocol: string; headers: string[] }>();

  constructor() {
    const options = {
      noServer: true,
      clientTracking: false,
      maxPayload: 0,
      autoPong: false,
      handleProtocols: (_offered: Set<string>, req: IncomingMessage) => this.pending.get(req)?.protocol || false,
    };
    this.plain = new WebSocketServer({ ...options, perMessageDeflate: false });
    this.deflate = new WebSocketServer({ ...options, perMessageDeflate: true });
    for (const server of [this.plain, this.deflate]) {
      server.on('headers', (lines: string[], req: IncomingMessage) => lines.push(...(this.pending.get(req)?.headers ?? [])));
    }
  }

  /** Answers the client's handshake like the upstream answered ours; null if the client has already gone. */
  complete(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: WebSocket, upstreamRes: IncomingMessage): WebSocket | null {
    const server = upstream.extensions.includes('permessage-deflate') ? this.deflate : this.plain;
    this.pending.set(req, { protocol: selectedProtocol(upstreamRes) ?? '', headers: extraHandshakeResponseHeaders(upstreamRes.rawHeaders) });
    let client: WebSocket | null = null;
    // Synchronous without verifyClient; it calls back only if the handshake went out.
    server.handleUpgrade(req, socket, head, (ws) => (client = ws));
    this.pending.delete(req);
    return client;
  }
}

/** The subprotocol a 101 selected, read from the raw headers (the parsed ones are edited in upgraded()). */
export function selectedProtocol(res: IncomingMessage): string | undefined {
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]!.toLowerCase() === 'sec-websocket-protocol') return res.rawHeaders[i + 1]!.trim();
  }
  return undefined;
}

export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? header.split(',').map((p) => p.trim()).filter((p) => p !== '') : [];
}

/** ws reports handshake problems it found itself (a bad accept key, an extension never offered) without a code. */
export function handshakeFailure(err: Error & { code?: string }, upstream: string): Failure {
  if (err.code) return upstreamFailure(err, upstream);
  return { kind: 'proxy-error', status: 502, message: `upstream ${upstream} answered the WebSocket handshake in a way the proxy cannot relay: ${err.message}` };
}
