// One scalar value of a known field, read from the wire into the JSON form python's
// MessageToDict gives it, with whether it is the type's default (a field without
// presence leaves the default out). The decoder (proto/decoder.ts) reads every
// singular, repeated, packed and map-entry scalar through it.

import type { JsonValue } from '../model/types.ts';
import {
  BOOL, BYTES, DOUBLE, ENUM, FIXED32_KIND, FIXED64_KIND, FLOAT, INT32, INT64, MESSAGE, SFIXED32, SFIXED64, SINT32, SINT64, STRING, UINT32, UINT64,
} from './plan.ts';
import type { FieldPlan } from './plan.ts';
import { base64, doubleToJson, floatToJson, int64ToString, readDouble, readFloat, sint32FromVarint, sint64ToString, uint64ToString } from './scalars.ts';
import { readUtf8, readUtf8Lossy } from './text.ts';
import { TOO_LONG, TRUNCATED, type Wire } from './wire.ts';

/** read() failed on a length prefix that is too long or runs past the end. */
const LENGTH_FAILED = -5;

const EMPTY = Buffer.alloc(0);

/**
 * The ScalarReader method that reads each kind, and whether it takes the field plan
 * (enum names, the name a problem gives), for code that calls them directly.
 */
export const READERS: Record<number, { method: string; takesField: boolean }> = {
  [INT32]: { method: 'int32', takesField: false },
  [UINT32]: { method: 'uint32', takesField: false },
  [SINT32]: { method: 'sint32', takesField: false },
  [BOOL]: { method: 'bool', takesField: false },
  [ENUM]: { method: 'enum', takesField: true },
  [INT64]: { method: 'int64', takesField: false },
  [UINT64]: { method: 'uint64', takesField: false },
  [SINT64]: { method: 'sint64', takesField: false },
  [FIXED32_KIND]: { method: 'fixed32', takesField: false },
  [SFIXED32]: { method: 'sfixed32', takesField: false },
  [FLOAT]: { method: 'float', takesField: false },
  [FIXED64_KIND]: { method: 'fixed64', takesField: false },
  [SFIXED64]: { method: 'sfixed64', takesField: false },
  [DOUBLE]: { method: 'double', takesField: false },
  [STRING]: { method: 'string', takesField: true },
  [BYTES]: { method: 'bytes', takesField: false },
};

/** One per decoder, reading from the decoder's wire: the last value read stays in `value` and `isDefault`. */
export class ScalarReader {
  /** The bytes being decoded (the wire's, as a Buffer for text and base64). */
  buf: Buffer = EMPTY;
  value: JsonValue = null;
  isDefault = false;
  /** What a string or bytes length prefix said when it ran past the end, for the problem sentence. */
  private failedLength = '';
  private failedLeft = 0;

  constructor(
    private readonly wire: Wire,
    /** A string field's bytes at `offset` are not UTF-8: the value read holds U+FFFD for them. */
    private readonly invalidUtf8: (offset: number, field: string) => void,
  ) {}

  /**
   * Reads one scalar value of the field's kind at pos into this.value and
   * this.isDefault; returns the offset after it or a negative code (see failure).
   * Each kind has a method of its own (READERS names them), which the compiled field
   * loops of proto/fast-fields.ts call directly.
   */
  read(field: FieldPlan, pos: number, end: number): number {
    switch (field.kind) {
      case INT32: return this.int32(pos, end);
      case UINT32: return this.uint32(pos, end);
      case SINT32: return this.sint32(pos, end);
      case BOOL: return this.bool(pos, end);
      case ENUM: return this.enum(field, pos, end);
      case INT64: return this.int64(pos, end);
      case UINT64: return this.uint64(pos, end);
      case SINT64: return this.sint64(pos, end);
      case FIXED32_KIND: return this.fixed32(pos, end);
      case SFIXED32: return this.sfixed32(pos, end);
      case FLOAT: return this.float(pos, end);
      case FIXED64_KIND: return this.fixed64(pos, end);
      case SFIXED64: return this.sfixed64(pos, end);
      case DOUBLE: return this.double(pos, end);
      case STRING: return this.string(field, pos, end);
      case BYTES: return this.bytes(pos, end);
      default: return TRUNCATED;
    }
  }

  int32(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = wire.lo | 0;
    this.isDefault = wire.lo === 0;
    return next;
  }

  uint32(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = wire.lo;
    this.isDefault = wire.lo === 0;
    return next;
  }

  sint32(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = sint32FromVarint(wire.lo);
    this.isDefault = wire.lo === 0;
    return next;
  }

