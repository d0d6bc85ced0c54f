// The interception stage (proxy/intercept.ts) made of the loaded rules: it tells the
// forwarding path which exchanges to hold, and decides each held message. A message is
// tested against each rule at its point in file order, on its envelope's summary unless a
// rule needs more (intercept/rule-needs.ts); a rule that acts on it has it decoded with
// the loaded schema, edited as decoded JSON, and encoded back over its own bytes, so
// unknown and untouched fields keep theirs. A message no rule changed goes on as the very
// bytes that came.

import { setTimeout as sleep } from 'node:timers/promises';
import { deleteAt, setAt } from '../model/field-path.ts';
import { matches, type MatchContext } from '../model/filter-match.ts';
import type { DecodeResult, ExchangeSummary, FrameDirection, HeaderList, JsonObject, JsonValue, MessageSummary, MessageType } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { sameJson } from '../proto/original-bytes.ts';
import { execFactsOf, frameType, requestType, responseType, summaryFacts } from '../proto/exchange-facts.ts';
import type { Decided, FrameVerdict, InterceptHead, InterceptStage, RequestVerdict, ResponseVerdict, StagePoint } from '../proxy/intercept.ts';
import type { RulePoint } from '../model/rules.ts';
import { answerEchoing } from '../model/pauses.ts';
import { noFacts, type FlowFacts } from '../model/flow.ts';
import { couldMatch } from './could-match.ts';
import { rewrites } from './rule.ts';
import { anyNeedsDecoded, needsDecoded } from './rule-needs.ts';
import type { PauseOutcome, Pauses } from './pauses.ts';
import { operationLabel } from '../model/format.ts';
import type { LiveRule, RuleSet } from './rule-set.ts';

const PROTOBUF = 'application/x-protobuf';

export class RuleStage implements InterceptStage {
  /** The request of each held exchange, looked at once for every point: the request, the response's head and the response all read it. */
  private readonly requests = new WeakMap<InterceptHead, Message>();
  /** Points at which the stage failed, each said once. */
  private readonly failures = new Set<StagePoint>();

  constructor(
    private readonly rules: RuleSet,
    private readonly codec: Codec,
    private readonly log: (line: string) => void,
    /** Where rules with `break: true` hold messages; without it, those rules only do their other actions. */
    private readonly pauses: Pauses | null = null,
  ) {}

  get armed(): { http: boolean; ws: boolean } {
    return this.rules.armed;
  }

  wantsResponse(head: InterceptHead, request: Uint8Array, status: number): boolean {
    const rules = this.rules.at('response');
    if (rules.some((r) => r.spec.filter === null)) return true;
    const facts = this.requestFacts(head, this.requestOf(head, request), anyNeedsDecoded(rules));
    const summary = summaryAt(head, facts, status);
    return rules.some((r) => couldMatch(r.spec.filter, summary, 'status'));
  }

  private requestOf(head: InterceptHead, body: Uint8Array): Message {
    const known = this.requests.get(head);
    if (known && known.bytes === body) return known;
    const message = new Message(this.codec, requestType(head.kind), body);
    this.requests.set(head, message);
    return message;
  }

  /** The request's facts: from its summary, or, for rules that need more, from it decoded. */
  private requestFacts(head: InterceptHead, request: Message, whole: boolean): FlowFacts {
    if (!whole) return summaryFacts(request.summary(), null);
    const decoded = request.decoded();
    return decoded ? execFactsOf(head.headers, null, decoded, null) : noFacts();
  }

  holds(head: InterceptHead): { request: boolean; response: boolean } {
    if (head.kind === 'ws') return { request: false, response: false };
    const summary = summaryAt(head, noFacts(), null);
    const could = (point: RulePoint) => this.rules.at(point).some((r) => couldMatch(r.spec.filter, summary));
    return { request: could('request'), response: could('response') };
  }

