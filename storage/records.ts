// What the recorder hands to storage: plain data, bytes as Uint8Array, times in ms epoch.
// Bytes, not decoded messages: storage decodes them when they are read.

import type { ExchangeKind, ExchangeState, FrameDirection, HeaderList, TokenRef } from '../model/types.ts';

export interface MessageRecord {
  headers: HeaderList;
  body: Uint8Array;
  truncated: boolean;
  /** Bytes that crossed the wire, recorded or not. */
  size: number;
}

export interface ExchangeRecord {
  id: number;
  kind: ExchangeKind;
  /** ms epoch, sub-millisecond where the clock gives it. */
  startedAt: number;
  endedAt: number | null;
  method: string;
  path: string;
  status: number | null;
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string[];
  token: TokenRef | null;
  clientAddress: string;
  state: ExchangeState;
  problems: string[];
  error: string | null;
  request: MessageRecord;
  response: MessageRecord | null;
  close: { code: number | null; reason: string; by: 'client' | 'server' | 'proxy'; at: number } | null;
  /** Set on traffic a replay sent: the id of the exchange it replays. */
  replayOf?: number;
}

export interface FrameRecord {
  exchangeId: number;
  seq: number;
  direction: FrameDirection;
  at: number;
  opcode: number;
  size: number;
  body: Uint8Array;
  truncated: boolean;
}
