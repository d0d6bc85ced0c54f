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
   */
  read(field: FieldPlan, pos: number, end: number): number {
    const wire = this.wire;
    const buf = this.buf;
    let next: number;
    switch (field.kind) {
      case INT32:
        next = wire.varint(pos, end);
        this.value = wire.lo | 0;
        this.isDefault = wire.lo === 0;
        return next;
      case UINT32:
        next = wire.varint(pos, end);
        this.value = wire.lo;
        this.isDefault = wire.lo === 0;
        return next;
      case SINT32:
        next = wire.varint(pos, end);
        this.value = sint32FromVarint(wire.lo);
        this.isDefault = wire.lo === 0;
        return next;
      case BOOL:
        next = wire.varint(pos, end);
        this.value = wire.lo !== 0 || wire.hi !== 0;
        this.isDefault = !this.value;
        return next;
      case ENUM: {
        next = wire.varint(pos, end);
        const number = wire.lo | 0;
        this.value = field.enumNames!.get(number) ?? number;
        this.isDefault = number === 0;
        return next;
      }
      case INT64:
        next = wire.varint(pos, end);
        this.value = int64ToString(wire.lo, wire.hi);
        this.isDefault = wire.lo === 0 && wire.hi === 0;
        return next;
      case UINT64:
        next = wire.varint(pos, end);
        this.value = uint64ToString(wire.lo, wire.hi);
        this.isDefault = wire.lo === 0 && wire.hi === 0;
        return next;
      case SINT64:
        next = wire.varint(pos, end);
        this.value = sint64ToString(wire.lo, wire.hi);
        this.isDefault = wire.lo === 0 && wire.hi === 0;
        return next;
      case FIXED32_KIND:
      case SFIXED32: {
        if (pos + 4 > end) return TRUNCATED;
        const raw = wire.fixed32(pos);
        this.value = field.kind === SFIXED32 ? raw | 0 : raw;
        this.isDefault = raw === 0;
        return pos + 4;
      }
      case FLOAT: {
        if (pos + 4 > end) return TRUNCATED;
        this.value = floatToJson(readFloat(buf, pos));
        this.isDefault = wire.fixed32(pos) === 0;
        return pos + 4;
      }
      case FIXED64_KIND:
      case SFIXED64:
        if (pos + 8 > end) return TRUNCATED;
        wire.fixed64(pos);
        this.value = field.kind === SFIXED64 ? int64ToString(wire.lo, wire.hi) : uint64ToString(wire.lo, wire.hi);
        this.isDefault = wire.lo === 0 && wire.hi === 0;
        return pos + 8;
      case DOUBLE:
        if (pos + 8 > end) return TRUNCATED;
        wire.fixed64(pos);
        this.isDefault = wire.lo === 0 && wire.hi === 0;
        this.value = doubleToJson(readDouble(buf, pos));
        return pos + 8;
      case STRING: {
        next = wire.varint32(pos, end);
        if (next < 0) return next;
        if (wire.hi !== 0 || wire.lo > end - next) return this.lengthFailed(end - next);
        const valueEnd = next + wire.lo;
        let text = readUtf8(buf, next, valueEnd);
        if (text === null) {
          this.invalidUtf8(pos, field.name);
          text = readUtf8Lossy(buf, next, valueEnd);
        }
        this.value = text;
        this.isDefault = valueEnd === next;
        return valueEnd;
      }
      case BYTES: {
        next = wire.varint32(pos, end);
        if (next < 0) return next;
        if (wire.hi !== 0 || wire.lo > end - next) return this.lengthFailed(end - next);
        const valueEnd = next + wire.lo;
        this.value = base64(buf, next, valueEnd);
        this.isDefault = valueEnd === next;
        return valueEnd;
      }
      default:
        return TRUNCATED;
    }
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
