// What the inspector and scripts see of breakpoints (intercept/pauses.ts): the REST shapes
// of GET /api/paused and POST /api/paused/:id, and the live `paused` and `resumed`
// events. No Node imports: the browser's Paused panel uses these types.

import type { JsonObject, JsonValue } from './types.ts';
import { Refusal } from './user-refusal.ts';
import type { RulePoint } from './rules.ts';
import { countOf } from './format.ts';

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
  /** gone: its client (or either side of its WebSocket) went away while it was paused, so nothing went on. */
  how: 'continued' | 'answered' | 'aborted' | 'timed out' | 'gone';
  /** Fields changed by the edit, for `continued` and `answered`. */
  changed?: number;
  /** How it was aborted, for `aborted`. */
  abort?: PauseAbort;
}

/** A paused message, its count of frames waiting behind it, or its end, as the live stream carries them. */
export type PauseEvent =
  | { type: 'paused'; pause: PausedView }
  | { type: 'waiting'; waiting: WaitingView }
  | { type: 'resumed'; resumed: ResumedView };

/** The live `waiting` event: frames from the same side now held behind paused frame `id`. */
export interface WaitingView {
  id: number;
  waiting: number;
}

/** An empty ServerResponse echoing the request's trx: where an Answer starts, and what a rule's answer is given unless it names a trx. */
export function answerEchoing(request: JsonValue | null): JsonObject {
  const trx = request !== null && typeof request === 'object' && !Array.isArray(request) ? request.trx : undefined;
  return trx === undefined ? {} : { trx };
}

/** The refusal of a decision on a message that is not paused (any more): 404. */
export function notPaused(id: number): Refusal {
  return new Refusal(`No message #${id} is paused: it went on already, or never paused. GET /api/paused lists those that are.`, 404);
}

/** How a pause ended, for the terminal and the inspector's toast: "#12 continued with 1 field changed". */
export function resumedText(resumed: ResumedView): string {
  const id = `#${resumed.id}`;
  switch (resumed.how) {
    case 'continued':
      return resumed.changed ? `${id} continued with ${countOf(resumed.changed, 'field')} changed` : `${id} continued unchanged`;
    case 'answered':
      return `${id} answered without going upstream`;
    case 'timed out':
      return `${id} continued unchanged: its time ran out`;
    case 'gone':
      return `${id} ended: its client or connection went away while it was paused, so nothing went on`;
    case 'aborted': {
      const abort = resumed.abort;
      if (!abort) return `${id} aborted`;
      if ('reset' in abort) return `${id} aborted: the client's connection was reset`;
      if ('timeout' in abort) return `${id} aborted: left unanswered`;
      if ('status' in abort) return `${id} aborted: answered with status ${abort.status}`;
      return `${id} aborted: closed with ${abort.close}${abort.reason ? ` "${abort.reason}"` : ''}`;
    }
  }
}

/** What the inspector's server asks of the breakpoints (GET /api/paused, POST /api/paused/:id). */
export interface PauseControl {
  list(): PausedView[];
  /** Carries out a decision (a PauseDecision as sent); rejects with a Refusal (model/user-refusal.ts). */
  decide(id: number, decision: unknown): Promise<ResumedView>;
  /** Sends a frame (a FrameInjection as sent) on a paused frame's WebSocket, which stays paused; rejects with a Refusal. */
  inject(id: number, injection: unknown): Promise<void>;
  onChange(listener: (event: PauseEvent) => void): void;
}
