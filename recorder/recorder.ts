// The recorder: a tap listener that works out each exchange's summary facts with the
// codec (one decode of each envelope, no spans) and the protocol checks, hands the bytes
// and facts to storage and tells its own listeners (live stream, terminal printer) what
// it recorded.

import type { ExchangeSummary } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { execFacts, WsFacts, type ExecInput } from '../proto/exchange-facts.ts';
import type { TapListener, TappedClose, TappedFlow, TappedFrame } from '../proxy/tap.ts';
import { interruptedError, type OpenFlowRow, type Store } from '../storage/store.ts';
import { noFrames, type FrameTotals } from '../storage/rows.ts';
import { countFrame, summaryOf, viewFrame } from '../storage/views.ts';
import type { RecorderListener } from '../model/recorder-listener.ts';
import type { TapCall } from './tap-codec.ts';
import type { Flow, FlowFacts, FlowHead, FlowSource, StoredFrame } from '../model/flow.ts';

/** Where the recorder puts what it records: the store, or what summarises a journal in place (recorder/journal-view.ts). */
export type RecordSink = Pick<Store, 'allocateExchangeId' | 'putExchange' | 'putFrame'>;

interface OpenExchange {
  record: FlowHead;
  source: FlowSource;
  /** Whether storage has a row for it yet. */
  stored: boolean;
  ws?: WsFacts;
  frames: FrameTotals;
}

/**
 * Most exchanges end within milliseconds; writing their pending row too would double the
 * SQLite work. The live stream shows pending rows at once; storage gets one only for an
 * exchange still running after this long.
 */
const PENDING_ROW_DELAY_MS = 1_000;

export class Recorder implements TapListener {
  private readonly open = new Map<number, OpenExchange>();

  private readonly sweep: NodeJS.Timeout;
  /** While a journal row is replayed: the ids it reserved for the exchanges it begins. */
  private reserved: { next: number; end: number } | null = null;
  /** While calls the listeners were already told of are replayed (recorder/live-calls.ts). */
  private silent = false;

  constructor(
    readonly codec: Codec,
    private readonly store: RecordSink,
    /** How an /exec exchange's facts are worked out: in full, but for a journal walk that only needs its envelopes' summaries (recorder/journal-view.ts). */
    private readonly execFactsOf: (codec: Codec, input: ExecInput) => FlowFacts = execFacts,
    /** Who is told what it records; a recorder that summarises calls for the same watchers shares them. */
    readonly listeners: RecorderListener[] = [],
  ) {
    this.sweep = setInterval(() => this.storeLongRunning(Date.now()), PENDING_ROW_DELAY_MS / 2);
    this.sweep.unref();
  }

  /** Stops the background write of long-running exchanges; the store is the caller's to close. */
  stop(): void {
    clearInterval(this.sweep);
  }

  addListener(listener: RecorderListener): void {
    this.listeners.push(listener);
  }

  removeListener(listener: RecorderListener): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  requestStarted(flow: TappedFlow): void {
    const entry = this.newEntry(flow);
    this.open.set(flow.id, entry);
    this.announce(entry.record);
  }

  /**
   * Runs `replay` (a journal row's calls) with the exchanges it begins given the ids the
   * row reserved, `first` on, `count` of them. Should it begin more (a row the recorder reads
   * otherwise than its writer did), those take new ids rather than another row's.
   */
  withReservedIds(first: number, count: number, replay: () => void): void {
    this.reserved = { next: first, end: first + count };
    try {
      replay();
    } finally {
      this.reserved = null;
    }
  }

  /** Runs `replay` without telling the listeners: they were told of these calls as they were journaled. */
  silently(replay: () => void): void {
    this.silent = true;
    try {
      replay();
    } finally {
      this.silent = false;
    }
  }

  /**
   * Takes up a flow a journal row goes on with, begun before the calls replayed now, under
   * the id it was given: its end says all its head says (recorder/journal-view.ts).
   */
  resume(flow: TappedFlow, exchangeId: number): void {
    if (this.open.has(flow.id)) return;
    const entry = this.newEntry(flow, exchangeId);
    entry.stored = true;
    this.open.set(flow.id, entry);
  }

  /** Passes over the next id the row reserved: that of an exchange a journal walk leaves out unreplayed (recorder/journal-view.ts). */
  skipReservedId(): void {
    if (this.reserved !== null && this.reserved.next < this.reserved.end) this.reserved.next++;
  }

  private nextId(): number {
    const reserved = this.reserved;
    return reserved !== null && reserved.next < reserved.end ? reserved.next++ : this.store.allocateExchangeId();
  }

