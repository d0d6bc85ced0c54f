// The live stream: every summary and frame the recorder reports, pushed over socket.io
// in one message per interval, packed (model/live-wire.ts). Under a flood that is a few
// dozen messages a second instead of thousands, for the server and for every browser.

import type { Server as SocketServer } from 'socket.io';
import type { ExchangeSummary, LiveEvents, WsFrame } from '../../model/types.ts';
import { LiveBatchBuilder } from '../../model/live-batch.ts';
import { packLiveBatch } from '../../model/live-wire.ts';
import type { RecorderListener } from '../../model/recorder-listener.ts';

/** Short enough to read as immediate, long enough to gather a burst into one message. */
export const LIVE_INTERVAL_MS = 50;

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
      if (!this.batch.isEmpty) this.io.emit('batch', Buffer.from(packLiveBatch(this.batch.take())));
    }, LIVE_INTERVAL_MS);
  }
}
