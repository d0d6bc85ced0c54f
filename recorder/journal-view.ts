// The journal read in place (storage/journal-page.ts asks): the exchanges its tap calls
// record, as making them into rows will store them, before it does. Rows are replayed on
// a recorder of their own that keeps what it records in memory: the same code that makes
// rows, with the ids each row reserved (recorder/journal-ids.ts).
//
// A list page wants the newest exchanges first, so the journal is walked back from its
// newest rows a chunk at a time, each chunk replayed in order. A flow a chunk goes on with
// (begun in an older row) is taken up under the id its row noted: an ended exchange says
// all its head says, so its end alone settles it. A WebSocket's summary is built from
// every frame since its upgrade, so the frames and close of one begun further back are
// kept aside, in order, and replayed after the chunk that begins it (a flow's calls touch
// only it), or at the journal's start, where the flows open before the journal are taken
// up from their rows, as recovering a journal does.
//
// A filter that the envelopes decide (storage/envelope-verdict.ts) is tested on an
// /exec exchange begun and ended by one call before that call is replayed, from the row's
// bytes (recorder/journal-envelopes.ts): a selective one (error:, token:) would otherwise
// have a page replay thousands of calls only to refuse them. One they take is replayed
// with its facts in full at once, rather than without its problems first.
//
// `abandoned`: no recorder will make this journal into rows (its run stopped first), so
// what is open at its end is recorded as interrupted, as recovering it will.

import type { Codec } from '../proto/codec.ts';
import type { Flow, FlowFacts, FlowFrame, FlowHead, StoredFrame } from '../model/flow.ts';
import { execFacts, requestFacts, responseType, type ExecInput } from '../proto/exchange-facts.ts';
import type { TappedFlow } from '../proxy/tap.ts';
import type { EnvelopeFacts } from '../storage/envelope-verdict.ts';
import type { JournaledFlows, JournalEntry, JournalWalk, Store } from '../storage/store.ts';
import { JournaledEnvelopes } from './journal-envelopes.ts';
import { Recorder, replayCall, type RecordSink } from './recorder.ts';
import { asBuffer } from '../proto/scalars.ts';
import { callAt, callStarts, flowIdAt, hookAt, journalVersion, TAP_CALL_VERSION, type TapCall } from './tap-codec.ts';

/**
 * Journal rows in the first chunk of a walk (a row holds up to 16 calls under load); each
 * next chunk twice as many, up to the cap, so a page replays at most that many calls more
 * than it needs.
 */
const FIRST_CHUNK_ROWS = 8;
const MAX_CHUNK_ROWS = 32;
/** Journal rows read at a time when following one flow forward. */
const ROWS_PER_READ = 256;

const quiet = () => undefined;

export class JournalView implements JournaledFlows {
  /** Rows of another tap-call version the walks passed, by seq: left as they are, to be said. */
  private readonly keptRows = new Map<number, JournalEntry>();

  constructor(
    private readonly store: Store,
    private readonly codec: Codec,
    private readonly options: { abandoned: boolean },
  ) {}

  walk(before: number | undefined, admits: ((flow: Flow) => boolean) | null, judges: ((exchange: EnvelopeFacts) => boolean | null) | null): JournalWalk | null {
    const firstId = this.readableFrom();
    return firstId === null ? null : new Walk(this.store, this.codec, this.options.abandoned, firstId, before, admits, judges, (row) => this.keptRows.set(row.seq, row));
  }

  /** The rows of other tap-call versions that reads passed so far, by version: left in the file for the ca2-inspector that wrote them. */
  kept(): { version: number; rows: number; calls: number }[] {
    const byVersion = new Map<number, { version: number; rows: number; calls: number }>();
    for (const row of this.keptRows.values()) {
      const version = journalVersion(row.records);
      const kept = byVersion.get(version) ?? { version, rows: 0, calls: 0 };
      byVersion.set(version, { version, rows: kept.rows + 1, calls: kept.calls + row.calls });
    }
    return [...byVersion.values()];
  }

