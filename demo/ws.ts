// GET /ws: the client sends one binary ca2.WsAuth; a good token gets an empty
// ca2.WsEvent at once and then one WsEvent per change to its account. A bad token
// gets a WsEvent with the error, then the connection is closed with code 4001.
// Frames from the client after WsAuth are ignored, as the ca2 document says the
// client only ever sends WsAuth.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ServerErrorName, WsEvent } from './messages.ts';
import { encodeMessage, decodeMessage } from './schema.ts';
import type { Sessions } from './sessions.ts';
import type { DemoState } from './state.ts';

/** Close code for a WsAuth whose token is missing, invalid or expired. */
export const WS_CLOSE_BAD_TOKEN = 4001;
export const WS_AUTH_TIMEOUT_MS = 10_000;

const tokenErrorReasons: Partial<Record<ServerErrorName, string>> = {
  SE_TOKEN_REQUIRED_ERROR: 'WsAuth carried no token; log in and send the token',
  SE_INVALID_TOKEN_ERROR: 'the token is not valid; log in again',
  SE_EXPIRED_TOKEN_ERROR: 'the token has expired; log in again',
};

export interface WsEndpoint {
  /** Open connections, authenticated or not. */
  connections(): number;
  /** Closes every connection with 1001 and waits for them to end. */
  close(): Promise<void>;
}

export function attachWsEndpoint(server: Server, context: { state: DemoState; sessions: Sessions }): WsEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const byUser = new Map<string, Set<WebSocket>>();

  const stopListening = context.state.onEvent((userId, event) => {
    const bytes = encodeMessage('ca2.WsEvent', event);
    for (const socket of byUser.get(userId) ?? []) {
      if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://demo').pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nWebSockets are served at /ws only.\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    const timeout = setTimeout(() => ws.close(1008, 'no WsAuth arrived in time'), WS_AUTH_TIMEOUT_MS);
    ws.once('close', () => clearTimeout(timeout));

    ws.once('message', (data: Buffer, isBinary: boolean) => {
      clearTimeout(timeout);
      const refuse = (error: ServerErrorName, code: number, reason: string) => {
        send(ws, { errors: [error] });
        ws.close(code, reason);
      };
      if (!isBinary) return refuse('SE_UNKNOWN_ERROR', 1003, 'WsAuth must be sent as a binary frame');
      let token: string;
      try {
        token = decodeMessage<{ token?: string }>('ca2.WsAuth', data).token ?? '';
      } catch {
        return refuse('SE_UNKNOWN_ERROR', 1008, 'the first frame is not a ca2.WsAuth message');
      }
      const check = context.sessions.check(token, Date.now());
      if ('error' in check) return refuse(check.error, WS_CLOSE_BAD_TOKEN, tokenErrorReasons[check.error] ?? check.error);

      let sockets = byUser.get(check.userId);
      if (!sockets) byUser.set(check.userId, (sockets = new Set()));
      sockets.add(ws);
      ws.once('close', () => {
        sockets.delete(ws);
        if (sockets.size === 0) byUser.delete(check.userId);
      });
      send(ws, {});
    });
  });

  return {
    connections: () => wss.clients.size,
    async close() {
      stopListening();
      await Promise.all(
        [...wss.clients].map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close(1001, 'the demo server is shutting down');
              setTimeout(() => ws.terminate(), 500).unref();
            }),
        ),
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function send(ws: WebSocket, event: WsEvent): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage('ca2.WsEvent', event));
}
