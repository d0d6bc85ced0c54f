// The Paused panel and breakpoints without the DOM: the paused list kept from GET
// /api/paused and the live events, the countdown, what each point's message is, the
// draft an Answer starts from, the abort a form describes, and the names of the
// breakpoints armed from the inspector.

import { answerEchoing, type PauseAbort, type PausedView, type WaitingView } from '../../../model/pauses.ts';
import type { RulePoint } from '../../../model/rules.ts';
import type { JsonValue, MessageType } from '../../../model/types.ts';
import { quoteIfNeeded } from './filter-edit.ts';

/** What the live events said since the stream connected, for GET /api/paused's answer to be read against. */
export interface PausesSince {
  paused: Map<number, PausedView>;
  resumed: Set<number>;
}

/** The paused list: GET /api/paused's answer, with what paused since it was asked for and without what went on; oldest first. */
export function mergePaused(listed: readonly PausedView[], since: PausesSince): PausedView[] {
  const byId = new Map(listed.map((pause) => [pause.id, pause]));
  for (const [id, pause] of since.paused) byId.set(id, pause);
  for (const id of since.resumed) byId.delete(id);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function withPaused(list: readonly PausedView[], pause: PausedView): PausedView[] {
  return [...list.filter((p) => p.id !== pause.id), pause].sort((a, b) => a.id - b.id);
}

/** The list with paused frame `id`'s count of frames waiting behind it brought up to date. */
export function withWaiting(list: readonly PausedView[], { id, waiting }: WaitingView): PausedView[] {
  return list.map((p) => (p.id === id ? { ...p, waiting } : p));
}

export function withoutPaused(list: readonly PausedView[], id: number): PausedView[] {
  return list.filter((p) => p.id !== id);
}

/** "continues by itself in 42 s", or for --break-timeout 0 "waits until decided". */
export function countdown(deadline: string | null, nowMs: number): string {
  if (deadline === null) return 'waits until decided';
  const left = Math.ceil((Date.parse(deadline) - nowMs) / 1000);
  if (left <= 0) return 'continuing unchanged…';
  const minutes = Math.floor(left / 60);
  return `continues by itself in ${minutes > 0 ? `${minutes} min ${left % 60} s` : `${left} s`}`;
}

/** What a frame decodes as by its sender, as the proxy decodes (and encodes an injected one). */
export const frameDecodedAs: Record<'client' | 'server', MessageType> = { client: 'WsAuth', server: 'WsEvent' };

/** What the paused message is, for the editor's label and its problems. */
export function pausedMessage(point: RulePoint): { noun: string; decoded: MessageType } {
  if (point === 'request') return { noun: 'request', decoded: 'ClientRequest' };
  if (point === 'response') return { noun: 'response', decoded: 'ServerResponse' };
  return { noun: 'frame', decoded: frameDecodedAs[point === 'ws:client' ? 'client' : 'server'] };
}

export function isWsPoint(point: RulePoint): boolean {
  return point === 'ws:client' || point === 'ws:server';
}

/** Where an Answer starts: an empty ServerResponse echoing the paused request's trx, as the proxy's default answer does. */
export function answerDraft(request: JsonValue | null): string {
  return JSON.stringify(answerEchoing(request), null, 2);
}

export type AbortKind = 'reset' | 'timeout' | 'status' | 'close';

/** The ways to abort a message at this point, with their words. */
export function abortKinds(point: RulePoint): { kind: AbortKind; label: string }[] {
  if (isWsPoint(point)) return [{ kind: 'reset', label: 'reset the connection' }, { kind: 'close', label: 'close with a code' }];
  return [{ kind: 'reset', label: 'reset the connection' }, { kind: 'timeout', label: 'leave unanswered' }, { kind: 'status', label: 'answer with a status' }];
}

/** The abort the form describes; numbers go as typed, and the proxy says what is wrong with one. */
export function abortOf(kind: AbortKind, form: { status: string; code: string; reason: string }): PauseAbort {
  if (kind === 'reset') return { reset: true };
  if (kind === 'timeout') return { timeout: true };
  if (kind === 'status') return { status: Number(form.status) };
  return form.reason ? { close: Number(form.code), reason: form.reason } : { close: Number(form.code) };
}

/** A breakpoint rule as POST /api/rules takes it, named for what it does: "break on service:auth op:login at request". */
export function breakpointRule(match: string, at: RulePoint): { name: string; at: RulePoint; match: string; break: true } {
  const filter = match.trim().replace(/\s+/g, ' ');
  return { name: `break on ${filter || 'every message'} at ${at}`, at, match: filter, break: true };
}

/** The filter key b arms a breakpoint on: the call's service and operation; null for an exchange that names no call. */
export function callMatch(head: { service: string | null; operation: string | null }): string | null {
  if (!head.service) return null;
  const service = `service:${quoteIfNeeded(head.service)}`;
  return head.operation ? `${service} op:${quoteIfNeeded(head.operation)}` : service;
}
