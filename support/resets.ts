// Clients that leave badly: a raw connection that sends a request and then resets it
// (a TCP RST, as a browser tab closed mid-answer or a hostile page does) or closes it
// without reading the answer, at each moment the server may be in.

import net from 'node:net';

export type Leaving =
  /** A reset as soon as the request is written: the server may not even have read it. */
  | 'reset-at-once'
  /** A reset once the first byte of the answer arrives: the server is still writing. */
  | 'reset-on-answer'
  /** Closed without reading a byte of the answer. */
  | 'close-unread'
  /** Half-closed without reading: the server is left to end the connection. */
  | 'end-unread';

export const leavings: Leaving[] = ['reset-at-once', 'reset-on-answer', 'close-unread', 'end-unread'];

/** How long 'reset-on-answer' waits for an answer that may never come (a long poll) before it resets anyway. */
const NO_ANSWER_MS = 300;

/**
 * Sends `request` on a new connection to 127.0.0.1:port and leaves as said; resolves once
 * the connection is gone. It never rejects: whatever the server does is its business.
 */
export function sendAndLeave(port: number, request: string | Buffer, leaving: Leaving): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.once('connect', () => {
      socket.write(request);
      switch (leaving) {
        case 'reset-at-once':
          socket.resetAndDestroy();
          break;
        case 'reset-on-answer': {
          const timer = setTimeout(() => socket.resetAndDestroy(), NO_ANSWER_MS);
          socket.once('data', () => {
            clearTimeout(timer);
            socket.pause();
            socket.resetAndDestroy();
          });
          break;
        }
        case 'close-unread':
          socket.destroy();
          break;
        case 'end-unread':
          socket.pause();
          socket.end();
          // The server may keep its side open; the test does not wait for it.
          setTimeout(() => socket.destroy(), NO_ANSWER_MS);
          break;
      }
    });
  });
}

/**
 * Sends `request`, reads the answer and never closes its side: a client that keeps the
 * connection half open after the server has answered and ended its own. Resolves with
 * the socket once the server has ended its side; the caller destroys it.
 */
export function sendAndHold(port: number, request: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(request));
    socket.on('data', () => undefined);
    socket.once('end', () => resolve(socket));
  });
}

/** A request head as bytes on the wire, Host first unless it is given as null (left out). */
export function requestHead(method: string, path: string, host: string | null, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`];
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The headers of a WebSocket handshake. */
export const webSocketUpgrade = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

/**
 * The requests a browser, a script or a hostile page can make of the inspector: each kind
 * of answer it gives (the app, REST, a download, 401 and 403, socket.io's polling and
 * WebSocket, and every upgrade the guard refuses). `sid` is an open socket.io session,
 * for a long poll that waits for its answer.
 */
export function inspectorRequests(port: number, token: string, sid: string): Record<string, string> {
  const host = `127.0.0.1:${port}`;
  const bearer = { Authorization: `Bearer ${token}` };
  const socketIo = '/socket.io/?EIO=4&transport=websocket';
  return {
    'the app': requestHead('GET', '/', host),
    'a REST list': requestHead('GET', '/api/exchanges?limit=1000', host, bearer),
    'an export download': requestHead('GET', '/api/export?format=har', host, bearer),
    'a 401 without token': requestHead('GET', '/api/exchanges', host),
    'a 403 for a wrong token': requestHead('GET', '/api/exchanges', host, { Authorization: 'Bearer wrong' }),
    'a 403 for a foreign Host': requestHead('GET', '/api/exchanges', 'evil.example', bearer),
    'a request cut mid-head': `GET /api/exchanges HTTP/1.1\r\nHost: ${host}\r\nAuthoriz`,
    'a socket.io polling handshake': requestHead('GET', '/socket.io/?EIO=4&transport=polling', host, bearer),
    'a socket.io long poll': requestHead('GET', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, host, bearer),
    'a socket.io WebSocket': requestHead('GET', socketIo, host, webSocketUpgrade),
    'an upgrade from a foreign Origin': requestHead('GET', socketIo, host, { ...webSocketUpgrade, Origin: 'http://evil.example' }),
    'an upgrade from a null Origin': requestHead('GET', socketIo, host, { ...webSocketUpgrade, Origin: 'null' }),
    'an upgrade from another port': requestHead('GET', socketIo, host, { ...webSocketUpgrade, Origin: 'http://127.0.0.1:1' }),
    'an upgrade with a foreign Host': requestHead('GET', socketIo, 'evil.example', webSocketUpgrade),
    'an upgrade with a bad Host': requestHead('GET', socketIo, 'a b', webSocketUpgrade),
    'an upgrade without Host': requestHead('GET', socketIo, null, webSocketUpgrade),
  };
}

/** Opens a socket.io session over polling, connected with the token, and returns its sid. */
export async function socketIoSession(origin: string, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  const open = await (await fetch(`${origin}/socket.io/?EIO=4&transport=polling`, { headers })).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const connect = await fetch(`${origin}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'text/plain;charset=UTF-8' },
    body: `40${JSON.stringify({ token })}`,
  });
  if (!connect.ok) throw new Error(`socket.io refused the session: ${connect.status} ${await connect.text()}`);
  return sid;
}
