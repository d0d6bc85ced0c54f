// The live stream (socket.io). The server already sends one message per interval; the
// batches that arrive between two animation frames are merged into one update of the
// list, so a flood costs one render per frame however many rows it brings. Any other
// event the server sends goes to its listeners as it came.

import { io, type Socket } from 'socket.io-client';
import { LiveBatchBuilder } from '../../../model/live-batch.ts';
import { unpackLiveBatch } from '../../../model/live-wire.ts';
import type { LiveEvents } from '../../../model/types.ts';
import type { LiveListenerEvents, LiveListeners } from '../model/live-listeners.ts';
import { missingTokenMessage } from './api.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

/**
 * More rows than this in one update are more than anyone reads as they pass: the next
 * update then waits a little, so a flood redraws the list a few times a second (still
 * following live) instead of on every animation frame.
 */
const floodRows = 30;
const floodIntervalMs = 150;

/**
 * Connects, and emits the server's events and `connected` (on every connect) to
 * `listeners`. The UI token goes along in its cookie, with the handshake (inspector/server/auth.ts).
 */
export function connectLive(listeners: LiveListeners, onStatus: (status: LiveStatus, message?: string) => void): () => void {
  // Packed batches cost the browser a fraction of what socket.io's objects do under a flood.
  const socket: Socket<LiveEvents> = io({ transports: ['websocket', 'polling'], auth: { packed: true } });
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
    listeners.emit('batch', batch);
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

  socket.on('packedBatch', (packed) => {
    pending.add(unpackLiveBatch(packed));
    schedule();
  });
  socket.onAny((event: keyof LiveEvents, ...args: unknown[]) => {
    if (event !== 'packedBatch') listeners.emit(event, ...(args as Parameters<LiveListenerEvents[typeof event]>));
  });
  socket.on('connect', () => {
    onStatus('live');
    listeners.emit('connected');
  });
  socket.on('disconnect', () => onStatus('offline'));
  socket.on('connect_error', (err) => {
    // The server refuses a missing or wrong token with a sentence and its status in data.
    const status = (err as Error & { data?: { status?: number } }).data?.status;
    const unauthorized = status === 401 || status === 403;
    onStatus(unauthorized ? 'unauthorized' : 'offline', unauthorized ? err.message || missingTokenMessage : err.message);
    if (unauthorized) socket.disconnect();
  });
  onStatus('connecting');

  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    socket.close();
  };
}
