// A message's top-level fields read without a schema, where each lies in the bytes: for
// the code that copies recorded bytes and rewrites a few of them (the mock's trx,
// redaction), so every byte it does not rewrite stays as recorded.

import { LEN, MAX_DEPTH, Wire } from './wire.ts';

export interface TopField {
  number: number;
  wireType: number;
  /** Where the tag starts, where the value starts (after a length prefix), where the field ends. */
  start: number;
  valueStart: number;
  end: number;
}

/**
 * The top-level fields in wire order, up to the first malformed byte (a stray byte, a
 * length past the end, a stray end-group), and where that is: bytes.length for a
 * well-formed message, 0 for bytes that are no message.
 */
export function topLevelFields(bytes: Uint8Array): { fields: TopField[]; end: number } {
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
    const end = wire.skip(wireType, number, afterTag, bytes.length, MAX_DEPTH);
    if (end < 0) break;
    fields.push({ number, wireType, start: pos, valueStart, end });
    pos = end;
  }
  return { fields, end: pos };
}
