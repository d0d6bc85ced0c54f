// Whether the decoder (proto/decoder.ts) would find no problem in a message, told by
// walking its bytes without building its JSON: what the recorder and the imports need
// for an exchange's facts, whose summary comes from a scan of the top level anyway
// (proto/summary.ts). Building the JSON only to throw it away was most of their decode.
//
// The answer is one-sided: true only when the decoder is sure to report nothing. Where
// the decoder's rules are intricate (groups, Any, map entries with stray fields, nesting
// near the depth limit) it answers false without looking further, and the caller decodes.
// Every condition under which the decoder reports a problem makes this answer false.
//
// The same walk also tells whether the JSON could hold an object key a test passes, for
// an export learning the values of fields named for a credential: every key the JSON
// would hold is tested (a field's name, a map's key, an unknown field's number), and
// where the answer is not sure (anything check would not vouch for), it is "could".

import { BYTES, DOUBLE, FIXED32_KIND, FIXED64_KIND, FLOAT, GROUP, MESSAGE, SFIXED32, SFIXED64, STRING, type FieldPlan, type MessagePlan } from './plan.ts';
import { defaultKey, ScalarReader } from './scalar-reader.ts';
import { asBuffer } from './scalars.ts';
import { isPlainText, isUtf8 } from './text.ts';
import { END_GROUP, FIXED32, FIXED64, LEN, MAX_DEPTH, START_GROUP, VARINT, Wire } from './wire.ts';

/** Nesting this deep is left to the decoder, whose limit (MAX_DEPTH) it reports differently by kind of field. */
const DEPTH_LIMIT = MAX_DEPTH - 2;

const EMPTY = Buffer.alloc(0);

/** Keys the decoder's JSON holds besides names, map keys and numbers: an unknown value's {"fixed32"}, {"fixed64"}, {"bytes"} or {"group"}. */
const OTHER_KEYS = ['fixed32', 'fixed64', 'bytes', 'group'];

/** A test of the keys in a message's JSON. */
export type KeyTest = (key: string) => boolean;

/** One per codec, reused: check is synchronous, so calls never overlap. */
export class WellFormedCheck {
  private readonly wire = new Wire(EMPTY);
  private buf: Buffer = EMPTY;
  /** While mayHoldKey walks: the test of each key, and the top-level field whose name is not tested. */
  private keyTest: KeyTest | null = null;
  private untested = 0;
  /** Reads map keys as the decoder does; invalidKey is set when one is not UTF-8 (decode reports it). */
  private readonly keys = new ScalarReader(this.wire, () => (this.invalidKey = true));
  private invalidKey = false;

  /**
   * Whether the JSON decode gives of `bytes` could hold, at any depth, a key that `test`
   * passes: false only when decode would find no problem and no key it would give passes.
   * `untested`: a top-level field number whose name is not tested (0 for none).
   */
  mayHoldKey(plan: MessagePlan, bytes: Uint8Array, test: KeyTest, untested: number): boolean {
    if (OTHER_KEYS.some(test)) return true;
    this.keyTest = test;
    this.untested = untested;
    try {
      return !this.check(plan, bytes);
    } finally {
      this.keyTest = null;
      this.untested = 0;
    }
  }

  /** True only when decoding `bytes` as `plan` reports no problem. */
  check(plan: MessagePlan, bytes: Uint8Array): boolean {
    this.buf = asBuffer(bytes);
    this.wire.buf = this.buf;
    this.keys.buf = this.buf;
    try {
      return this.level(plan, 0, this.buf.length, 0);
    } finally {
      this.buf = EMPTY;
      this.wire.buf = EMPTY;
      this.keys.buf = EMPTY;
      this.keys.value = null;
    }
  }

  /** One message level, as Decoder.fields reads it (never a group's). */
  private level(plan: MessagePlan, start: number, end: number, depth: number): boolean {
    if (depth > DEPTH_LIMIT) return false;
    const wire = this.wire;
    const dense = plan.dense;
    let pos = start;
    while (pos < end) {
      const next = wire.varint32(pos, end);
      if (next < 0) return false;
      const number = wire.lo >>> 3;
      const wireType = wire.lo & 7;
      if (number === 0) return false;
      const field = number < dense.length ? dense[number] : plan.sparse?.get(number);
      const test = this.keyTest;
      if (test !== null && (field === undefined ? test(String(number)) : !(depth === 0 && number === this.untested) && test(field.name))) return false;
      if (field === undefined) pos = this.unknown(wireType, next, end, depth);
      else if (wireType === field.wireType) pos = this.known(field, next, end, depth);
      else if (wireType === LEN && field.packable) pos = this.packed(field, next, end);
      // Any other wire type is a problem for a known field.
      else return false;
      if (pos < 0) return false;
    }
    return true;
  }

  /** The offset after a known field's value in its own wire type, or -1 when the decoder would report something (or might). */
  private known(field: FieldPlan, pos: number, end: number, depth: number): number {
    const wire = this.wire;
    const kind = field.kind;
    if (kind === GROUP) return -1;
    if (field.wireType === LEN) {
      const valueStart = this.lengthPrefix(pos, end);
      if (valueStart < 0) return -1;
      const valueEnd = valueStart + wire.lo;
      if (kind === STRING) return isUtf8(this.buf, valueStart, valueEnd) ? valueEnd : -1;
      if (kind === BYTES) return valueEnd;
      if (field.map !== null) return this.mapEntry(field, valueStart, valueEnd, depth) ? valueEnd : -1;
      const nested = field.message!();
      // Any decodes the message it packs with a plan of its own: left to the decoder.
      if (nested.wellKnown === 'Any') return -1;
      return this.level(nested, valueStart, valueEnd, depth + 1) ? valueEnd : -1;
    }
    return this.scalar(kind, pos, end);
  }

