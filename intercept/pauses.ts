// Breakpoints: messages a rule with `break: true` holds (intercept/stage.ts) until someone
// decides what becomes of them (the inspector's Paused panel, POST /api/paused/:id), or
// their time runs out (--break-timeout) and they go on as they came, so no client is left
// hanging because a tab was closed. Each pause and how it ended is said on the terminal.

import { setTimeout as timer } from 'node:timers';
import { Refusal } from '../model/user-refusal.ts';
import { answerEchoing, notPaused, resumedText, type PauseAbort, type PausedMessageInput, type PausedView, type ResumedView, type WaitingView } from '../model/pauses.ts';
import type { RulePoint } from '../model/rules.ts';
import { countOf } from '../model/format.ts';
import { BASE64_RULE, isPaddedBase64 } from '../model/base64.ts';
import type { FrameDirection, JsonValue, MessageType } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { diffAll } from '../model/field-diff.ts';

/** What became of a paused message: it goes on (the very bytes that came, unless edited), the client is answered in its place, or it is aborted. */
export type PauseOutcome = { how: 'continue'; bytes: Uint8Array } | { how: 'answer'; bytes: Uint8Array } | { how: 'abort'; abort: PauseAbort };

/** The default of --break-timeout: long enough to edit a field, shorter than most clients wait. */
export const DEFAULT_BREAK_TIMEOUT_MS = 60_000;

export interface PausesOptions {
  /** How long a pause waits before it continues unchanged; 0: until someone decides. */
  timeoutMs: number;
  log: (line: string) => void;
}

/** What the stage knows of the message it pauses. */
export interface PauseInput {
  /** The proxy's flow it belongs to; the recording thread names its stored exchange (app/pause-mirror.ts). */
  flowId: number;
  point: RulePoint;
  rule: string;
  type: MessageType | null;
  bytes: Uint8Array;
  json: JsonValue | null;
  call: string;
  /** At a WebSocket: sends a frame as if `from` had sent it; false once the connection is closed. */
  inject?: (from: FrameDirection, data: Uint8Array) => boolean;
  /** At a WebSocket: the connection, whose later frames in the paused one's direction wait behind it. */
  connection?: object;
  /** Aborted when the client (or, at a WebSocket, either side) goes away: the pause ends, and nothing goes on. */
  gone?: AbortSignal;
}

/** A paused message as the proxy's thread knows it: by its flow, not yet by its stored exchange. */
export type HeldPause = Omit<PausedView, 'exchangeId'> & { flowId: number };

/** A pause, or the end of one, as the proxy's thread tells the recording thread. */
export type HeldEvent = { type: 'paused'; pause: HeldPause } | { type: 'waiting'; waiting: WaitingView } | { type: 'resumed'; resumed: ResumedView };

interface Held {
  view: HeldPause;
  input: PauseInput;
  settle: (outcome: PauseOutcome) => void;
  timer: NodeJS.Timeout | null;
  /** Stops listening for the client going away. */
  forget: () => void;
}

export class Pauses {
  private nextId = 1;
  private readonly held = new Map<number, Held>();
  private readonly listeners: ((event: HeldEvent) => void)[] = [];
  /** Paused frames whose count of frames waiting behind them changed since the last `waiting` events. */
  private readonly recounted = new Set<Held>();
  /** Why nothing pauses any more (the proxy is stopping, nothing can decide); null while pauses work. */
  private stoppedBecause: string | null = null;

  constructor(
    private readonly codec: Codec,
    private readonly options: PausesOptions,
  ) {}

  /** Holds the message until it is decided, its time runs out or its client goes away. */
  hold(input: PauseInput): Promise<PauseOutcome> {
    if (this.stoppedBecause !== null || input.gone?.aborted) return Promise.resolve({ how: 'continue', bytes: input.bytes });
    const id = this.nextId++;
    const { timeoutMs } = this.options;
    const now = Date.now();
    const view: HeldPause = {
      id,
      flowId: input.flowId,
      at: new Date(now).toISOString(),
      point: input.point,
      rule: input.rule,
      deadline: timeoutMs > 0 ? new Date(now + timeoutMs).toISOString() : null,
      call: input.call,
      message: { json: input.json, base64: Buffer.from(input.bytes).toString('base64') },
    };
    return new Promise<PauseOutcome>((resolve) => {
      const held: Held = { view, input, settle: resolve, timer: null, forget: () => undefined };
      const gone = input.gone;
      if (gone) {
        const ended = () => this.end(held, { how: 'continue', bytes: input.bytes }, { id, how: 'gone' });
        gone.addEventListener('abort', ended, { once: true });
        held.forget = () => gone.removeEventListener('abort', ended);
      }
      if (timeoutMs > 0) {
        held.timer = timer(() => this.end(held, { how: 'continue', bytes: input.bytes }, { id, how: 'timed out' }), timeoutMs);
        // A pause is not a reason to keep the process alive: the client's connection is.
        held.timer.unref();
      }
      this.held.set(id, held);
      const when = timeoutMs > 0 ? `continues by itself in ${duration(timeoutMs)}` : 'waits until it is decided (--break-timeout 0)';
      this.options.log(`paused #${id} ${input.call} at ${input.point} (rule "${input.rule}"); ${when}`);
      this.emit({ type: 'paused', pause: view });
    });
  }