  async request(head: InterceptHead, body: Uint8Array): Promise<Decided<RequestVerdict>> {
    const rules = this.rules.at('request');
    const message = this.requestOf(head, body);
    const summary = summaryAt(head, this.requestFacts(head, message, anyNeedsDecoded(rules)), null);
    const edit = new Edit(this.codec, message, this.problemOf);
    const acted: string[] = [];
    let delayMs = 0;
    for (const rule of rules) {
      if (!this.matched(rule, summary, message, head)) continue;
      acted.push(rule.spec.name);
      edit.apply(rule);
      delayMs += rule.spec.delayMs;
      const { respond, fail } = rule.spec;
      if (fail?.how === 'reset' || fail?.how === 'timeout') return this.after(delayMs, { verdict: { action: 'fail', how: fail.how }, rules: acted });
      if (respond !== null) {
        const answer = this.answer(rule, respond, message.json());
        if (answer !== null) return this.after(delayMs, { verdict: answer, rules: acted });
      }
      if (rule.spec.break && this.pauses) {
        const { outcome, atBreakpoint } = await this.pause(rule, head, summary, message.type, edit.bytes(), delayMs);
        return { verdict: requestVerdictOf(outcome), rules: acted, atBreakpoint };
      }
    }
    return this.after(delayMs, { verdict: { action: 'forward', body: edit.bytes() }, rules: acted });
  }

  async response(head: InterceptHead, request: Uint8Array, status: number, headers: HeaderList, body: Uint8Array): Promise<Decided<ResponseVerdict>> {
    const rules = this.rules.at('response');
    const message = new Message(this.codec, responseType(head.kind, headers, body), body);
    // Rules that match every response need nothing of the request.
    const filtered = rules.some((r) => r.spec.filter !== null);
    const summary = summaryAt(head, filtered ? this.responseFacts(head, this.requestOf(head, request), message, status, anyNeedsDecoded(rules)) : noFacts(), status);
    const edit = new Edit(this.codec, message, this.problemOf);
    const acted: string[] = [];
    let delayMs = 0;
    let answerStatus = status;
    for (const rule of rules) {
      if (!this.matched(rule, summary, message, head)) continue;
      acted.push(rule.spec.name);
      edit.apply(rule);
      if (rule.spec.status !== null) answerStatus = rule.spec.status;
      delayMs += rule.spec.delayMs;
      const { fail } = rule.spec;
      if (fail?.how === 'reset' || fail?.how === 'timeout') return this.after(delayMs, { verdict: { action: 'fail', how: fail.how }, rules: acted });
      if (rule.spec.break && this.pauses) {
        const { outcome, atBreakpoint } = await this.pause(rule, head, summary, message.type, edit.bytes(), delayMs);
        return { verdict: responseVerdictOf(outcome, answerStatus), rules: acted, atBreakpoint };
      }
    }
    const bytes = edit.bytes();
    return this.after(delayMs, { verdict: { action: 'forward', status: answerStatus, body: bytes }, rules: acted });
  }

  /** The exchange's facts once its answer is here: from the two summaries, or, for rules that need more, from both decoded. */
  private responseFacts(head: InterceptHead, request: Message, response: Message, status: number, whole: boolean): FlowFacts {
    if (!whole) return summaryFacts(request.summary(), response.summary());
    const decoded = request.decoded();
    return decoded ? execFactsOf(head.headers, status, decoded, response.decoded()) : noFacts();
  }

  frame(head: InterceptHead, direction: FrameDirection, opcode: number, data: Uint8Array): FrameVerdict | Promise<FrameVerdict> {
    const rules = this.rules.at(direction === 'client' ? 'ws:client' : 'ws:server');
    const unchanged: FrameVerdict = { send: data, inject: [], end: null, rule: null };
    if (rules.length === 0) return unchanged;
    const type = frameType(direction, opcode);
    const message = new Message(this.codec, type, data);
    const brief = message.summary();
    const facts = noFacts();
    if (brief?.service) facts.service = brief.service;
    if (brief?.operation) facts.operation = brief.operation;
    if (brief) facts.errors = brief.errors;
    const summary = summaryAt(head, facts, 101);
    const context = { frameDirections: new Set([direction]) };
    const edit = new Edit(this.codec, message, this.problemOf);
    const verdict: FrameVerdict = { ...unchanged };
    let delayMs = 0;
    for (const rule of rules) {
      if (!this.matched(rule, summary, message, head, context)) continue;
      verdict.rule ??= rule.spec.name;
      edit.apply(rule);
      delayMs += rule.spec.delayMs;
      for (const frame of rule.spec.inject) {
        const bytes = this.encodeWhole(rule, type, frame);
        if (bytes !== null) verdict.inject.push(bytes);
      }
      if (rule.spec.drop) verdict.send = null;
      const { fail } = rule.spec;
      if (fail?.how === 'reset') verdict.end = 'reset';
      else if (fail?.how === 'close') verdict.end = { code: fail.code, reason: fail.reason };
      if (verdict.end !== null) break;
      if (rule.spec.break && this.pauses) {
        const paused = this.pause(rule, head, summary, type, edit.bytes(), delayMs, direction === 'client' ? 'ws:client' : 'ws:server');
        return paused.then(({ outcome, atBreakpoint }) => ({ ...frameVerdictOf(outcome, verdict), atBreakpoint }));
      }
    }
    if (verdict.send !== null) verdict.send = edit.bytes();
    return delayMs > 0 ? sleep(delayMs).then(() => verdict) : verdict;
  }