  /** The offset after a fixed-size or varint scalar of `kind`, or -1. */
  private scalar(kind: number, pos: number, end: number): number {
    if (kind === DOUBLE || kind === FIXED64_KIND || kind === SFIXED64) return pos + 8 <= end ? pos + 8 : -1;
    if (kind === FLOAT || kind === FIXED32_KIND || kind === SFIXED32) return pos + 4 <= end ? pos + 4 : -1;
    const next = this.wire.varint(pos, end);
    return next < 0 ? -1 : next;
  }

  /** A map entry holding only its key and value tags, each in the wire type the schema gives it. */
  private mapEntry(field: FieldPlan, start: number, end: number, depth: number): boolean {
    const { key, value } = field.map!;
    const wire = this.wire;
    let keyRead = false;
    let pos = start;
    while (pos < end) {
      const next = wire.varint32(pos, end);
      if (next < 0) return false;
      const number = wire.lo >>> 3;
      const wireType = wire.lo & 7;
      const part = number === 1 ? key : number === 2 ? value : null;
      if (part === null || wireType !== part.wireType || part.kind === GROUP) return false;
      if (part === key && this.keyTest !== null) {
        // The key is tested as the decoder makes it a JSON key: its value read as decode reads it, as text.
        this.invalidKey = false;
        pos = this.keys.read(key, next, end);
        if (pos < 0 || this.invalidKey || this.keyTest(String(this.keys.value))) return false;
        keyRead = true;
      } else if (part.kind === MESSAGE) {
        const valueStart = this.lengthPrefix(next, end);
        if (valueStart < 0) return false;
        pos = valueStart + wire.lo;
        const nested = part.message!();
        if (nested.wellKnown === 'Any' || !this.level(nested, valueStart, pos, depth + 2)) return false;
      } else {
        pos = this.known(part, next, end, depth);
        if (pos < 0) return false;
      }
    }
    // An entry without its key has the key's default: "", "0" or "false".
    return keyRead || this.keyTest === null || !this.keyTest(defaultKey(key.kind));
  }

  /** A packed run of a repeated numeric field: whole values up to its end. */
  private packed(field: FieldPlan, pos: number, end: number): number {
    const valueStart = this.lengthPrefix(pos, end);
    if (valueStart < 0) return -1;
    const valueEnd = valueStart + this.wire.lo;
    let at = valueStart;
    while (at < valueEnd) {
      at = this.scalar(field.kind, at, valueEnd);
      if (at < 0) return -1;
    }
    return valueEnd;
  }

  /**
   * An unknown field, as proto/unknown-fields.ts reads it: a scalar must be whole; a
   * length-delimited value is text, or is guessed a message when it reads as one, and
   * then its own fields are unknown ones. A value that reads as no message is kept as
   * bytes, with no problem. Groups are left to the decoder.
   */
  private unknown(wireType: number, pos: number, end: number, depth: number): number {
    const wire = this.wire;
    switch (wireType) {
      case VARINT: {
        const next = wire.varint(pos, end);
        return next < 0 ? -1 : next;
      }
      case FIXED64:
        return pos + 8 <= end ? pos + 8 : -1;
      case FIXED32:
        return pos + 4 <= end ? pos + 4 : -1;
      case LEN: {
        const valueStart = this.lengthPrefix(pos, end);
        if (valueStart < 0) return -1;
        const valueEnd = valueStart + wire.lo;
        return this.guessed(valueStart, valueEnd, depth) ? valueEnd : -1;
      }
      default:
        return -1;
    }
  }

  /** Whether an unknown length-delimited value at a level of `depth` decodes with no problem. */
  private guessed(start: number, end: number, depth: number): boolean {
    if (isPlainText(this.buf, start, end)) return true;
    if (depth + 1 > DEPTH_LIMIT) return false;
    const wire = this.wire;
    // Read as the unknown level the decoder tries it as; where it stops reading as one, it is bytes.
    let pos = start;
    while (pos < end) {
      const next = wire.varint32(pos, end);
      if (next < 0) return true;
      const number = wire.lo >>> 3;
      const wireType = wire.lo & 7;
      if (number === 0) return true;
      if (wireType === START_GROUP) return false;
      if (wireType === END_GROUP || wireType > FIXED32) return true;
      // Should the value read as a message, this number is a key of its JSON.
      if (this.keyTest !== null && this.keyTest(String(number))) return false;
      if (wireType === LEN) {
        const valueStart = this.lengthPrefix(next, end);
        if (valueStart < 0) return true;
        pos = valueStart + wire.lo;
        if (!this.guessed(valueStart, pos, depth + 1)) return false;
      } else {
        pos = this.unknown(wireType, next, end, depth + 1);
        if (pos < 0) return true;
      }
    }
    return true;
  }

  /** The value start after a length prefix whose value lies whole before end, else -1. */
  private lengthPrefix(pos: number, end: number): number {
    const wire = this.wire;
    const next = wire.varint32(pos, end);
    if (next < 0 || wire.hi !== 0 || wire.lo > end - next) return -1;
    return next;
  }
}