  flow(id: number): Flow | null {
    const firstId = this.readableFrom();
    if (firstId === null) return null;
    return id >= firstId ? this.begunFlow(id) : this.goneOnWith(id);
  }

  /**
   * Whether the journal can be read in place: every row this ca2-inspector replays
   * carries its ids (rows of other tap-call versions are left as they are).
   */
  readsInPlace(): boolean {
    return !this.store.readJournalRows((rows) => rows.rowsWithoutIds()).some((row) => journalVersion(row.records) === TAP_CALL_VERSION);
  }

  /** The first id the journal gives, when it can be read in place; null for an empty journal too. */
  private readableFrom(): number | null {
    const firstId = this.store.readJournalRows((rows) => rows.firstId());
    return firstId !== null && this.readsInPlace() ? firstId : null;
  }

  /** An exchange a journal row begins: replayed from that row on, following its flow until it ends. */
  private begunFlow(id: number): Flow | null {
    const seq = this.store.readJournalRows((rows) => rows.rowBeginning(id));
    if (seq === null) return null;
    const replayer = new Replayer(this.codec);
    let flowId: number | null = null;
    for (const row of rowsFrom(this.store, seq)) {
      replayer.replay(row, flowId === null ? null : (f) => f === flowId);
      flowId = replayer.flowOf(id);
      if (flowId === null) break;
    }
    return replayer.settled(id, this.options.abandoned);
  }

  /** A flow open before the journal (its row says pending), as the journal leaves it; null when the journal does not change it. */
  private goneOnWith(id: number): Flow | null {
    const flowId = this.store.journalOpenFlows(TAP_CALL_VERSION).find(([, exchangeId]) => exchangeId === id)?.[0];
    if (flowId === undefined) return null;
    const replayer = new Replayer(this.codec);
    replayer.takeUp(this.store, (f) => f === flowId);
    let changed = this.options.abandoned;
    for (const row of rowsFrom(this.store, 0)) changed = replayer.replay(row, (f) => f === flowId) || changed;
    return changed ? replayer.settled(id, this.options.abandoned) : null;
  }
}

/** A call of a journal row, where it lies. */
interface CallRef {
  data: Buffer;
  at: number;
  flowId: number;
}

/** A walk back over the journal for one list page (storage/journal-page.ts). */
class Walk implements JournalWalk {
  /** Rows before this seq are still to be walked (undefined: from the newest). */
  private nextSeq: number | undefined;
  private chunk = FIRST_CHUNK_ROWS;
  /** Exchanges already given: a chunk further back only takes them up to go on with. */
  private readonly given = new Set<number>();
  /** Frames and closes of WebSockets begun further back than the rows walked, in order: replayed once their begin is. */
  private later: CallRef[] = [];
  private done = false;
  /** Every exchange from this id up that the journal begins or goes on with was given. */
  private below = Infinity;
  private readonly envelopes: JournaledEnvelopes;

  constructor(
    private readonly store: Store,
    private readonly codec: Codec,
    private readonly abandoned: boolean,
    readonly firstId: number,
    private readonly before: number | undefined,
    private readonly admits: ((flow: Flow) => boolean) | null,
    private readonly judges: ((exchange: EnvelopeFacts) => boolean | null) | null,
    private readonly passedKept: (row: JournalEntry) => void,
  ) {
    this.envelopes = new JournaledEnvelopes(codec);
  }