  list(): HeldPause[] {
    return [...this.held.values()].map((h) => h.view);
  }

  /**
   * A frame arrived on `connection` from `direction` behind frames held there: each paused
   * one there has one more waiting behind it. Said in one `waiting` event per paused frame
   * per turn of the event loop, however many frames arrived in it.
   */
  queuedBehind(connection: object, direction: FrameDirection): void {
    const point: RulePoint = direction === 'client' ? 'ws:client' : 'ws:server';
    for (const held of this.held.values()) {
      if (held.input.connection !== connection || held.input.point !== point) continue;
      held.view.waiting = (held.view.waiting ?? 0) + 1;
      if (this.recounted.size === 0) setImmediate(() => this.sayRecounted());
      this.recounted.add(held);
    }
  }

  private sayRecounted(): void {
    const recounted = [...this.recounted];
    this.recounted.clear();
    for (const held of recounted) if (this.held.has(held.view.id)) this.emit({ type: 'waiting', waiting: { id: held.view.id, waiting: held.view.waiting ?? 0 } });
  }

  /**
   * From now on nothing pauses, and what is paused goes on as it came: the proxy is stopping,
   * or nothing is left that could decide. Said on the terminal when a paused message went on,
   * and otherwise only if `sayIfNonePaused`: a proxy stopping with nothing paused loses nothing
   * worth a line, while breakpoints dying mid-run are news to whoever arms one next.
   */
  stop(why: string, { sayIfNonePaused }: { sayIfNonePaused: boolean }): void {
    if (this.stoppedBecause !== null) return;
    this.stoppedBecause = why;
    const continued = this.continueAll();
    if (continued === 0 && !sayIfNonePaused) return;
    const went = continued === 0 ? '' : continued === 1 ? ', and the paused message went on as it came' : `, and the ${countOf(continued, 'paused message')} went on as they came`;
    this.options.log(`breakpoints: ${why}; nothing pauses any more${went}.`);
  }

  /** Decides a paused message (POST /api/paused/:id, a PauseDecision as the user sent it). Throws Refusal with a sentence saying what is wrong. */
  decide(id: number, decision: unknown): ResumedView {
    const { held, wrong } = this.paused(id);
    const { input } = held;
    if (typeof decision !== 'object' || decision === null) return wrong('expected { action: "continue" | "answer" | "abort", … }');
    const { action, message, abort } = decision as { action?: unknown; message?: unknown; abort?: unknown };
    if (message !== undefined && action === 'abort') return wrong('an abort takes no message');
    if (action === 'continue') {
      const edited = message === undefined ? input.bytes : this.bytesOf(message, input.type, input.bytes, wrong);
      // An edit that changed nothing goes on as the very bytes that came, so nothing is stored as changed.
      const unchanged = sameBytes(edited, input.bytes);
      const changed = unchanged ? 0 : this.changedFields(input, input.type, edited);
      return this.end(held, { how: 'continue', bytes: unchanged ? input.bytes : edited }, { id, how: 'continued', changed });
    }
    if (action === 'answer') {
      if (input.point !== 'request') wrong('only a paused request can be answered in place of the upstream; continue or abort it');
      const bytes = message === undefined ? this.emptyAnswer(input, wrong) : this.bytesOf(message, 'ServerResponse', null, wrong);
      return this.end(held, { how: 'answer', bytes }, { id, how: 'answered' });
    }
    if (action === 'abort') {
      const how = abortOf(abort, input.point, wrong);
      return this.end(held, { how: 'abort', abort: how }, { id, how: 'aborted', abort: how });
    }
    return wrong(`action must be "continue", "answer" or "abort", not ${JSON.stringify(action)}`);
  }

  /** Sends a frame on the WebSocket of a paused frame (POST /api/paused/:id/inject, a FrameInjection as sent); the frame stays paused. Throws Refusal. */
  inject(id: number, injection: unknown): void {
    const { held, wrong } = this.paused(id);
    const { input } = held;
    if (!input.inject) return wrong('only the WebSocket of a paused frame takes injected frames');
    if (typeof injection !== 'object' || injection === null) return wrong('expected { from: "client" | "server", message: { json } | { base64 } }');
    const { from, message } = injection as { from?: unknown; message?: unknown };
    if (from !== 'client' && from !== 'server') return wrong(`from must be "client" or "server", not ${JSON.stringify(from)}`);
    const bytes = this.bytesOf(message, from === 'server' ? 'WsEvent' : 'WsAuth', null, wrong);
    if (!input.inject(from, bytes)) throw new Refusal(`Paused message #${id}: its WebSocket has closed; nothing can be sent on it.`, 409);
    this.options.log(`#${id}: a frame injected as if the ${from} had sent it`);
  }

