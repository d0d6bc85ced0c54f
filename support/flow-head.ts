// Flow heads for tests and benchmarks that write rows straight into a store: described by
// their summary fields (method, path, status and the error sentence at the top, as a list
// row reads), built into the one model the store takes (model/flow.ts).

import type { Flow, FlowHead, StoredFrame } from '../model/flow.ts';
import { noFacts, storedError } from '../model/flow.ts';
import type { ExchangeKind, ExchangeState, HeaderList, TokenRef } from '../model/types.ts';

export interface MessageFields {
  headers: HeaderList;
  body: Uint8Array;
  truncated: boolean;
  size: number;
}

/** An exchange as a list row and its bodies describe it. */
export interface HeadFields {
  id: number;
  kind: ExchangeKind;
  startedAt: number;
  endedAt: number | null;
  method: string;
  path: string;
  status: number | null;
  service: string | null;
  operation: string | null;
  trx: string | null;
  errors: string[];
  token: TokenRef | null;
  clientAddress: string;
  state: ExchangeState;
  problems: string[];
  error: string | null;
  request: MessageFields;
  response: MessageFields | null;
  close: FlowHead['close'];
  replayOf?: number;
}

export type FrameFields = StoredFrame;

export function flowHead(fields: HeadFields): FlowHead {
  const { method, path, status, request, response, error, replayOf, ...rest } = fields;
  return {
    ...rest,
    request: { method, path, httpVersion: '1.1', ...request },
    response: response && { status: status ?? 0, statusMessage: '', ...response },
    error: storedError(error, fields.state),
    replayOf: replayOf ?? null,
  };
}

/** A flow as an import or a test hands it to the recorder: what crossed the wire, the rest left for recording to work out. */
export function wireFlow(fields: Pick<Flow, 'kind' | 'startedAt' | 'endedAt' | 'request'> & Partial<Flow>): Flow {
  return {
    id: 0,
    clientAddress: '',
    response: null,
    error: null,
    state: 'complete',
    ...noFacts(),
    close: null,
    replayOf: null,
    frames: [],
    ...fields,
  };
}
