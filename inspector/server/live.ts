// The live stream: every summary and frame the recorder reports, pushed over socket.io
// in one message per interval. Under a flood that is a few dozen messages a second
// instead of thousands, for the server and for every browser. The inspector asks for the
// batch packed (model/live-wire.ts), which costs both ends a fraction of socket.io's
// encoding of objects; a script that did not ask keeps getting `batch` as documented.

import type { Server as SocketServer, Socket } from 'socket.io';
import type { ExchangeSummary, LiveEvents, WsFrame } from '../../model/types.ts';
import { LiveBatchBuilder } from '../../model/live-batch.ts';
import { packLiveBatch } from '../../model/live-wire.ts';
import type { RecorderListener } from '../../model/recorder-listener.ts';

/** Short enough to read as immediate, long enough to gather a burst into one message. */
export const LIVE_INTERVAL_MS = 50;

/** The room of the clients that asked for `packedBatch` in their handshake. */
const PACKED = 'packed';

/** Puts a connecting client among those sent `packedBatch` when its handshake asks for it. */
export function chooseLiveForm(socket: Socket): void {
  if (socket.handshake.auth?.packed === true) void socket.join(PACKED);
}

export class LiveStream implements RecorderListener {
  private readonly batch = new LiveBatchBuilder();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly io: SocketServer<Record<string, never>, LiveEvents>) {}

  /** Serialising for nobody would cost the recorder time under load. */
  listening(): boolean {
    return this.io.engine.clientsCount > 0;
  }

  exchange(summary: ExchangeSummary): void {
    if (!this.listening()) return;
    this.batch.exchange(summary);
    this.schedule();
  }

  frame(exchangeId: number, frame: WsFrame): void {
    if (!this.listening()) return;
    this.batch.frame({ exchangeId, frame });
    this.schedule();
  }

  /** Drops what is not sent yet; the server is closing. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      if (this.batch.isEmpty) return;
      const batch = this.batch.take();
      // Each form is made only when somebody connected wants it.
      const packed = this.io.sockets.adapter.rooms.get(PACKED)?.size ?? 0;
      if (packed > 0) this.io.to(PACKED).emit('packedBatch', Buffer.from(packLiveBatch(batch)));
      if (this.io.sockets.sockets.size > packed) this.io.except(PACKED).emit('batch', batch);
    }, LIVE_INTERVAL_MS);
  }
}
