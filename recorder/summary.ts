// Shapes the recorder's records into what the live stream sends, the same shapes REST returns.

import type { ExchangeSummary, WsFrame } from '../model/types.ts';
import type { ExchangeRecord, FrameRecord } from '../storage/records.ts';

export function summaryOf(record: ExchangeRecord, frames: number): ExchangeSummary {
  return {
    id: record.id,
    kind: record.kind,
    startedAt: new Date(record.startedAt).toISOString(),
    durationMs: record.endedAt === null ? null : Math.round((record.endedAt - record.startedAt) * 10) / 10,
    method: record.method,
    path: record.path,
    status: record.status,
    service: record.service,
    operation: record.operation,
    trx: record.trx,
    errors: record.errors,
    requestSize: record.request.size,
    responseSize: record.response?.size ?? 0,
    frames,
    problems: record.problems,
    state: record.state,
    token: record.token,
  };
}

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
