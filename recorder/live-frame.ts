// A recorded frame in the shape the live stream sends, the same shape REST returns.

import type { WsFrame } from '../model/types.ts';
import type { ExchangeRecord, FrameRecord } from '../storage/records.ts';

export function frameOf(frame: FrameRecord): WsFrame {
  return {
    seq: frame.seq,
    direction: frame.direction,
    at: new Date(frame.at).toISOString(),
    opcode: frame.opcode,
    size: frame.size,
    body: Buffer.from(frame.body.buffer, frame.body.byteOffset, frame.body.byteLength).toString('base64'),
    decoded: frame.decoded,
    truncated: frame.truncated,
  };
}