  bool(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = wire.lo !== 0 || wire.hi !== 0;
    this.isDefault = !this.value;
    return next;
  }

  enum(field: FieldPlan, pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    const number = wire.lo | 0;
    const names = field.enumArray!;
    this.value = (number >= 0 && number < names.length ? names[number] : field.enumNames!.get(number)) ?? number;
    this.isDefault = number === 0;
    return next;
  }

  int64(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = int64ToString(wire.lo, wire.hi);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    return next;
  }

  uint64(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = uint64ToString(wire.lo, wire.hi);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    return next;
  }

  sint64(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint(pos, end);
    this.value = sint64ToString(wire.lo, wire.hi);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    return next;
  }

  fixed32(pos: number, end: number): number {
    if (pos + 4 > end) return TRUNCATED;
    const raw = this.wire.fixed32(pos);
    this.value = raw;
    this.isDefault = raw === 0;
    return pos + 4;
  }

  sfixed32(pos: number, end: number): number {
    if (pos + 4 > end) return TRUNCATED;
    const raw = this.wire.fixed32(pos);
    this.value = raw | 0;
    this.isDefault = raw === 0;
    return pos + 4;
  }

  float(pos: number, end: number): number {
    if (pos + 4 > end) return TRUNCATED;
    this.value = floatToJson(readFloat(this.buf, pos));
    this.isDefault = this.wire.fixed32(pos) === 0;
    return pos + 4;
  }

  fixed64(pos: number, end: number): number {
    if (pos + 8 > end) return TRUNCATED;
    const wire = this.wire;
    wire.fixed64(pos);
    this.value = uint64ToString(wire.lo, wire.hi);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    return pos + 8;
  }

  sfixed64(pos: number, end: number): number {
    if (pos + 8 > end) return TRUNCATED;
    const wire = this.wire;
    wire.fixed64(pos);
    this.value = int64ToString(wire.lo, wire.hi);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    return pos + 8;
  }

  double(pos: number, end: number): number {
    if (pos + 8 > end) return TRUNCATED;
    const wire = this.wire;
    wire.fixed64(pos);
    this.isDefault = wire.lo === 0 && wire.hi === 0;
    this.value = doubleToJson(readDouble(this.buf, pos));
    return pos + 8;
  }

  string(field: FieldPlan, pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint32(pos, end);
    if (next < 0) return next;
    if (wire.hi !== 0 || wire.lo > end - next) return this.lengthFailed(end - next);
    const valueEnd = next + wire.lo;
    let text = readUtf8(this.buf, next, valueEnd);
    if (text === null) {
      this.invalidUtf8(pos, field.name);
      text = readUtf8Lossy(this.buf, next, valueEnd);
    }
    this.value = text;
    this.isDefault = valueEnd === next;
    return valueEnd;
  }

  bytes(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint32(pos, end);
    if (next < 0) return next;
    if (wire.hi !== 0 || wire.lo > end - next) return this.lengthFailed(end - next);
    const valueEnd = next + wire.lo;
    this.value = base64(this.buf, next, valueEnd);
    this.isDefault = valueEnd === next;
    return valueEnd;
  }

  /** The problem sentence for the negative code read() gave on the field at JSON path `name`. */
  failure(code: number, name: string): string {
    if (code === TOO_LONG) return `varint of field ${name} is longer than 10 bytes`;
    if (code === LENGTH_FAILED) return `length ${this.failedLength} of field ${name} runs past the end (${this.failedLeft} bytes left)`;
    return `field ${name} is truncated`;
  }

  private lengthFailed(left: number): number {
    const wire = this.wire;
    this.failedLength = wire.hi !== 0 ? uint64ToString(wire.lo, wire.hi) : String(wire.lo);
    this.failedLeft = left;
    return LENGTH_FAILED;
  }
}

/** The JSON key of a map entry that came without its key. */
export function defaultKey(kind: number): string {
  if (kind === STRING) return '';
  if (kind === BOOL) return 'false';
  return '0';
}

/** The JSON value of a map entry that came without its value. */
export function defaultValue(plan: FieldPlan): JsonValue {
  switch (plan.kind) {
    case MESSAGE:
      return {};
    case STRING:
    case BYTES:
      return '';
    case BOOL:
      return false;
    case ENUM:
      return plan.enumNames!.get(0) ?? 0;
    case INT64:
    case UINT64:
    case SINT64:
    case FIXED64_KIND:
    case SFIXED64:
      return '0';
    default:
      return 0;
  }
}
