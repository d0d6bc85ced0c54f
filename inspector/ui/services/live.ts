// The live stream (socket.io), batched per animation frame: a burst of traffic
// becomes one update of the list instead of one render per exchange.

import { io, type Socket } from 'socket.io-client';
import type { ExchangeSummary, LiveEvents, WsFrame } from '../../../model/types.ts';
import { missingTokenMessage } from './api.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

export interface LiveBatch {
  /** Latest summary per exchange id within the batch. */
  exchanges: ExchangeSummary[];
  frames: { exchangeId: number; frame: WsFrame }[];
}

export interface LiveHandlers {
  batch(batch: LiveBatch): void;
  status(status: LiveStatus, message?: string): void;
  /** Called after a reconnect: events may have been missed while offline. */
  resynced(): void;
}

/** The UI token goes along in its cookie, with the handshake (inspector/server/auth.ts). */
export function connectLive(handlers: LiveHandlers): () => void {
  const socket: Socket<LiveEvents> = io({ transports: ['websocket', 'polling'] });
  let exchanges = new Map<number, ExchangeSummary>();
  let frames: LiveBatch['frames'] = [];
  let scheduled = 0;
  let connectedBefore = false;

  const flush = () => {
    scheduled = 0;
    const batch = { exchanges: [...exchanges.values()], frames };
    exchanges = new Map();
    frames = [];
    handlers.batch(batch);
  };
  const schedule = () => {
    if (scheduled) return;
    // A hidden tab gets no animation frames; a timer keeps the list current anyway.
    scheduled = document.hidden ? window.setTimeout(flush, 250) : requestAnimationFrame(flush);
  };

  socket.on('exchange', (summary) => {
    exchanges.set(summary.id, summary);
    schedule();
  });
  socket.on('frame', (event) => {
    frames.push(event);
    schedule();
  });
  socket.on('connect', () => {
    handlers.status('live');
    if (connectedBefore) handlers.resynced();
    connectedBefore = true;
  });
  socket.on('disconnect', () => handlers.status('offline'));
  socket.on('connect_error', (err) => {
    // The server refuses a missing or wrong token with a sentence and its status in data.
    const status = (err as Error & { data?: { status?: number } }).data?.status;
    const unauthorized = status === 401 || status === 403;
    handlers.status(unauthorized ? 'unauthorized' : 'offline', unauthorized ? err.message || missingTokenMessage : err.message);
    if (unauthorized) socket.disconnect();
  });
  handlers.status('connecting');

  return () => {
    if (scheduled) {
      cancelAnimationFrame(scheduled);
      clearTimeout(scheduled);
    }
    socket.close();
  };
}
