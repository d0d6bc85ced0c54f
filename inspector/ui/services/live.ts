// The live stream (socket.io). The server already sends one message per interval; the
// messages that arrive between two animation frames are merged into one update of the
// list, so a flood costs one render per frame however many rows it brings.

import { io, type Socket } from 'socket.io-client';
import { LiveBatchBuilder } from '../../../model/live-batch.ts';
import type { LiveBatch, LiveEvents } from '../../../model/types.ts';
import { missingTokenMessage } from './api.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

export interface LiveHandlers {
  batch(batch: LiveBatch): void;
  status(status: LiveStatus, message?: string): void;
  /** Called on every connect: events may have been missed before it (while offline, or since the first page was read). */
  connected(): void;
}

/** The UI token goes along in its cookie, with the handshake (inspector/server/auth.ts). */
export function connectLive(handlers: LiveHandlers): () => void {
  const socket: Socket<LiveEvents> = io({ transports: ['websocket', 'polling'] });
  const pending = new LiveBatchBuilder();
  let scheduled = 0;

  const flush = () => {
    scheduled = 0;
    handlers.batch(pending.take());
  };
  const schedule = () => {
    if (scheduled) return;
    // A hidden tab gets no animation frames; a timer keeps the list current anyway.
    scheduled = document.hidden ? window.setTimeout(flush, 250) : requestAnimationFrame(flush);
  };

  socket.on('batch', (batch) => {
    pending.add(batch);
    schedule();
  });
  socket.on('connect', () => {
    handlers.status('live');
    handlers.connected();
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
