// The live view of journaled calls: while someone watches (a browser, the terminal
// printer), tap calls are journaled as when nobody does (recorder/tap-journal.ts), and
// summarised for the watchers from the same raw calls as they are journaled, by a
// recorder of its own that stores nothing. Rows are made later, when the tap is quiet,
// by the journal's recorder, which then tells nobody: the watchers already know. Under
// load that spares the recorder thread the row writes while someone watches; reads walk
// the journal in place meanwhile (recorder/journal-view.ts), and a kill -9 loses what it
// loses unwatched.
//
// Each exchange is summarised under the id its journal row reserved (recorder/journal-ids.ts),
// the id its row will have. When watching begins, the flows still open then (a WebSocket,
// a long call) are taken up first, from their rows and the journal, as a read of the
// journal in place would: their frames and ends are then told with the right summaries.

import type { TappedFlow } from '../proxy/tap.ts';
import type { JournalRowIds, Store } from '../storage/store.ts';
import { intactCalls, rowsFrom } from './journal-view.ts';
import { Recorder, replayCall, type RecordSink } from './recorder.ts';
import { asBuffer } from '../proto/scalars.ts';
import { callAt, flowIdAt, journalCalls, TAP_CALL_VERSION } from './tap-codec.ts';

const quiet = () => undefined;

/** What the live recorder stores: nothing; the journal is the record. */
const nowhere: RecordSink = {
  allocateExchangeId(): number {
    // A journal row gives only the ids it reserved; the recorder says and skips the call.
    throw new Error('the journal row begins more exchanges than it gave ids to');
  },
  putExchange: () => undefined,
  putFrame: () => undefined,
};

export class LiveCalls {
  /** The recorder that summarises journaled calls; null while nobody watches. */
  private live: Recorder | null = null;

  constructor(
    private readonly store: Store,
    private readonly recorder: Recorder,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Tells the watchers what a journal row's calls record, if anyone watches; call it before
   * the row is put in the store. A failure here is said and the live view begins again with
   * the next row: the journal records the calls either way.
   */
  put(records: Uint8Array, ids: JournalRowIds): void {
    if (!this.recorder.anyoneListening()) {
      this.live = null;
      return;
    }
    try {
      const live = (this.live ??= this.takenUp(ids.openFlows));
      live.withReservedIds(ids.first, ids.begins, () => {
        for (const call of journalCalls(records, 'content-type')) replayCall(live, call, quiet);
      });
    } catch (err) {
      this.live = null;
      this.log(`recording: the live view skipped some tap calls: ${(err as Error).message}`);
    }
  }

  /**
   * A recorder for the watchers that knows the flows open before the row to come (`open`):
   * those open before the journal from their rows, the others from the journal's calls.
   */
  private takenUp(open: [flowId: number, exchangeId: number][]): Recorder {
    const live = new Recorder(this.recorder.codec, nowhere, undefined, this.recorder.listeners);
    // Nothing is stored, so no pending rows are due.
    live.stop();
    const wanted = new Map(open);
    if (wanted.size === 0) return live;
    // The journal's rows so far, and the note of the flows open at its start, as committed.
    this.store.flush();
    live.silently(() => {
      for (const [flowId, exchangeId] of this.store.journalOpenFlows(TAP_CALL_VERSION)) {
        if (wanted.get(flowId) !== exchangeId) continue;
        const stored = this.store.storedFlow(exchangeId);
        if (stored !== null) live.adopt(flowId, stored);
      }
      for (const row of rowsFrom(this.store, 0)) {
        const data = asBuffer(row.records);
        for (const at of intactCalls(data)) {
          const flowId = flowIdAt(data, at);
          const id = wanted.get(flowId);
          if (id === undefined) continue;
          const call = callAt(data, at);
          if (live.exchangeIdOf(flowId) === undefined) {
            if (call.hook !== 'requestStarted' && call.hook !== 'exchangeEnded') continue;
            live.resume(call.args[0] as TappedFlow, id);
            // The start only opens the flow; resume did.
            if (call.hook === 'requestStarted') continue;
          }
          replayCall(live, call, quiet);
        }
      }
    });
    return live;
  }
}
