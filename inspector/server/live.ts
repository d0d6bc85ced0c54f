// The live stream: every summary and frame the recorder reports, pushed over socket.io.

import type { Server as SocketServer } from 'socket.io';
import type { ExchangeSummary, LiveEvents, WsFrame } from '../../model/types.ts';
import type { RecorderListener } from '../../recorder/recorder.ts';

export class LiveStream implements RecorderListener {
  constructor(private readonly io: SocketServer<Record<string, never>, LiveEvents>) {}

  exchange(summary: ExchangeSummary): void {
    // Serialising for nobody would cost the recorder time under load.
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('exchange', summary);
  }

  frame(exchangeId: number, frame: WsFrame): void {
    if (this.io.engine.clientsCount === 0) return;
    this.io.emit('frame', { exchangeId, frame });
  }
}
