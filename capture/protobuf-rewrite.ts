// Rewrites length-delimited fields of a protobuf message without a schema. Every field is
// copied byte for byte, its tag included, except the values `replace` changes; those get
// a new length prefix, and so does every enclosing message, so the result still decodes
// and every other byte stays as recorded.

import { topLevelFields } from '../proto/top-level-fields.ts';
import { LEN, START_GROUP, Wire } from '../proto/wire.ts';
import { varintBytes } from '../proto/writer.ts';

/**
 * Says what a length-delimited value becomes: new bytes, 'descend' to rewrite it as a
 * nested message, or null to keep it. `path` is the field numbers from the top, e.g. [17, 2, 1].
 */
export type Replacer = (value: Uint8Array, path: readonly number[], looksLikeMessage: boolean) => Uint8Array | 'descend' | null;

const MAX_DEPTH = 100;

/**
 * The rewritten message, or null when nothing changed or the bytes are no well-formed
 * message. `path` is where the bytes lie, for a message nested in one being rewritten.
 */
export function rewriteMessage(bytes: Uint8Array, replace: Replacer, path: readonly number[] = []): Uint8Array | null {
  const wire = new Wire(bytes);
  return rewriteLevel(wire, 0, bytes.length, [...path], replace);
}

/**
 * How many bytes from the start are whole fields: all of them for a well-formed message,
 * fewer for one that breaks off (a stray byte, a length past the end), 0 for bytes that
 * are no message. The fields before the break are as good as any.
 */
export function wellFormedPrefix(bytes: Uint8Array): number {
  return topLevelFields(bytes).end;
}

function rewriteLevel(wire: Wire, start: number, end: number, path: number[], replace: Replacer): Uint8Array | null {
  if (path.length > MAX_DEPTH || !wire.isMessage(start, end, MAX_DEPTH)) return null;
  const parts: Uint8Array[] = [];
  let copiedUpTo = start;
  let changed = false;
  let pos = start;
  while (pos < end) {
    const afterTag = wire.varint32(pos, end);
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (wireType !== LEN) {
      pos = wire.skip(wireType, number, afterTag, end, wireType === START_GROUP ? MAX_DEPTH : 0);
      continue;
    }
    const valueStart = wire.varint32(afterTag, end);
    const valueEnd = valueStart + wire.lo;
    const value = wire.buf.subarray(valueStart, valueEnd);
    const fieldPath = [...path, number];
    const nested = value.length > 0 && wire.isMessage(valueStart, valueEnd, MAX_DEPTH);
    let decision = replace(value, fieldPath, nested);
    if (decision === 'descend') decision = nested ? rewriteLevel(wire, valueStart, valueEnd, fieldPath, replace) : null;
    if (decision !== null) {
      parts.push(wire.buf.subarray(copiedUpTo, afterTag), varintBytes(decision.length), decision);
      copiedUpTo = valueEnd;
      changed = true;
    }
    pos = valueEnd;
  }
  if (!changed) return null;
  parts.push(wire.buf.subarray(copiedUpTo, end));
  return Buffer.concat(parts);
}
