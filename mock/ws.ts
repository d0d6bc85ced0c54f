// GET /ws from a recording: after the client's WsAuth, the server frames of a recorded
// connection, chosen by the WsAuth's token (the same token, else the same JWT subject, else
// the next recorded connection in order). A frame the recording pushed during or after an
// /exec call waits until that call arrives; the others keep their time since WsAuth. With
// --timing none nothing waits for the clock. A connection the server closed in the
// recording is closed the same way, after the recorded gap (an errored WsAuth gets its
// errors and that close). A connection that sends no WsAuth in time is closed with 1008.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import type { Codec } from '../proto/codec.ts';
import type { RecordedSession, Recording } from './recording.ts';
import type { ExecReleases } from './releases.ts';
import { endAndClose } from '../proxy/raw-http.ts';

export type Timing = 'recorded' | 'none';

export interface WsMockOptions {
  recording: Recording;
  codec: Codec;
  timing: Timing;
  releases: ExecReleases;
  /** The largest message taken from a client; ws closes a connection sending more with 1009. */
  maxPayload: number;
  /** How long a connection may stay open without its WsAuth. */
  authTimeoutMs: number;
  say: (line: string) => void;
}

export interface WsMock {
  close(): Promise<void>;
}

export function attachWsMock(server: Server, options: WsMockOptions): WsMock {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const picker = new SessionPicker(options.recording.sessions);
  const playing = new Set<AbortController>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (new URL(req.url ?? '/', 'http://mock').pathname !== '/ws') {
      endAndClose(socket, 'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nThe mock serves WebSockets at /ws only.\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const stop = new AbortController();
    playing.add(stop);
    ws.on('error', () => ws.terminate());
    // A client that never authenticates would hold its connection for good.
    const authDeadline = setTimeout(() => {
      const seconds = options.authTimeoutMs / 1000;
      options.say(`mock: a WebSocket sent no WsAuth within ${seconds} s; closing it with 1008`);
      ws.close(1008, `no WsAuth within ${seconds} s`);
    }, options.authTimeoutMs);
    ws.once('close', () => {
      clearTimeout(authDeadline);
      stop.abort();
      playing.delete(stop);
    });
    ws.once('message', (data: Buffer) => {
      clearTimeout(authDeadline);
      const authAt = Date.now();
      const auth = options.codec.decode('WsAuth', data);
      const token = typeof auth.json.token === 'string' ? auth.json.token : null;
      const session = picker.pick(token, auth.summary.token?.jwt?.sub ?? null);
      if (!session) {
        options.say('mock: a WebSocket authenticated, but the recording has no WebSocket session to play; closing it with 1011');
        ws.close(1011, 'the recording has no WebSocket session');
        return;
      }
      play(ws, session, authAt, options, stop.signal).catch((err: Error) => {
        // One connection the mock cannot play must not stop it serving the others.
        options.say(`mock: playing WebSocket session #${session.id} failed (${err.message}); this is a bug in ca2-inspector, please report it`);
        ws.terminate();
      });
    });
  });

  return {
    async close() {
      for (const stop of playing) stop.abort();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

async function play(ws: WebSocket, session: RecordedSession, authAt: number, options: WsMockOptions, signal: AbortSignal): Promise<void> {
  const wait = async (due: number) => {
    if (options.timing === 'recorded' && due > Date.now()) await sleep(due - Date.now(), undefined, { signal }).catch(() => undefined);
  };
  // The last frame sent: when, live, and when it was recorded, for the gap before the close.
  let last = { sentAt: authAt, recordedAt: session.authAt };
  for (const frame of session.frames) {
    let due: number;
    if (frame.after) {
      const arrivedAt = await options.releases.after(frame.after.execId, authAt, signal);
      if (arrivedAt === null) return;
      // The mock answers at once: a frame pushed mid-call goes now, one pushed after the
      // answer keeps its gap from the recorded answer.
      due = arrivedAt + Math.max(0, frame.at - frame.after.endedAt);
    } else {
      due = authAt + (frame.at - session.authAt);
    }
    await wait(due);
    if (signal.aborted || ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame.body, { binary: frame.opcode === 2 });
    last = { sentAt: Date.now(), recordedAt: frame.at };
  }
  const close = session.close;
  if (!close) return;
  await wait(last.sentAt + (close.at - last.recordedAt));
  if (signal.aborted || ws.readyState !== WebSocket.OPEN) return;
  // 1005 (no code) and 1006 (no close frame) are never sent: they describe what was missing.
  if (close.code === 1006) ws.terminate();
  else if (close.code === null || close.code === 1005) ws.close();
  else ws.close(close.code, close.reason);
}

/** Which recorded connection a live WsAuth gets; each is played once, then sessions repeat. */
class SessionPicker {
  private readonly unplayed: Set<RecordedSession>;
  private next = 0;

  constructor(private readonly sessions: readonly RecordedSession[]) {
    this.unplayed = new Set(sessions);
  }

  pick(token: string | null, sub: string | null): RecordedSession | null {
    const fresh = [...this.unplayed];
    const session =
      (token !== null ? fresh.find((s) => s.token === token) : undefined) ??
      (sub !== null ? fresh.find((s) => s.sub === sub) ?? [...this.sessions].reverse().find((s) => s.sub === sub) : undefined) ??
      fresh[0] ??
      this.sessions[this.next++ % Math.max(1, this.sessions.length)] ??
      null;
    if (session) this.unplayed.delete(session);
    return session;
  }
}
