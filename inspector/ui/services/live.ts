// The live stream (socket.io). The server already sends one message per interval; the
// messages that arrive between two animation frames are merged into one update of the
// list, so a flood costs one render per frame however many rows it brings.

import { io, type Socket } from 'socket.io-client';
import { LiveBatchBuilder } from '../../../model/live-batch.ts';
import type { LiveBatch, LiveEvents } from '../../../model/types.ts';
import { missingTokenMessage } from './api.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

/**
 * More rows than this in one update are more than anyone reads as they pass: the next
 * update then waits a little, so a flood redraws the list a few times a second (still
 * following live) instead of on every animation frame.
 */
const floodRows = 30;
const floodIntervalMs = 150;

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
  let frame = 0;
  let timer = 0;
  let flooded = false;
  let lastFlush = 0;

  const flush = () => {
    frame = 0;
    timer = 0;
    const batch = pending.take();
    flooded = batch.exchanges.length > floodRows;
    lastFlush = performance.now();
    handlers.batch(batch);
  };
  const schedule = () => {
    if (frame || timer) return;
    // A hidden tab gets no animation frames; a timer keeps the list current anyway.
    if (document.hidden) timer = window.setTimeout(flush, 250);
    else if (flooded) {
      timer = window.setTimeout(() => {
        timer = 0;
        frame = requestAnimationFrame(flush);
      }, Math.max(0, lastFlush + floodIntervalMs - performance.now()));
    } else frame = requestAnimationFrame(flush);
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
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    socket.close();
  };
}
