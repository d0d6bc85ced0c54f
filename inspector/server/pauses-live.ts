// Breakpoints on the live stream: each message that pauses, and each that goes on, is sent
// to every browser at once (not gathered like the traffic), so the Paused panel and its
// badge show a paused call while its client still waits.

import type { Server as SocketServer } from 'socket.io';
import type { PauseControl } from '../../model/pauses.ts';
import type { LiveEvents } from '../../model/types.ts';

export class PausesStream {
  private stopped = false;

  constructor(io: SocketServer<Record<string, never>, LiveEvents>, pauses: PauseControl) {
    pauses.onChange((event) => {
      // A browser that connects later asks GET /api/paused first.
      if (this.stopped) return;
      if (event.type === 'paused') io.emit('paused', event.pause);
      else if (event.type === 'waiting') io.emit('waiting', event.waiting);
      else io.emit('resumed', event.resumed);
    });
  }

  /** The control keeps its listeners: once the server is closing, events are let go. */
  stop(): void {
    this.stopped = true;
  }
}
