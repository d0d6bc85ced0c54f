// How an import's reading thread hands flows to the writing one (capture/import-pipe.ts):
// cloned by postMessage, each flow as an array of its values in a fixed order, its bodies
// moved into one buffer handed over whole, and its header lists as numbers naming pairs
// sent once. A clone writes every key of every object, where an array has none: the
// objects cost the reading thread 1.2 s of a 100,000-exchange capture import, the arrays
// 0.3 s. A clone of each body would copy the whole buffer it is a view into (a read's rows,
// a HAR file's decoded text). Headers repeat from call to call. JSON, which a batch went as
// before, cost each thread half a second, and cannot hold every value a flow can (NaN, -0).

import type { HeaderList } from '../model/types.ts';
import type { Flow, FlowFrame, FlowRequest, FlowResponse } from '../model/flow.ts';

/** A flow as it is handed over: its values, its response's, and its frames. */
type PackedFlow = [values: unknown[], response: unknown[] | null, frames: FlowFrame[]];

export interface PackedBatch {
  /** The flows, each body empty, each header list the numbers of its pairs. */
  flows: PackedFlow[];
  /** Set when the pairs are numbered from 0 again from this batch on: the earlier ones are forgotten. */
  restart: boolean;
  /** The header pairs first named in this batch, numbered on from those of the batches before. */
  pairs: [string, string][];
  /** Every body, one after another. */
  bodies: ArrayBuffer;
  /** Each body's offset and length in `bodies`, in the order parts() visits them. */
  spans: Uint32Array;
}

/**
 * Header pairs both threads remember at most, before numbering starts again: a value that
 * changes with each call (a request id, a date) would otherwise make memory grow with the file.
 */
export const MAX_PAIRS = 20_000;

/** Packs batches on the reading thread; the pairs it numbered stay numbered for the next ones, up to MAX_PAIRS. */
export class BatchPacker {
  private readonly pairIds = new Map<string, Map<string, number>>();
  private pairCount = 0;

  /** The flows as a batch; their bodies and header lists are the batch's from then on. */
  pack(flows: Flow[]): PackedBatch {
    const restart = this.pairCount >= MAX_PAIRS;
    if (restart) {
      this.pairIds.clear();
      this.pairCount = 0;
    }
    const pairs: [string, string][] = [];
    const pairIds = (headers: HeaderList) =>
      headers.map(([name, value]) => {
        let values = this.pairIds.get(name);
        if (values === undefined) this.pairIds.set(name, (values = new Map()));
        let id = values.get(value);
        if (id === undefined) {
          values.set(value, (id = this.pairCount++));
          pairs.push([name, value]);
        }
        return id;
      }) as unknown as HeaderList;
    let total = 0;
    let count = 0;
    for (const flow of flows) parts(flow, (body) => ((total += body.length), count++, body), pairIds);
    const bytes = new Uint8Array(total);
    const spans = new Uint32Array(count * 2);
    let at = 0;
    let span = 0;
    const move = (body: Uint8Array) => {
      bytes.set(body, at);
      spans[span++] = at;
      spans[span++] = body.length;
      at += body.length;
      return noBytes;
    };
    for (const flow of flows) parts(flow, move, same);
    return { flows: flows.map(packed), restart, pairs, bodies: bytes.buffer, spans };
  }
}

/** Unpacks on the writing thread what a BatchPacker packed, batch after batch in order. */
export class BatchUnpacker {
  private readonly pairs: [string, string][] = [];

  unpack(batch: PackedBatch): Flow[] {
    const { pairs, bodies, spans } = batch;
    if (batch.restart) this.pairs.length = 0;
    for (const pair of pairs) this.pairs.push(pair);
    const flows = batch.flows.map(unpacked);
    let span = 0;
    const body = () => {
      const view = Buffer.from(bodies, spans[span], spans[span + 1]);
      span += 2;
      return view;
    };
    const headers = (ids: HeaderList) => (ids as unknown as number[]).map((id) => this.pairs[id]);
    for (const flow of flows) parts(flow, body, headers);
    return flows;
  }
}

/** Every value of the flow, in the order unpacked() takes them; optional ones as undefined where absent. */
function packed(flow: Flow): PackedFlow {
  const { request: q, response: r } = flow;
  return [
    [
      flow.id, flow.kind, flow.startedAt, flow.endedAt, flow.clientAddress,
      q.method, q.path, q.httpVersion, q.headers, q.size, q.truncated,
      flow.error, flow.rules, flow.original, flow.editedAtBreakpoint,
      flow.service, flow.operation, flow.trx, flow.errors, flow.token, flow.problems,
      flow.state, flow.close, flow.replayOf, flow.identity, flow.captureProblems,
    ],
    r && [r.status, r.statusMessage, r.headers, r.size, r.truncated],
    flow.frames,
  ];
}

/** The flow packed() made a PackedFlow of, its bodies still to be put back. */
function unpacked([v, r, frames]: PackedFlow): Flow {
  const request: FlowRequest = { method: v[5] as string, path: v[6] as string, httpVersion: v[7] as string, headers: v[8] as HeaderList, body: noBytes, size: v[9] as number, truncated: v[10] as boolean };
  const response: FlowResponse | null = r && { status: r[0] as number, statusMessage: r[1] as string, headers: r[2] as HeaderList, body: noBytes, size: r[3] as number, truncated: r[4] as boolean };
  return {
    id: v[0], kind: v[1], startedAt: v[2], endedAt: v[3], clientAddress: v[4], request, response, error: v[11],
    ...(v[12] !== undefined && { rules: v[12] }),
    ...(v[13] !== undefined && { original: v[13] }),
    ...(v[14] !== undefined && { editedAtBreakpoint: v[14] }),
    service: v[15], operation: v[16], trx: v[17], errors: v[18], token: v[19], problems: v[20], state: v[21], close: v[22], replayOf: v[23],
    ...(v[24] !== undefined && { identity: v[24] }),
    ...(v[25] !== undefined && { captureProblems: v[25] }),
    frames,
  } as Flow;
}

const noBytes = new Uint8Array(0);
const same = <T>(value: T) => value;

/** Every body and header list of a flow, in one order, each replaced by what `body` or `headers` makes of it. */
function parts(flow: Flow, body: (bytes: Uint8Array) => Uint8Array, headers: (list: HeaderList) => HeaderList): void {
  const message = (m: { body: Uint8Array; headers: HeaderList } | null | undefined) => {
    if (!m) return;
    m.headers = headers(m.headers);
    m.body = body(m.body);
  };
  message(flow.request);
  message(flow.response);
  message(flow.original?.request);
  message(flow.original?.response);
  for (const frame of flow.frames) {
    frame.body = body(frame.body);
    if (frame.original) frame.original = body(frame.original);
  }
}
