// The exchange ids a journal row gives, worked out as the row is written and reserved in
// the store then (storage/migrations.ts, version 10), so that the exchanges journaled under
// load can be listed by the ids they will have before they are rows
// (recorder/journal-view.ts), and keep them whatever else takes ids meanwhile (a resend).
//
// It follows the recorder's rule for when an exchange begins, reading only each call's
// hook and flow id: at its requestStarted, or at its exchangeEnded when no start came
// before (a quick exchange, whose start was never sent). A WebSocket goes on from its
// upgrade to its close; any other exchange ends at its exchangeEnded.

import type { JournalRowIds, OpenFlowRow, Store } from '../storage/store.ts';
import type { TappedFlow } from '../proxy/tap.ts';
import { upgradedWebSocket } from './recorder.ts';
import { asBuffer } from '../proto/scalars.ts';
import { callAt, callStarts, flowIdAt, hookAt, kindAt } from './tap-codec.ts';

export class JournalIds {
  /** Flows begun and not ended, as the recorder will have them once it has replayed the rows so far: flow id → exchange id. */
  private open = new Map<number, number>();

  constructor(private readonly store: Pick<Store, 'reserveExchangeIds'>) {}

  /** The journal starts (again) with the flows open in the recorder now. */
  start(open: OpenFlowRow[]): void {
    this.open = new Map(open);
  }

  /** The exchange a flow begun in the rows so far and not yet ended has, or will have once they are made into rows. */
  exchangeOf(flowId: number): number | undefined {
    return this.open.get(flowId);
  }

  /** The ids the calls of a journal row give, reserved now. */
  row(records: Uint8Array): JournalRowIds {
    const openFlows = [...this.open];
    const data = asBuffer(records);
    /** Flows the row begins that stay open past their call: flow id → their place among its begins. */
    const begun = new Map<number, number>();
    let begins = 0;
    for (const at of callStarts(data)) {
      const flowId = flowIdAt(data, at);
      switch (hookAt(data, at)) {
        case 'requestStarted':
          begun.set(flowId, begins++);
          break;
        case 'exchangeEnded': {
          const goesOn = kindAt(data, at) === 'ws' && upgradedWebSocket(callAt(data, at).args[0] as TappedFlow);
          if (!begun.has(flowId) && !this.open.has(flowId)) {
            if (goesOn) begun.set(flowId, begins);
            begins++;
          } else if (!goesOn) {
            begun.delete(flowId);
            this.open.delete(flowId);
          }
          break;
        }
        case 'wsClosed':
          begun.delete(flowId);
          this.open.delete(flowId);
          break;
      }
    }
    const first = this.store.reserveExchangeIds(begins);
    for (const [flowId, place] of begun) this.open.set(flowId, first + place);
    return { first, begins, openFlows };
  }
}
