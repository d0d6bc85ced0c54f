// What the inspector and scripts see of breakpoints (intercept/pauses.ts): the REST shapes
// of GET /api/paused and POST /api/paused/:id, and the live `paused` and `resumed`
// events. No Node imports: the browser's Paused panel uses these types.

import type { JsonValue } from './types.ts';
import type { RulePoint } from './rules.ts';

/** A message as the user may give it back: decoded JSON (encoded over the paused bytes) or the raw bytes. */
export type PausedMessageInput = { json: JsonValue } | { base64: string };

/** How an aborted message ends: the client's connection reset, left unanswered (HTTP), an HTTP status, or a WebSocket close. */
export type PauseAbort = { reset: true } | { timeout: true } | { status: number } | { close: number; reason?: string };

/** The body of POST /api/paused/:id. */
export type PauseDecision =
  /** Go on: as it came, or as edited. */
  | { action: 'continue'; message?: PausedMessageInput }
  /** At a request: answer the client with this ServerResponse (default: an empty one with the trx echoed), never going upstream. */
  | { action: 'answer'; message?: PausedMessageInput }
  | { action: 'abort'; abort: PauseAbort };

/** The body of POST /api/paused/:id/inject: a frame sent on the paused frame's WebSocket now, as if `from` had sent it. */
export interface FrameInjection {
  from: 'client' | 'server';
  message: PausedMessageInput;
}

/** One paused message, as GET /api/paused lists it and the `paused` event carries it (again, with `waiting`, as frames queue behind it). */
export interface PausedView {
  id: number;
  /** The recorded exchange (or WebSocket) it belongs to; null when the recording has not stored it (it fell behind, or stopped). */
  exchangeId: number | null;
  /** When it paused (ISO 8601). */
  at: string;
  point: RulePoint;
  /** The rule that paused it. */
  rule: string;
  /** When it continues by itself (ISO 8601); null with --break-timeout 0. */
  deadline: string | null;
  /** "auth.login", or the method and path where the message names no call. */
  call: string;
  message: { json: JsonValue | null; base64: string };
  /** At a WebSocket: frames in the same direction waiting behind this one. */
  waiting?: number;
}

/** How a pause ended, as the `resumed` event says it. */
export interface ResumedView {
  id: number;
  how: 'continued' | 'answered' | 'aborted' | 'timed out';
  /** Fields changed by the edit, for `continued` and `answered`. */
  changed?: number;
}

/** A paused message, or the end of one, as the live stream carries it. */
export type PauseEvent = { type: 'paused'; pause: PausedView } | { type: 'resumed'; resumed: ResumedView };

/** What the inspector's server asks of the breakpoints (GET /api/paused, POST /api/paused/:id). */
export interface PauseControl {
  list(): PausedView[];
  /** Carries out a decision (a PauseDecision as sent); rejects with a Refusal (model/user-refusal.ts). */
  decide(id: number, decision: unknown): Promise<ResumedView>;
  /** Sends a frame (a FrameInjection as sent) on a paused frame's WebSocket, which stays paused; rejects with a Refusal. */
  inject(id: number, injection: unknown): Promise<void>;
  onChange(listener: (event: PauseEvent) => void): void;
}