  /** Continues every paused message as it came (Continue all, and the proxy closing). */
  continueAll(): number {
    const all = [...this.held.values()];
    for (const held of all) this.end(held, { how: 'continue', bytes: held.input.bytes }, { id: held.view.id, how: 'continued', changed: 0 });
    return all.length;
  }

  onChange(listener: (event: HeldEvent) => void): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.held.size;
  }

  /** The paused message `id`, and how to refuse what is asked of it. Throws Refusal (404) when none is paused by that id. */
  private paused(id: number): { held: Held; wrong: (why: string) => never } {
    const held = this.held.get(id);
    if (!held) throw notPaused(id);
    const wrong = (why: string): never => {
      throw new Refusal(`Paused message #${id} (${held.input.call} at ${held.input.point}): ${why}.`, 400);
    };
    return { held, wrong };
  }

  private end(held: Held, outcome: PauseOutcome, resumed: ResumedView): ResumedView {
    if (!this.held.delete(held.view.id)) return resumed;
    if (held.timer) clearTimeout(held.timer);
    held.forget();
    this.recounted.delete(held);
    const { timeoutMs } = this.options;
    this.options.log(resumed.how === 'timed out' ? `#${resumed.id} continued unchanged: its ${duration(timeoutMs)} ran out` : resumedText(resumed));
    held.settle(outcome);
    this.emit({ type: 'resumed', resumed });
    return resumed;
  }

  private bytesOf(message: unknown, type: MessageType | null, original: Uint8Array | null, wrong: (why: string) => never): Uint8Array {
    if (typeof message !== 'object' || message === null) return wrong('message must be { json } or { base64 }');
    const given = message as Partial<{ json: JsonValue; base64: unknown }>;
    if ('base64' in given) {
      if (!isPaddedBase64(given.base64)) wrong(`message.base64 is not base64 text (${BASE64_RULE})`);
      return new Uint8Array(Buffer.from(given.base64 as string, 'base64'));
    }
    if (!('json' in given)) return wrong('message must be { json } or { base64 }');
    if (type === null) return wrong('this message is not protobuf the schema can encode; give its bytes as { base64 }');
    try {
      return this.codec.encode(type, (given as { json: JsonValue }).json, original ?? undefined);
    } catch (err) {
      return wrong(`the message does not fit ${type}: ${(err as Error).message}`);
    }
  }

  /** An empty ServerResponse echoing the request's trx. */
  private emptyAnswer(input: PauseInput, wrong: (why: string) => never): Uint8Array {
    return this.bytesOf({ json: answerEchoing(input.json) } satisfies PausedMessageInput, 'ServerResponse', null, wrong);
  }

  private changedFields(input: PauseInput, type: MessageType | null, bytes: Uint8Array): number {
    if (type === null || input.json === null) return sameBytes(bytes, input.bytes) ? 0 : 1;
    return diffAll(input.json, this.codec.decode(type, bytes).json).length;
  }

  private emit(event: HeldEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function abortOf(value: unknown, point: RulePoint, wrong: (why: string) => never): PauseAbort {
  const ws = point === 'ws:client' || point === 'ws:server';
  if (typeof value !== 'object' || value === null) return wrong('abort must be { reset: true }, { timeout: true }, { status } or { close, reason? }');
  const given = value as Record<string, unknown>;
  if (given.reset === true) return { reset: true };
  if (given.timeout === true) {
    if (ws) wrong('a WebSocket frame cannot be left unanswered; reset or close the connection');
    return { timeout: true };
  }
  if ('status' in given) {
    const status = given.status;
    if (ws) wrong('a WebSocket frame has no status; reset or close the connection');
    // 1xx is no answer: the client would wait on, or fail on the protocol.
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) wrong('abort.status must be an HTTP status from 200 to 599');
    return { status: status as number };
  }
  if ('close' in given) {
    const code = given.close;
    if (!ws) wrong('close ends a WebSocket; an HTTP exchange can be reset, left unanswered or answered with a status');
    if (!Number.isInteger(code) || ((code as number) !== 1000 && ((code as number) < 3000 || (code as number) > 4999))) wrong('abort.close must be 1000 or a code from 3000 to 4999');
    const reason = given.reason ?? '';
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) wrong('abort.reason must be text of at most 123 bytes');
    return { close: code as number, reason: reason as string };
  }
  return wrong('abort must be { reset: true }, { timeout: true }, { status } or { close, reason? }');
}

/** "60 s", "1.5 s", "200 ms". */
function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
