// What a WebSocket frame row says about itself: its type, a one-line summary of the
// decoded message and how long after the previous frame it came.

import type { LiveFrame, WsClose, WsFrame } from '../../../model/types.ts';
import { operationLabel } from '../../../model/format.ts';

const opcodeNames: Record<number, string> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

export function opcodeName(opcode: number): string {
  return opcodeNames[opcode] ?? `opcode ${opcode}`;
}

/** "billing.balances", "WsAuth", "errors: SE_EXPIRED_TOKEN_ERROR", "empty WsEvent". */
export function frameSummary(frame: WsFrame): string {
  const decoded = frame.decoded;
  if (frame.opcode === 9 || frame.opcode === 10) return opcodeName(frame.opcode);
  if (!decoded) return frame.size === 0 ? 'empty' : 'not decoded';
  const { service, operation, errors } = decoded.summary;
  const parts: string[] = [];
  const call = operationLabel({ service, operation });
  if (call) parts.push(call);
  if (errors.length > 0) parts.push(errors.join(', '));
  if (parts.length > 0) return parts.join(' · ');
  if (frame.direction === 'client') return decoded.summary.token?.present ? 'WsAuth (token)' : 'WsAuth';
  return Object.keys(decoded.json).length === 0 ? 'empty WsEvent (authenticated)' : 'WsEvent';
}

/** Milliseconds between two ISO times. */
export function gapMs(fromIso: string, toIso: string): number {
  return Date.parse(toIso) - Date.parse(fromIso);
}

/** A gap long enough to point out in the timeline. */
export const notableGapMs = 2000;

export function closeSummary(close: WsClose): string {
  const who = close.by === 'proxy' ? 'the proxy' : `the ${close.by}`;
  const code = close.code === null ? 'no close code' : `code ${close.code}`;
  return `closed by ${who}, ${code}${close.reason ? `: “${close.reason}”` : ''}`;
}

/** Appends frames not seen yet (live frames can race the detail fetch), keeping seq order. */
export function mergeFrames(known: WsFrame[], incoming: WsFrame[]): WsFrame[] {
  const seen = new Set(known.map((f) => f.seq));
  const fresh = incoming.filter((f) => !seen.has(f.seq));
  if (fresh.length === 0) return known;
  return [...known, ...fresh].sort((a, b) => a.seq - b.seq);
}

/** A live batch's frames by the exchange they belong to, each list in the order recorded. */
export function framesByExchange(frames: readonly LiveFrame[]): Map<number, WsFrame[]> {
  const byExchange = new Map<number, WsFrame[]>();
  for (const { exchangeId, frame } of frames) {
    const list = byExchange.get(exchangeId) ?? [];
    list.push(frame);
    byExchange.set(exchangeId, list);
  }
  return byExchange;
}
