// The recorded bytes the encoder (proto/encoder.ts) is given beside the JSON: read into
// records by field number, one message level at a time, so that every field whose JSON the
// user left as the decoder gave it is copied from them byte for byte. That is how fields
// the schema does not know keep their original bytes.

import type { JsonObject, JsonValue } from '../model/types.ts';
import type { Decoder } from './decoder.ts';
import type { MessagePlan } from './plan.ts';
import { END_GROUP, FIXED32, FIXED64, LEN, START_GROUP, VARINT, type Wire } from './wire.ts';

/** The recorded bytes of one message level, when there are any. */
export interface Original {
  buf: Uint8Array;
  start: number;
  end: number;
}

/** One record of the original bytes at one message level. */
export interface OriginalRecord {
  number: number;
  wireType: number;
  /** The whole record, tag included. */
  start: number;
  end: number;
  /** The payload of a length-delimited record (else start..end). */
  valueStart: number;
  valueEnd: number;
}

/** The records of one level of the original bytes by field number, in their order; none when they do not parse. */
export function recordsByNumber(wire: Wire, original: Original | null): Map<number, OriginalRecord[]> {
  const byNumber = new Map<number, OriginalRecord[]>();
  for (const record of records(wire, original)) {
    const list = byNumber.get(record.number);
    if (list) list.push(record);
    else byNumber.set(record.number, [record]);
  }
  return byNumber;
}

function records(wire: Wire, original: Original | null): OriginalRecord[] {
  if (original === null) return [];
  wire.buf = original.buf;
  const found: OriginalRecord[] = [];
  let pos = original.start;
  while (pos < original.end) {
    const start = pos;
    pos = wire.varint32(pos, original.end);
    if (pos < 0) return [];
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    let valueStart = pos;
    switch (wireType) {
      case VARINT:
        pos = wire.varint(pos, original.end);
        break;
      case FIXED64:
        pos += 8;
        break;
      case FIXED32:
        pos += 4;
        break;
      case LEN:
        valueStart = wire.varint32(pos, original.end);
        if (valueStart < 0 || wire.hi !== 0) return [];
        pos = valueStart + wire.lo;
        break;
      case START_GROUP:
        pos = skipGroup(wire, number, pos, original.end);
        break;
      default:
        return [];
    }
    if (pos < 0 || pos > original.end || number === 0) return [];
    found.push({ number, wireType, start, end: pos, valueStart, valueEnd: pos });
  }
  return found;
}

function skipGroup(wire: Wire, number: number, pos: number, end: number): number {
  while (pos < end) {
    pos = wire.varint32(pos, end);
    if (pos < 0) return -1;
    const inner = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (wireType === END_GROUP) return inner === number ? pos : -1;
    if (wireType === VARINT) pos = wire.varint(pos, end);
    else if (wireType === FIXED64) pos += 8;
    else if (wireType === FIXED32) pos += 4;
    else if (wireType === LEN) {
      const at = wire.varint32(pos, end);
      pos = at < 0 ? -1 : at + wire.lo;
    } else if (wireType === START_GROUP) pos = skipGroup(wire, inner, pos, end);
    else return -1;
    if (pos < 0) return -1;
  }
  return -1;
}

/** Whether the decoder makes of the original records of one field, under `key`, exactly `value`: then they are copied as they are. */
export function unchanged(decoder: Decoder, plan: MessagePlan, original: Original, records: OriginalRecord[], key: string, value: JsonValue): boolean {
  const bytes = Buffer.concat(records.map((r) => original.buf.subarray(r.start, r.end)));
  const walked = decoder.decode(plan, bytes, false);
  if (walked.problems.length > 0) return false;
  const before = walked.json[key];
  return before !== undefined && sameJson(before, value);
}

/** The originals of a singular field: one, or the payloads of a message sent more than once. */
export function merged(originals: Original[]): Original | null {
  if (originals.length === 0) return null;
  if (originals.length === 1) return originals[0];
  // A singular message sent twice is merged by parsers; so is its payload, concatenated.
  const buf = Buffer.concat(originals.map((o) => o.buf.subarray(o.start, o.end)));
  return { buf, start: 0, end: buf.length };
}

/** JSON values equal as the decoder would give them (key order aside). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as JsonValue[];
    return a.length === other.length && a.every((item, i) => sameJson(item, other[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as JsonObject);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], (b as JsonObject)[k]));
}
