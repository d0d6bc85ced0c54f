// HTTP heads written straight onto a socket: the one the HTTP server hands over for an
// upgrade (where there is no ServerResponse) and a tunnel's upstream connection.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** A status line and headers (flat raw form), to write as latin1, as header bytes are. */
export function responseHead(status: number, statusMessage: string, headers: string[]): string {
  return `HTTP/1.1 ${status} ${statusMessage}\r\n${headerLines(headers)}\r\n`;
}

export function requestHead(method: string, path: string, httpVersion: string, headers: string[]): string {
  return `${method} ${path} HTTP/${httpVersion}\r\n${headerLines(headers)}\r\n`;
}

/** The proxy's own one-line plain-text answer (502, 504), after which the connection closes. */
export function plainResponse(status: number, text: string): Buffer {
  const body = Buffer.from(text + '\n');
  const head = responseHead(status, STATUS_CODES[status] ?? '', [
    'Content-Type', 'text/plain; charset=utf-8',
    'Content-Length', String(body.length),
    'Connection', 'close',
  ]);
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Sends the last bytes on a socket the HTTP server handed over (an upgrade, CONNECT) and
 * closes it once they are out. Ending alone leaves the socket open until the client
 * closes its side, and one that never does would hold it, and the server's close, for ever.
 */
export function endAndClose(socket: Duplex, last?: string | Buffer): void {
  socket.once('finish', () => socket.destroy());
  socket.end(last);
}

function headerLines(headers: string[]): string {
  let lines = '';
  for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return lines;
}
