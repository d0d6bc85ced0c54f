// What the inspector's listener lets its clients hold. It shares the process's file
// descriptors with forwarding: a page or a host that floods it with idle or half-sent
// connections (a slowloris) must run into these limits, not take the descriptors the
// proxy needs for its clients and its upstream.

import type { Server } from 'node:http';

/** Far more than a person uses: a browser tab holds at most 6 connections and its live stream. */
export const MAX_CONNECTIONS = 256;
/** A request's headers arrive at once from a browser or a script; a trickle is an attack. */
const HEADERS_TIMEOUT_MS = 10_000;
/** A whole request, body included (an edited Resend is the largest the inspector takes). */
const REQUEST_TIMEOUT_MS = 30_000;
/** How often Node looks for requests past those timeouts. */
const CHECK_INTERVAL_MS = 1_000;
/** A connection that sends nothing: Node's headers timeout only starts at the first byte. */
const FIRST_BYTE_MS = HEADERS_TIMEOUT_MS;

export const serverTimeouts = {
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  connectionsCheckingInterval: CHECK_INTERVAL_MS,
};

/**
 * Past `max` open connections, Node closes each new one as it is accepted, so it holds
 * a descriptor for no time at all; the first refusal is said. Connections that send
 * nothing are closed after FIRST_BYTE_MS.
 */
export function limitConnections(server: Server, max: number, log: (line: string) => void): void {
  server.maxConnections = max;
  server.once('drop', (from?: { remoteAddress?: string }) =>
    log(
      `inspector: refused a connection from ${from?.remoteAddress ?? 'a client'}: ${max} are open, its limit. ` +
        'A page or program is holding connections open; later refusals are not said.',
    ),
  );
  server.on('connection', (socket) => {
    socket.setTimeout(FIRST_BYTE_MS);
    socket.once('data', () => socket.setTimeout(0));
  });
}