  step(): { flows: Flow[]; below: number } | null {
    if (this.done) return null;
    if (this.nextSeq === undefined && this.before !== undefined) this.skipAbove(this.before);
    if (this.done) return { flows: [], below: 0 };
    const fetched = this.store.readJournalRows((rows) => rows.rowsNewestFirst(this.nextSeq, this.chunk + 1));
    const atStart = fetched.length <= this.chunk;
    const rows = fetched.slice(0, this.chunk).reverse();
    this.chunk = Math.min(this.chunk * 2, MAX_CHUNK_ROWS);
    if (rows.length > 0) this.nextSeq = rows[0]!.seq;
    const ours = rows.filter(replayed);
    for (const row of rows) if (journalVersion(row.records) !== TAP_CALL_VERSION) this.passedKept(row);
    const replayer = new Replayer(this.codec, this.admits === null ? execFacts : factsButProblems, this.judges && ((data, at) => this.verdictAt(data, at)));
    if (atStart) {
      const called = flowsCalled(ours, this.later);
      replayer.takeUp(this.store, (flowId) => this.abandoned || called.has(flowId));
    }
    const later: CallRef[] = [];
    for (const row of ours) if (this.needed(row)) replayer.replay(row, null, later);
    this.later = replayer.replayOpen([...later, ...this.later]);
    const flows = replayer.end(this.abandoned).flatMap((flow) => {
      if (this.given.has(flow.id)) return [];
      this.given.add(flow.id);
      if (this.before !== undefined && flow.id >= this.before) return [];
      // One it refuses is given as it is: the page refuses it too, and still knows the journal changed it.
      return [this.admits === null || replayer.inFull(flow.id) || !this.admits(flow) ? flow : inFull(this.codec, flow)];
    });
    this.done = atStart;
    if (ours.length > 0) this.below = ours[0]!.ids!.first;
    return { flows, below: atStart ? 0 : this.below };
  }

  /**
   * Starts the walk at the newest row that gives an id below `before`, when no flow begun
   * there or before goes on in the rows above it (they give only ids the page does not
   * take); a page below every id the journal gives, with no flow from before it going on,
   * needs none of it.
   */
  private skipAbove(before: number): void {
    const seq = this.store.readJournalRows((rows) => rows.rowGivingBelow(before));
    const [above] = this.store.readJournalRows((rows) => rows.rowsOldestFirst(seq === null ? 0 : seq + 1, 1));
    if (above === undefined || above.ids === null) return;
    if (above.ids.openFlows.some(([, id]) => id < before)) return;
    if (seq === null) this.done = true;
    else this.nextSeq = seq + 1;
  }

  /** What `judges` says on its envelopes of the /exec exchange the call at `at` ends; null for another call. */
  private verdictAt(data: Buffer, at: number): boolean | null {
    const facts = this.envelopes.at(data, at);
    return facts === null ? null : this.judges!(facts);
  }

  /** Whether a row holds anything a page below `before` needs: an exchange it begins there, or calls of one begun before it. */
  private needed(row: JournalEntry): boolean {
    const { first, openFlows } = row.ids!;
    if (this.before === undefined || first < this.before) return true;
    const older = new Set(openFlows.filter(([, id]) => id < this.before!).map(([flowId]) => flowId));
    if (older.size === 0) return false;
    const data = asBuffer(row.records);
    for (const at of intactCalls(data)) if (older.has(flowIdAt(data, at))) return true;
    return false;
  }
}

/** Where a replaying recorder puts what it records: in memory, the latest version of each exchange. */
class MemorySink implements RecordSink {
  readonly heads = new Map<number, FlowHead>();
  readonly frames = new Map<number, FlowFrame[]>();
  /** While set, the call replayed has its facts worked out in full, and the exchanges it puts are noted in `full`. */
  factsInFull = false;
  readonly full = new Set<number>();

  allocateExchangeId(): number {
    // A replayed row gives only the ids it reserved; the recorder says and skips the call.
    throw new Error('the journal row begins more exchanges than it gave ids to');
  }

  putExchange(record: FlowHead): void {
    this.heads.set(record.id, record);
    if (this.factsInFull) this.full.add(record.id);
  }

  putFrame(frame: StoredFrame): void {
    const frames = this.frames.get(frame.exchangeId);
    if (frames) frames.push(frame);
    else this.frames.set(frame.exchangeId, [frame]);
  }
}

