// The few bytes the mock writes itself: the trx (field 1) of a ClientRequest read, and
// put into a recorded ServerResponse in place, every other byte as recorded; and the
// ServerResponse for a request the recording cannot answer.

import { topLevelFields } from '../proto/top-level-fields.ts';
import { LEN, VARINT } from '../proto/wire.ts';
import { lengthDelimited } from '../proto/writer.ts';

const TRX_FIELD = 1;
const ERRORS_FIELD = 2;
/** ca2.ServerError SE_INTERNAL_SERVER_ERROR. */
const SE_INTERNAL_SERVER_ERROR = 6;

/** The request's trx bytes (the last one sent wins, as protobuf reads it), or null when it has none. */
export function readTrx(request: Uint8Array): Uint8Array | null {
  let trx: Uint8Array | null = null;
  for (const f of topLevelFields(request).fields) {
    if (f.number === TRX_FIELD && f.wireType === LEN) trx = request.subarray(f.valueStart, f.end);
  }
  return trx;
}

/**
 * The recorded response with its trx replaced by `trx`, where the recorded one stood (at the
 * front when it had none); without one when `trx` is null. Nothing else changes.
 */
export function withTrx(response: Uint8Array, trx: Uint8Array | null): Buffer {
  const { fields } = topLevelFields(response);
  const replacement = trx === null ? new Uint8Array(0) : lengthDelimited(TRX_FIELD, trx);
  const parts: Uint8Array[] = [];
  let copied = 0;
  let placed = false;
  for (const f of fields) {
    if (f.number !== TRX_FIELD) continue;
    parts.push(response.subarray(copied, f.start));
    if (!placed) parts.push(replacement);
    placed = true;
    copied = f.end;
  }
  parts.push(response.subarray(copied));
  if (!placed) parts.unshift(replacement);
  return Buffer.concat(parts);
}

/** A ServerResponse with the request's trx and SE_INTERNAL_SERVER_ERROR, as a ca2 server reports a failure. */
export function internalErrorResponse(trx: Uint8Array | null): Buffer {
  return Buffer.concat([trx === null ? new Uint8Array(0) : lengthDelimited(TRX_FIELD, trx), Buffer.from([(ERRORS_FIELD << 3) | VARINT, SE_INTERNAL_SERVER_ERROR])]);
}
