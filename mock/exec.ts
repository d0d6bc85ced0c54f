// POST /exec from a recording: the request's key finds the recorded answers (served in
// order, then the last repeats), sent with the live trx in place of the recorded one. With
// --match closest a miss takes the recorded request of the same service.operation with the
// fewest differing fields; otherwise a miss is answered SE_INTERNAL_SERVER_ERROR (or
// forwarded) and explained on the terminal.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject, JsonValue } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { sendRecorded } from './answer.ts';
import type { Forwarder } from './forward.ts';
import { canonicalKey, normalizeRequest } from './key.ts';
import type { IgnorePath } from '../model/ignore-path.ts';
import { describeDifferences, describeOperationFields, fieldDifferences, type FieldDifference } from './nearest.ts';
import type { RecordedExec, Recording } from './recording.ts';
import type { ExecReleases } from './releases.ts';
import { internalErrorResponse, readTrx, withTrx } from './wire.ts';
import { operationLabel } from '../model/format.ts';

export type MatchMode = 'exact' | 'closest';

export interface ExecMockOptions {
  recording: Recording;
  codec: Codec;
  ignore: readonly IgnorePath[];
  match: MatchMode;
  /** Where requests the recording cannot answer go; null answers them with an error. */
  forwarder: Forwarder | null;
  releases: ExecReleases;
  say: (line: string) => void;
}

/** The response header that says how the mock answered, when not by an exact match. */
export const MOCK_HEADER = 'x-ca2-mock';

export function answerExec(options: ExecMockOptions, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const { recording, codec } = options;
  const decoded = codec.decode('ClientRequest', body);
  const trx = readTrx(body);
  const content = normalizeRequest(decoded.json, options.ignore);
  const exact = recording.exec.get(canonicalKey(content))?.take();
  if (exact) return serve(options, res, exact, trx);

  const operation = operationLabel(decoded.summary) ?? '';
  const nearest = nearestRecorded(recording.byOperation.get(operation) ?? [], content);
  if (options.match === 'closest' && nearest) {
    const count = nearest.differences.length;
    const note = `closest #${nearest.recorded.id} (${count} ${count === 1 ? 'field differs' : 'fields differ'})`;
    options.say(`mock: ${operation}: no exact match, answered with the ${note}: ${describeDifferences(nearest.differences)}`);
    return serve(options, res, nearest.recorded, trx, note);
  }

  const miss = describeMiss(operation, content, nearest);
  if (options.forwarder) {
    options.say(`mock: ${miss}; forwarded to ${options.forwarder.url.origin}`);
    return options.forwarder.forward(req, body, res);
  }
  options.say(`mock: ${miss}`);
  const answer = internalErrorResponse(trx);
  res.writeHead(200, {
    'content-type': 'application/x-protobuf',
    'content-length': answer.length,
    [MOCK_HEADER]: headerText(`no match: ${miss}`),
  });
  res.end(answer);
}

function serve(options: ExecMockOptions, res: ServerResponse, recorded: RecordedExec, trx: Uint8Array | null, note?: string): void {
  options.releases.arrived(recorded.id);
  sendRecorded(res, recorded.answer, withTrx(recorded.answer.body, trx), note ? [MOCK_HEADER, note] : []);
}

interface Nearest {
  recorded: RecordedExec;
  differences: FieldDifference[];
}

/** The recorded request with the fewest differing fields; the earliest among equals. */
function nearestRecorded(candidates: readonly RecordedExec[], content: JsonObject): Nearest | null {
  let best: Nearest | null = null;
  for (const recorded of candidates) {
    const differences = fieldDifferences(recorded.content, content);
    if (best === null || differences.length < best.differences.length) best = { recorded, differences };
  }
  return best;
}

/** "no recorded instances.list with states=[3]; nearest #41 differs at instances.list.states[0] (2 → 3)". */
function describeMiss(operation: string, content: JsonObject, nearest: Nearest | null): string {
  if (operation === '') return 'no recorded request like this one, which names no service';
  const [service, op] = operation.split('.');
  const fields = describeOperationFields((content[service] as JsonObject | undefined)?.[op] as JsonValue | undefined);
  const what = `no recorded ${operation} with ${fields}`;
  if (!nearest) return `${what}; the recording has no ${operation} at all`;
  return `${what}; nearest #${nearest.recorded.id} differs at ${describeDifferences(nearest.differences)}`;
}

/** Header values must be Latin-1 without control characters. */
function headerText(text: string): string {
  return text.replaceAll('→', '->').replace(/[^\x20-\x7e]/g, '?');
}
