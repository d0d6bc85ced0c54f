// A flow played into a recorder hook by hook, as the tap would have reported it: imports,
// capture exports and replays copying their originals all record this way, so every
// exchange is decoded and checked as if it had just been recorded.

import type { Flow } from '../model/flow.ts';
import type { TappedFlow } from '../proxy/tap.ts';
import type { Recorder } from '../recorder/recorder.ts';

/**
 * Records one flow and returns the id it was stored under. `flowId` must be unique among
 * the flows fed to one recorder. Synchronous, so nothing is flushed half-way unless the
 * store's batch fills.
 */
export function feedRecorder(recorder: Recorder, flow: Flow, flowId: number): number {
  const tapped: TappedFlow = {
    id: flowId,
    source: 'import',
    kind: flow.kind,
    startedAt: flow.startedAt,
    endedAt: flow.endedAt,
    clientAddress: flow.clientAddress,
    request: flow.request,
    response: flow.response,
    error: flow.error,
    // replayOf names an exchange of the file the flow came from, not of the one it goes to.
    ...(flow.captureProblems?.length ? { captureProblems: flow.captureProblems } : {}),
    ...(flow.rules?.length ? { rules: flow.rules } : {}),
    ...(flow.original ? { original: flow.original } : {}),
    ...(flow.editedAtBreakpoint?.length ? { editedAtBreakpoint: flow.editedAtBreakpoint } : {}),
  };
  // An upgraded connection's error (the proxy ended it, a side reset) belongs to its end, as on the wire.
  const upgraded = flow.kind === 'ws' && flow.response?.status === 101;
  recorder.requestStarted(tapped);
  const id = recorder.exchangeIdOf(flowId)!;
  recorder.exchangeEnded(upgraded ? { ...tapped, endedAt: null, error: null } : tapped);
  if (!upgraded) return id;
  for (const frame of flow.frames) recorder.wsFrame({ ...frame, flowId });
  const close = flow.close;
  const at = close?.at ?? flow.endedAt ?? flow.frames.at(-1)?.at ?? flow.startedAt;
  recorder.wsClosed({ ...tapped, endedAt: flow.endedAt ?? at }, { flowId, ...(close ?? { code: null, reason: '', by: 'client', at }) });
  return id;
}
