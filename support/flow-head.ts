// Flow heads for tests and benchmarks that write rows straight into a store: described by
// their summary fields (method, path, status and the error sentence at the top, as a list
// row reads), built into the one model the store takes (model/flow.ts).

import type { Flow, FlowHead, FlowRequest, StoredFrame } from '../model/flow.ts';
import { noFacts, storedError } from '../model/flow.ts';

export type MessageFields = Pick<FlowRequest, 'headers' | 'body' | 'truncated' | 'size'>;

/** An exchange as a list row and its bodies describe it: the flow's head, with the request line, status and error sentence at the top. */
export interface HeadFields extends Omit<FlowHead, 'request' | 'response' | 'error' | 'replayOf'> {
  method: string;
  path: string;
  status: number | null;
  error: string | null;
  request: MessageFields;
  response: MessageFields | null;
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