  private newEntry(flow: TappedFlow, id = this.nextId()): OpenExchange {
    const record: FlowHead = {
      id,
      kind: flow.kind,
      startedAt: flow.startedAt,
      endedAt: null,
      clientAddress: flow.clientAddress,
      request: flow.request,
      response: null,
      error: null,
      state: 'pending',
      // noFacts(), written out: a spread in the literal cost more than the rest of it.
      service: null,
      operation: null,
      trx: null,
      errors: [],
      token: null,
      problems: [],
      close: null,
      replayOf: flow.replayOf ?? null,
    };
    return { record, source: flow.source, stored: false, ws: flow.kind === 'ws' ? new WsFacts(this.codec) : undefined, frames: { ...noFrames } };
  }

  /**
   * Which exchange row each open flow has, storing one now for a flow that has none yet:
   * what the journal notes as it starts and as it is made into rows, so that after a
   * crash its calls on these flows can go on from the rows (adopt).
   */
  openFlowRows(): OpenFlowRow[] {
    const rows: OpenFlowRow[] = [];
    for (const [flowId, entry] of this.open) {
      // Only the proxy's calls come through the journal; a replay's or an import's reach the recorder directly.
      if (entry.source !== 'live') continue;
      if (!entry.stored) this.storePending(entry);
      rows.push([flowId, entry.record.id]);
    }
    return rows;
  }

  /**
   * Takes up a flow an earlier run left open, from its stored row and frames, as that
   * run's recorder had it: for recovering a journal that went on with flows opened before
   * it started. A WebSocket's facts are worked out again from its frames. A row that says
   * its exchange ended is left as it is (the note is older than the row): returns whether
   * the flow was taken up.
   */
  adopt(flowId: number, stored: Flow): boolean {
    const { frames, ...record } = stored;
    // Open when the note was written; the open-time pass over a killed run's file calls such rows interrupted.
    const open = record.state === 'pending' || (record.state === 'interrupted' && record.error?.message === interruptedError);
    if (!open) return false;
    record.state = 'pending';
    record.error = null;
    // The journal's notes name the proxy's flows only (openFlowRows).
    const entry: OpenExchange = { record, source: 'live', stored: true, frames: { ...noFrames } };
    if (record.kind === 'ws') {
      const ws = new WsFacts(this.codec);
      if (record.response?.status === 101) ws.upgrade(record.request.headers, record.response.headers);
      for (const frame of frames) {
        if (frame.mark !== 'dropped') ws.frame(frame);
        countFrame(entry.frames, frame);
      }
      applyFacts(record, ws.facts);
      entry.ws = ws;
    }
    this.open.set(flowId, entry);
    return true;
  }

  /** The exchange id an open flow was given, so a replay can name the exchange it made. */
  exchangeIdOf(flowId: number): number | undefined {
    return this.open.get(flowId)?.record.id;
  }

  /** The exchange id of an open flow, its pending row stored now if it had none: a paused message names an exchange the inspector can open. */
  storeOpen(flowId: number): number | undefined {
    const entry = this.open.get(flowId);
    if (entry && !entry.stored) this.storePending(entry);
    return entry?.record.id;
  }

  exchangeEnded(flow: TappedFlow): void {
    // A flow whose start never reached the recorder (it ended quickly, see worker-bridge.ts) is recorded from its end,
    // and enters `open` only if it stays open (an upgraded WebSocket): a Map with an insert and a delete per exchange
    // keeps garbage alive through young collections (see proxy/flows.ts), and most exchanges are quick.
    const entry = this.open.get(flow.id) ?? this.newEntry(flow);
    const { record } = entry;
    record.request = flow.request;
    record.response = flow.response;
    record.error = flow.error;
    if (flow.kind === 'exec') {
      const response = flow.response && { headers: flow.response.headers, body: flow.response.body };
      applyFacts(record, this.execFactsOf(this.codec, { requestHeaders: flow.request.headers, requestBody: flow.request.body, status: flow.response?.status ?? null, response, at: record.startedAt }));
    }
    if (flow.captureProblems) record.problems.unshift(...flow.captureProblems);
    if (flow.rules) record.rules = flow.rules;
    if (flow.original) record.original = flow.original;
    if (flow.editedAtBreakpoint) record.editedAtBreakpoint = flow.editedAtBreakpoint;

    if (upgradedWebSocket(flow)) {
      entry.ws!.upgrade(flow.request.headers, flow.response!.headers);
      applyFacts(record, entry.ws!.facts);
      // The connection stays open: the exchange ends at wsClosed.
      this.open.set(flow.id, entry);
      this.save(entry);
      return;
    }
    record.endedAt = flow.endedAt;
    record.state = stateOf(flow);
    this.open.delete(flow.id);
    this.save(entry);
  }