  queued(head: InterceptHead, direction: FrameDirection): void {
    this.pauses?.queuedBehind(head, direction);
  }

  /**
   * Holds the message, as the rules so far left it, at a breakpoint; what delays the rules
   * asked for pass first. Says whether what goes on was written there: an answer, or an
   * edit (unedited, the paused bytes go on as the very same array).
   */
  private async pause(rule: LiveRule, head: InterceptHead, summary: ExchangeSummary, type: MessageType | null, bytes: Uint8Array, delayMs: number, point = rule.spec.at): Promise<{ outcome: PauseOutcome; atBreakpoint: boolean }> {
    if (delayMs > 0) await sleep(delayMs);
    const outcome = await this.pauses!.hold({
      flowId: head.flowId,
      point,
      rule: rule.spec.name,
      type,
      bytes,
      json: type === null ? null : this.codec.decode(type, bytes).json,
      call: operationLabel(summary) ?? `${head.method} ${head.path}`,
      ...(head.inject && { inject: (from: FrameDirection, data: Uint8Array) => head.inject!(from, data, rule.spec.name), connection: head }),
      ...(head.gone && { gone: head.gone }),
    });
    return { outcome, atBreakpoint: outcome.how === 'answer' || (outcome.how === 'continue' && outcome.bytes !== bytes) };
  }

  failed(point: StagePoint, err: unknown): void {
    if (this.failures.has(point)) return;
    this.failures.add(point);
    const why = err instanceof Error ? err.message : String(err);
    this.log(`rules: deciding at ${point} failed, so messages there go on as if no rule were loaded (this is a bug; traffic still flows): ${why}`);
  }

  /** Whether the rule matches the message at hand and acts on it this time (times, probability); says a rule's first hit. */
  private matched(rule: LiveRule, summary: ExchangeSummary, message: Message, head: InterceptHead, extra: MatchContext = {}): boolean {
    const json = needsDecoded(rule) ? message.json() : null;
    const context: MatchContext = { ...extra, messages: json === null ? [] : [json] };
    if (!matches(rule.spec.filter, summary, context)) return false;
    const taken = this.rules.take(rule);
    if (taken === 'no') return false;
    if (taken === 'first') this.log(`rules: "${rule.spec.name}" acted for the first time, on ${describe(head, summary)}`);
    return true;
  }

  /** A request rule's answer: its ServerResponse, the trx the client sent echoed unless the rule gives one. */
  private answer(rule: LiveRule, respond: JsonObject, request: JsonValue | null): RequestVerdict | null {
    const json: JsonObject = { ...answerEchoing(request), ...structuredClone(respond) };
    const body = this.encodeWhole(rule, 'ServerResponse', json);
    if (body === null) return null;
    return { action: 'respond', status: rule.spec.status ?? 200, headers: [['Content-Type', PROTOBUF], ['Content-Length', String(body.byteLength)]], body };
  }

  private encodeWhole(rule: LiveRule, type: MessageType | null, json: JsonObject): Uint8Array | null {
    if (type === null) {
      this.problemOf(rule, 'the message is not protobuf the schema can encode');
      return null;
    }
    try {
      return this.codec.encode(type, json);
    } catch (err) {
      this.problemOf(rule, (err as Error).message);
      return null;
    }
  }

  private readonly problemOf = (rule: LiveRule, problem: string): void => {
    const sentence = `rule "${rule.spec.name}" could not act: ${problem}; the message went on unchanged`;
    if (rule.error !== sentence) this.log(`rules: ${sentence}.`);
    this.rules.problem(rule, sentence);
  };

  private after<T>(delayMs: number, value: T): Promise<T> | T {
    return delayMs > 0 ? sleep(delayMs).then(() => value) : value;
  }
}

/**
 * A message the rules look at: its envelope's summary, scanned when first asked for, and
 * the message decoded whole only when a rule needs it (a term the summary cannot answer,
 * an edit, an answer echoing its trx).
 */
class Message {
  private whole: DecodeResult | null | undefined;
  private brief: MessageSummary | null | undefined;

  constructor(
    private readonly codec: Codec,
    readonly type: MessageType | null,
    readonly bytes: Uint8Array,
  ) {}