/**
 * An /exec exchange's facts but its problems, for less than execFacts costs: the request's
 * as execFacts works them out (its service, operation, trx and token), and the response,
 * usually the larger, only summarised (its errors and trx: the very summary its decode
 * gives). No problems but those the capture found.
 */
function factsButProblems(codec: Codec, input: ExecInput): FlowFacts {
  const request = requestFacts(codec, input.requestBody, input.at);
  const type = input.response && responseType('exec', input.response.headers, input.response.body);
  const response = type ? codec.summarize(type, input.response!.body, input.at) : null;
  return { service: request.service, operation: request.operation, trx: request.trx ?? response?.trx ?? null, errors: response?.errors ?? [], token: request.token, problems: [] };
}

/** A flow replayed with factsButProblems, with the facts the recorder works out in full. */
function inFull(codec: Codec, flow: Flow): Flow {
  // One that never ended (pending, or interrupted as its run stopped) has none worked out: the recorder does at its end.
  if (flow.kind !== 'exec' || flow.state === 'pending' || flow.state === 'interrupted') return flow;
  const response = flow.response && { headers: flow.response.headers, body: flow.response.body };
  const facts = execFacts(codec, { requestHeaders: flow.request.headers, requestBody: flow.request.body, status: flow.response?.status ?? null, response, at: flow.startedAt });
  // As the recorder puts them: the capture's problems first.
  return { ...flow, ...facts, problems: [...flow.problems, ...facts.problems] };
}

/** A recorder replaying journal rows, in order, into memory. */
class Replayer {
  private readonly sink = new MemorySink();
  private readonly recorder: Recorder;

  constructor(
    codec: Codec,
    factsOf: (codec: Codec, input: ExecInput) => FlowFacts = execFacts,
    /**
     * The verdict on the exchangeEnded call at `at` of a row, on an exchange it begins and
     * ends: false leaves it out unreplayed; true has it replayed with its facts in full.
     */
    private readonly verdictAt: ((data: Buffer, at: number) => boolean | null) | null = null,
  ) {
    const sink = this.sink;
    this.recorder = new Recorder(codec, sink, (codec, input) => (sink.factsInFull ? execFacts : factsOf)(codec, input));
    // Nothing here runs long: no pending rows are due.
    this.recorder.stop();
  }

  /** Takes up the flows the journal noted open at its start that `wanted` takes, from their rows, as recovering it does. */
  takeUp(store: Store, wanted: (flowId: number) => boolean): void {
    for (const [flowId, exchangeId] of store.journalOpenFlows(TAP_CALL_VERSION)) {
      if (!wanted(flowId)) continue;
      const stored = store.storedFlow(exchangeId);
      if (stored !== null && this.recorder.adopt(flowId, stored)) this.sink.frames.set(exchangeId, [...stored.frames]);
    }
  }

  /**
   * Replays a row's calls (only those of the flows `only` takes, when given), first taking
   * up under its noted id each flow the row ends that began before it; whether any call
   * was replayed. Frames and closes of a WebSocket not open here (begun before the rows
   * replayed) go to `later` instead, when given.
   */
  replay(row: JournalEntry, only: ((flowId: number) => boolean) | null, later?: CallRef[]): boolean {
    const { first, begins, openFlows } = row.ids!;
    const noted = new Map(openFlows);
    const data = asBuffer(row.records);
    let replayed = false;
    this.recorder.withReservedIds(first, begins, () => {
      for (const at of intactCalls(data)) {
        const flowId = flowIdAt(data, at);
        if (only !== null && !only(flowId)) continue;
        const hook = hookAt(data, at);
        if (later && (hook === 'wsFrame' || hook === 'wsClosed') && this.recorder.exchangeIdOf(flowId) === undefined) {
          later.push({ data, at, flowId });
          continue;
        }
        const verdict = hook === 'exchangeEnded' && !noted.has(flowId) && this.recorder.exchangeIdOf(flowId) === undefined ? (this.verdictAt?.(data, at) ?? null) : null;
        // Begun and ended by this call, and refused on its envelopes as its replay would be: passed over, with its id.
        if (verdict === false) {
          this.recorder.skipReservedId();
          continue;
        }
        this.sink.factsInFull = verdict === true;
        const intact = this.replayAt(data, at, noted.get(flowId));
        this.sink.factsInFull = false;
        if (!intact) return;
        replayed = true;
      }
    });
    return replayed;
  }

