// The few bytes the mock writes itself: the trx (field 1) of a ClientRequest read, and
// put into a recorded ServerResponse in place, every other byte as recorded; and the
// ServerResponse for a request the recording cannot answer.

import { LEN, VARINT, Wire } from '../proto/wire.ts';
import { lengthDelimited } from '../proto/writer.ts';

const TRX_FIELD = 1;
const ERRORS_FIELD = 2;
/** ca2.ServerError SE_INTERNAL_SERVER_ERROR. */
const SE_INTERNAL_SERVER_ERROR = 6;
const GROUP_DEPTH = 100;

interface TopField {
  number: number;
  wireType: number;
  /** Where the tag starts, where the value starts, where the field ends. */
  start: number;
  valueStart: number;
  end: number;
}

/** The top-level fields in wire order; stops at the first malformed byte. */
function topLevelFields(bytes: Uint8Array): { fields: TopField[]; end: number } {
  const wire = new Wire(bytes);
  const fields: TopField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const afterTag = wire.varint32(pos, bytes.length);
    if (afterTag < 0) break;
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (number === 0) break;
    let valueStart = afterTag;
    if (wireType === LEN) {
      valueStart = wire.varint32(afterTag, bytes.length);
      if (valueStart < 0) break;
    }
    const end = wire.skip(wireType, number, afterTag, bytes.length, GROUP_DEPTH);
    if (end < 0) break;
    fields.push({ number, wireType, start: pos, valueStart, end });
    pos = end;
  }
  return { fields, end: pos };
}

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