  wsFrame(frame: TappedFrame): void {
    const entry = this.open.get(frame.flowId);
    if (!entry) return;
    const { record } = entry;
    const stored: StoredFrame = {
      exchangeId: record.id,
      seq: frame.seq,
      direction: frame.direction,
      at: frame.at,
      opcode: frame.opcode,
      size: frame.size,
      body: frame.body,
      truncated: frame.truncated,
    };
    if (frame.rule !== undefined) stored.rule = frame.rule;
    if (frame.mark !== undefined) stored.mark = frame.mark;
    if (frame.original !== undefined) stored.original = frame.original;
    this.store.putFrame(stored);
    // Only what changes the row's summary rewrites the exchange; other frames just add to the count.
    // A dropped frame never reached the other side: the conversation's checks go on without it.
    const { decoded, changed: factsChanged } = frame.mark === 'dropped' ? { decoded: entry.ws!.decode(frame), changed: false } : entry.ws!.frame(frame);
    let changed = factsChanged;
    if (frame.rule !== undefined && !(record.rules ?? []).includes(frame.rule)) {
      record.rules = [...(record.rules ?? []), frame.rule];
      changed = true;
    }
    if (factsChanged) applyFacts(record, entry.ws!.facts);
    if (this.anyoneListening()) for (const l of this.listeners) l.frame?.(record.id, viewFrame(stored, decoded));
    countFrame(entry.frames, frame);
    if (changed) this.save(entry);
  }

  wsClosed(flow: TappedFlow, close: TappedClose): void {
    const entry = this.open.get(flow.id);
    if (!entry) return;
    const { record } = entry;
    entry.ws?.close({ by: close.by, at: close.at });
    if (entry.ws) applyFacts(record, entry.ws.facts);
    record.close = { code: close.code, reason: close.reason, by: close.by, at: close.at };
    for (const rule of flow.rules ?? []) if (!(record.rules ?? []).includes(rule)) record.rules = [...(record.rules ?? []), rule];
    record.endedAt = flow.endedAt ?? close.at;
    record.error = flow.error ?? record.error;
    record.state = stateOf(flow);
    this.open.delete(flow.id);
    this.save(entry);
  }

  private save(entry: OpenExchange): void {
    this.store.putExchange(entry.record, { fresh: !entry.stored });
    entry.stored = true;
    this.announce(entry.record, entry.frames);
  }

  /** Its first row, pending, without telling the listeners (they were told at its start). */
  private storePending(entry: OpenExchange): void {
    this.store.putExchange(entry.record, { fresh: true });
    entry.stored = true;
  }

  private announce(record: FlowHead, frames?: FrameTotals): void {
    if (!this.anyoneListening()) return;
    const summary = summaryOf(record, frames);
    for (const l of this.listeners) l.exchange?.(summary);
  }

  /**
   * Records every exchange still open as interrupted and forgets it: for the flows of a
   * run that stopped without closing, whose end will never come.
   */
  abandonOpen(): void {
    for (const entry of this.open.values()) {
      entry.record.state = 'interrupted';
      entry.record.error ??= { kind: 'proxy-error', message: interruptedError };
      this.save(entry);
    }
    this.open.clear();
  }

  /** Whether any listener wants updates now. Under load, building summaries and frames nobody looks at is a good part of the recorder's time. */
  anyoneListening(): boolean {
    if (this.silent) return false;
    for (const l of this.listeners) if (l.listening?.() ?? true) return true;
    return false;
  }

  private storeLongRunning(now: number): void {
    for (const entry of this.open.values()) {
      if (!entry.stored && now - entry.record.startedAt >= PENDING_ROW_DELAY_MS) this.storePending(entry);
    }
  }
}



/** Hands one tap call to the recorder; one that fails is said and skipped, never thrown. */
export function replayCall(recorder: Recorder, call: TapCall, log: (line: string) => void): void {
  const hook = recorder[call.hook] as ((...args: unknown[]) => void) | undefined;
  try {
    hook?.apply(recorder, call.args);
  } catch (err) {
    log(`recording: ${call.hook} failed and was skipped: ${(err as Error).message}`);
  }
}

/** Whether an ended exchange goes on as a WebSocket (until wsClosed), rather than ending here. */
export function upgradedWebSocket(flow: TappedFlow): boolean {
  return flow.kind === 'ws' && flow.response?.status === 101 && !flow.error;
}

/** The record shares the facts' lists: storage writes whatever the record holds when it flushes. */
function applyFacts(record: FlowHead, facts: FlowFacts): void {
  record.service = facts.service;
  record.operation = facts.operation;
  record.trx = facts.trx;
  record.errors = facts.errors;
  record.token = facts.token;
  record.problems = facts.problems;
}

function stateOf(flow: TappedFlow): ExchangeSummary['state'] {
  if (!flow.error) return 'complete';
  return flow.error.kind === 'client-aborted' ? 'aborted' : 'error';
}