  /** Replays, in order, the calls of flows open here; the others are left, in order. */
  replayOpen(calls: CallRef[]): CallRef[] {
    const left: CallRef[] = [];
    for (const call of calls) {
      if (this.recorder.exchangeIdOf(call.flowId) === undefined) left.push(call);
      else this.replayAt(call.data, call.at, undefined);
    }
    return left;
  }

  /** Replays the call at `at`, taking its flow up first under `noted` if it ends one begun before; false if the call is damaged. */
  private replayAt(data: Buffer, at: number, noted: number | undefined): boolean {
    let call: TapCall;
    try {
      call = callAt(data, at);
    } catch {
      // Past damage, making the row into rows gives up too.
      return false;
    }
    if (noted !== undefined && call.hook === 'exchangeEnded') this.recorder.resume(call.args[0] as TappedFlow, noted);
    replayCall(this.recorder, call, quiet);
    return true;
  }

  /** Whether exchange `id` was replayed with its facts in full, taken on its envelopes. */
  inFull(id: number): boolean {
    return this.sink.full.has(id);
  }

  /** The flow of exchange `id` while it is open; null once it ended (or if it never began). */
  flowOf(id: number): number | null {
    return this.recorder.openFlowRows().find(([, exchangeId]) => exchangeId === id)?.[0] ?? null;
  }

  /** One exchange as the replay leaves it, or null if it never touched it. */
  settled(id: number, abandoned: boolean): Flow | null {
    return this.end(abandoned).find((flow) => flow.id === id) ?? null;
  }

  /** Every exchange the replay recorded, as it leaves them: what is still open is pending, or interrupted when abandoned. */
  end(abandoned: boolean): Flow[] {
    // As making them into rows does: the flows still open get a row (pending), or are given up.
    if (abandoned) this.recorder.abandonOpen();
    else this.recorder.openFlowRows();
    return [...this.sink.heads.values()].map((head) => ({ ...head, frames: this.sink.frames.get(head.id) ?? [] }));
  }
}

/** The flows the calls of these rows, and `later`, are about. */
function flowsCalled(rows: JournalEntry[], later: CallRef[]): Set<number> {
  const flows = new Set(later.map((call) => call.flowId));
  for (const row of rows) {
    const data = asBuffer(row.records);
    for (const at of intactCalls(data)) flows.add(flowIdAt(data, at));
  }
  return flows;
}

/** Where each call of a row starts, as far as the row is intact: past damage, making it into rows gives up too. */
export function* intactCalls(data: Buffer): Generator<number> {
  try {
    yield* callStarts(data);
  } catch {
    return;
  }
}

/** Every row from `seq` on, oldest first, of those this ca2-inspector replays. */
export function* rowsFrom(store: Store, seq: number): Generator<JournalEntry> {
  for (let from = seq; ; ) {
    const rows = store.readJournalRows((rows) => rows.rowsOldestFirst(from, ROWS_PER_READ));
    if (rows.length === 0) return;
    yield* rows.filter(replayed);
    from = rows[rows.length - 1]!.seq + 1;
  }
}

/** Rows this ca2-inspector replays; those of another tap-call version are left to the one that wrote them. */
function replayed(row: JournalEntry): boolean {
  return row.ids !== null && journalVersion(row.records) === TAP_CALL_VERSION;
}
