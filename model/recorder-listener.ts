// What the recorder tells those who show traffic as it is recorded (the live stream, the
// terminal printer): the contract between the recorder and them, so neither imports the
// other. No Node imports.

import type { ExchangeSummary, WsFrame } from './types.ts';

export interface RecorderListener {
  /** Whether the listener would do anything with an update now (say, a browser is connected); the recorder builds none for nobody. */
  listening?(): boolean;
  /** A new exchange or a change to one already reported (same id). */
  exchange?(summary: ExchangeSummary): void;
  frame?(exchangeId: number, frame: WsFrame): void;
}