  summary(): MessageSummary | null {
    if (this.brief === undefined) this.brief = this.type === null ? null : (this.whole?.summary ?? this.codec.summarize(this.type, this.bytes));
    return this.brief;
  }

  decoded(): DecodeResult | null {
    if (this.whole === undefined) this.whole = this.type === null ? null : this.codec.decode(this.type, this.bytes);
    return this.whole;
  }

  json(): JsonValue | null {
    return this.decoded()?.json ?? null;
  }
}

/**
 * One message's edits as decoded JSON, the rules' set, delete and replace in turn, then
 * encoded once over the message's own bytes. Without a change the message's own bytes
 * are the answer, so an untouched message is relayed as it came.
 */
class Edit {
  private json: JsonValue | null = null;
  private last: LiveRule | null = null;

  constructor(
    private readonly codec: Codec,
    private readonly message: Message,
    private readonly problem: (rule: LiveRule, problem: string) => void,
  ) {}

  apply(rule: LiveRule): void {
    if (!rewrites(rule.spec)) return;
    const decoded = this.message.json();
    if (decoded === null) {
      this.problem(rule, 'the message does not decode as protobuf');
      return;
    }
    // Copied at the first rule that edits: most held messages are matched by none.
    this.json ??= structuredClone(decoded);
    this.last = rule;
    for (const { text, path, value } of rule.spec.set) {
      const why = setAt(this.json!, path, value);
      if (why !== null) this.problem(rule, `set ${text}: the path ${why}`);
    }
    for (const { path } of rule.spec.delete) deleteAt(this.json!, path);
    if (rule.spec.replace !== null) this.json = structuredClone(rule.spec.replace);
  }

  bytes(): Uint8Array {
    const { type, bytes: original } = this.message;
    if (this.last === null || this.json === null || type === null || sameJson(this.json, this.message.json()!)) return original;
    try {
      return this.codec.encode(type, this.json, original);
    } catch (err) {
      this.problem(this.last, (err as Error).message);
      return original;
    }
  }
}

function requestVerdictOf(outcome: PauseOutcome): RequestVerdict {
  if (outcome.how === 'continue') return { action: 'forward', body: outcome.bytes };
  if (outcome.how === 'answer') return { action: 'respond', status: 200, headers: protobufHeaders(outcome.bytes), body: outcome.bytes };
  const { abort } = outcome;
  // An empty body with its status only: it is no ServerResponse, so it claims no type.
  if ('status' in abort) return { action: 'respond', status: abort.status, headers: [['Content-Length', '0']], body: new Uint8Array(0) };
  return { action: 'fail', how: 'timeout' in abort ? 'timeout' : 'reset' };
}

function responseVerdictOf(outcome: PauseOutcome, status: number): ResponseVerdict {
  if (outcome.how === 'continue' || outcome.how === 'answer') return { action: 'forward', status, body: outcome.bytes };
  const { abort } = outcome;
  if ('status' in abort) return { action: 'forward', status: abort.status, body: new Uint8Array(0) };
  return { action: 'fail', how: 'timeout' in abort ? 'timeout' : 'reset' };
}

function frameVerdictOf(outcome: PauseOutcome, verdict: FrameVerdict): FrameVerdict {
  if (outcome.how !== 'abort') return { ...verdict, send: outcome.bytes };
  const { abort } = outcome;
  if ('close' in abort) return { ...verdict, send: null, end: { code: abort.close, reason: abort.reason ?? '' } };
  return { ...verdict, send: null, end: 'reset' };
}

function protobufHeaders(body: Uint8Array): HeaderList {
  return [
    ['Content-Type', PROTOBUF],
    ['Content-Length', String(body.byteLength)],
  ];
}

function summaryAt(head: InterceptHead, facts: FlowFacts, status: number | null): ExchangeSummary {
  return {
    id: 0,
    kind: head.kind,
    startedAt: '',
    durationMs: null,
    method: head.method,
    path: head.path,
    status,
    service: facts.service,
    operation: facts.operation,
    trx: facts.trx,
    errors: facts.errors,
    requestSize: 0,
    responseSize: 0,
    frames: 0,
    problems: facts.problems,
    state: 'pending',
    token: facts.token,
    replayOf: null,
    rules: [],
  };
}

function describe(head: InterceptHead, summary: ExchangeSummary): string {
  const call = summary.service ? ` ${summary.service}${summary.operation ? `.${summary.operation}` : ''}` : '';
  return `${head.method} ${head.path}${call}`;
}
