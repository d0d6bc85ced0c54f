// The schema-driven walk over the wire bytes: JSON as python's
// MessageToDict(preserving_proto_field_name=True) gives it, plus every field the
// schema does not know, kept under its number with a decoded guess (see
// Decoder.unknown), plus problems with byte offsets and, on request, byte spans.
//
// It never throws on input: every length is checked against what is left,
// nesting stops at MAX_DEPTH, and a failure inside a length-delimited value is
// reported and skipped so the rest of the message still decodes.

import type { DecodeProblem, FieldSpan, JsonObject, JsonValue } from '../model/types.ts';
import {
  BOOL, BYTES, DOUBLE, ENUM, FIXED32_KIND, FIXED64_KIND, FLOAT, GROUP, INT32, INT64, MESSAGE, SFIXED32, SFIXED64, SINT32, SINT64, STRING, UINT32, UINT64,
  UNKNOWN_MESSAGE,
} from './plan.ts';
import type { FieldPlan, MessagePlan, Plans } from './plan.ts';
import { asBuffer, base64, doubleToJson, floatToJson, int64ToString, readDouble, readFloat, sint32FromVarint, sint64ToString, uint64ToString } from './scalars.ts';
import { classifyText, NOT_TEXT, PLAIN_TEXT, readUtf8, readUtf8Lossy } from './text.ts';
import { convertWellKnown } from './well-known.ts';
import { END_GROUP, FIXED32, FIXED64, LEN, START_GROUP, TOO_LONG, TRUNCATED, VARINT, WIRE_TYPE_NAMES, Wire } from './wire.ts';

/** Messages nested deeper than this are kept as bytes and reported. */
export const MAX_DEPTH = 100;

const EMPTY = Buffer.alloc(0);
const NUMBER_KEYS: string[] = Array.from({ length: 256 }, (_, i) => String(i));

function keyOf(number: number): string {
  return number < 256 ? NUMBER_KEYS[number] : String(number);
}

function join(path: string, name: string): string {
  return path === '' ? name : path + '.' + name;
}

export interface WalkResult {
  json: JsonObject;
  problems: DecodeProblem[];
  spans: FieldSpan[] | undefined;
}

/** One decoder per codec, reused across calls: decode is synchronous, so calls never overlap. */
export class Decoder {
  private readonly wire = new Wire(EMPTY);
  private buf: Buffer = EMPTY;
  private problems: DecodeProblem[] = [];
  private spans: FieldSpan[] | null = null;
  /** The last scalar read by `scalar`, and whether it was the type's default. */
  private value: JsonValue = null;
  private isDefault = false;
  /** What a string or bytes length prefix said when it ran past the end, for the problem sentence. */
  private failedLength = '';
  private failedLeft = 0;
  /** With spans: where each unknown number's first span is in this level, to index it once the number repeats. */
  private firstSpans: Map<number, number> | null = null;

  constructor(private readonly plans: Plans) {}

  decode(plan: MessagePlan, bytes: Uint8Array, wantSpans: boolean): WalkResult {
    this.buf = asBuffer(bytes);
    this.wire.buf = this.buf;
    this.problems = [];
    this.spans = wantSpans ? [] : null;
    const json: JsonObject = {};
    try {
      this.fields(plan, json, 0, bytes.length, 0, 0, '');
    } catch (err) {
      // Defence in depth: the walk is bounded, but a bug must cost a problem entry, not the caller.
      this.problem(0, `the decoder failed (${(err as Error).message}); the JSON may be incomplete`, '');
    }
    const result: WalkResult = { json, problems: this.problems, spans: this.spans ?? undefined };
    this.buf = EMPTY;
    this.wire.buf = EMPTY;
    this.spans = null;
    this.value = null;
    return result;
  }

  private problem(offset: number, reason: string, path: string): void {
    this.problems.push(path === '' ? { offset, reason } : { offset, reason, path });
  }

  /**
   * Reads the fields of one message level from start to end (or to the end tag
   * of `group`) into obj. Returns the offset after the level, or -1 when the
   * rest of this level cannot be read (the problem is already reported).
   */
  private fields(plan: MessagePlan, obj: JsonObject, start: number, end: number, depth: number, group: number, path: string): number {
    if (this.spans === null) return this.level(plan, obj, start, end, depth, group, path);
    const outer = this.firstSpans;
    this.firstSpans = null;
    const after = this.level(plan, obj, start, end, depth, group, path);
    this.firstSpans = outer;
    return after;
  }

  private level(plan: MessagePlan, obj: JsonObject, start: number, end: number, depth: number, group: number, path: string): number {
    const wire = this.wire;
    const dense = plan.dense;
    let pos = start;
    while (pos < end) {
      const fieldStart = pos;
      const next = wire.varint32(pos, end);
      if (next < 0) {
        this.problem(fieldStart, next === TRUNCATED ? 'truncated tag' : 'tag longer than 5 bytes', path);
        return -1;
      }
      const number = wire.lo >>> 3;
      const wireType = wire.lo & 7;
      if (number === 0) {
        this.problem(fieldStart, 'field number 0 is not valid; the bytes are not a protobuf message from here on', path);
        return -1;
      }
      if (wireType === END_GROUP) {
        if (number === group) return next;
        this.problem(fieldStart, `end-group tag for field ${number} with no group ${number} open`, path);
        return -1;
      }
      const field = number < dense.length ? dense[number] : plan.sparse?.get(number);
      if (field !== undefined) {
        if (wireType === field.wireType) pos = this.known(field, obj, fieldStart, next, end, depth, path);
        else if (wireType === LEN && field.packable) pos = this.packed(field, obj, fieldStart, next, end, path);
        else if (wireType > FIXED32) pos = this.unknown(number, wireType, obj, fieldStart, next, end, depth, path);
        else {
          this.problem(
            fieldStart,
            `field ${join(path, field.name)} (${number}) arrived as ${WIRE_TYPE_NAMES[wireType]} but the schema says ${WIRE_TYPE_NAMES[field.wireType]}; kept under "${number}"`,
            path,
          );
          pos = this.unknown(number, wireType, obj, fieldStart, next, end, depth, path);
        }
      } else {
        pos = this.unknown(number, wireType, obj, fieldStart, next, end, depth, path);
      }
      if (pos < 0) return -1;
    }
    if (group !== 0) {
      this.problem(end, `group ${group} is not closed before the end of the input`, path);
      return -1;
    }
    return pos;
  }

  /** Reads the length prefix of field `name` at pos; returns the value start, or -1 after reporting why not. */
  private length(pos: number, end: number, fieldStart: number, path: string, name: string): number {
    const wire = this.wire;
    const next = wire.varint32(pos, end);
    if (next < 0) {
      const field = join(path, name);
      this.problem(fieldStart, next === TOO_LONG ? `length of field ${field} is longer than 5 bytes` : `truncated length of field ${field}`, path);
      return -1;
    }
    if (wire.hi !== 0 || wire.lo > end - next) {
      const length = wire.hi !== 0 ? uint64ToString(wire.lo, wire.hi) : String(wire.lo);
      this.problem(fieldStart, `length ${length} of field ${join(path, name)} runs past the end (${end - next} bytes left)`, path);
      return -1;
    }
    return next;
  }

  private openSpan(path: string, start: number): FieldSpan | null {
    if (this.spans === null) return null;
    const span: FieldSpan = { path, start, end: start };
    this.spans.push(span);
    return span;
  }

  private known(field: FieldPlan, obj: JsonObject, fieldStart: number, pos: number, end: number, depth: number, path: string): number {
    const kind = field.kind;
    if (kind === MESSAGE) {
      const valueStart = this.length(pos, end, fieldStart, path, field.name);
      if (valueStart < 0) return -1;
      const childPath = this.childPath(field, obj, path);
      const valueEnd = valueStart + this.wire.lo;
      const span = this.openSpan(childPath, fieldStart);
      if (field.map) {
        const key = this.mapEntry(field, obj, valueStart, valueEnd, depth, childPath);
        if (span) {
          span.path = `${childPath}.${key}`;
          span.end = valueEnd;
        }
        return valueEnd;
      }
      const value = this.message(field, obj, valueStart, valueEnd, depth, childPath, fieldStart);
      if (span) span.end = valueEnd;
      this.put(field, obj, value);
      return valueEnd;
    }
    if (kind === GROUP) {
      const childPath = this.childPath(field, obj, path);
      const span = this.openSpan(childPath, fieldStart);
      if (depth + 1 > MAX_DEPTH) {
        this.problem(fieldStart, `groups nested deeper than ${MAX_DEPTH} levels; the rest is not decoded`, childPath);
        return -1;
      }
      const value: JsonObject = {};
      const after = this.fields(field.message!(), value, pos, end, depth + 1, field.number, childPath);
      if (span) span.end = after < 0 ? end : after;
      this.put(field, obj, value);
      return after;
    }
    const after = this.scalar(field, pos, end);
    if (after < 0) {
      this.problem(fieldStart, this.scalarFailure(after, field, path), path);
      return -1;
    }
    if (this.spans !== null) this.openSpan(this.childPath(field, obj, path), fieldStart)!.end = after;
    if (this.isDefault && !field.presence && !field.repeated) {
      if (obj[field.name] !== undefined) delete obj[field.name];
      return after;
    }
    this.put(field, obj, this.value);
    return after;
  }

  /** The JSON path of the value about to be stored: name, or name[i] for a repeated field. */
  private childPath(field: FieldPlan, obj: JsonObject, path: string): string {
    const name = join(path, field.name);
    if (!field.repeated || field.map) return name;
    const list = obj[field.name] as JsonValue[] | undefined;
    return `${name}[${list === undefined ? 0 : list.length}]`;
  }

  private put(field: FieldPlan, obj: JsonObject, value: JsonValue): void {
    if (field.repeated) {
      if (field.map) return;
      const list = obj[field.name] as JsonValue[] | undefined;
      if (list === undefined) obj[field.name] = [value];
      else list.push(value);
    } else {
      obj[field.name] = value;
    }
  }

  private message(field: FieldPlan, obj: JsonObject, start: number, end: number, depth: number, path: string, fieldStart: number): JsonValue {
    if (depth + 1 > MAX_DEPTH) {
      this.problem(fieldStart, `message nested deeper than ${MAX_DEPTH} levels; kept as bytes`, path);
      return { bytes: base64(this.buf, start, end) };
    }
    const plan = field.message!();
    // A singular message seen twice is merged into the first, as protobuf parsers do.
    const existing = field.repeated ? undefined : obj[field.name];
    const target: JsonObject = existing !== undefined && existing !== null && typeof existing === 'object' && !Array.isArray(existing) && plan.wellKnown === null ? existing : {};
    const spansBefore = this.spans === null ? 0 : this.spans.length;
    this.fields(plan, target, start, end, depth + 1, 0, path);
    if (plan.wellKnown === null) return target;
    // A well-known type prints as one value ("2023-11-14T22:13:20Z"): its inner fields have no JSON path.
    if (this.spans !== null) this.spans.length = spansBefore;
    return this.convert(plan, target, path, start, end, depth + 1);
  }

  private convert(plan: MessagePlan, value: JsonObject, path: string, start: number, end: number, depth: number): JsonValue {
    if (plan.wellKnown === 'Any') return this.any(value, start, end, depth, path);
    return convertWellKnown(plan.wellKnown!, plan.fullName, value);
  }

  /** google.protobuf.Any: the packed message decoded with its own type when the schema has it. */
  private any(generic: JsonObject, start: number, end: number, depth: number, path: string): JsonValue {
    const typeUrl = typeof generic.type_url === 'string' ? generic.type_url : '';
    const plan = typeUrl ? this.plans.forName('.' + typeUrl.slice(typeUrl.lastIndexOf('/') + 1)) : null;
    if (plan === null) return generic;
    const wire = this.wire;
    let pos = start;
    while (pos < end) {
      pos = wire.varint32(pos, end);
      if (pos < 0) return generic;
      const tag = wire.lo;
      if (tag === ((2 << 3) | LEN)) {
        const valueStart = wire.varint32(pos, end);
        if (valueStart < 0 || wire.lo > end - valueStart) return generic;
        const inner: JsonObject = {};
        this.fields(plan, inner, valueStart, valueStart + wire.lo, depth + 1, 0, join(path, 'value'));
        if (plan.wellKnown !== null) return { '@type': typeUrl, value: this.convert(plan, inner, path, valueStart, valueStart + wire.lo, depth + 1) };
        return { '@type': typeUrl, ...inner };
      }
      pos = wire.skip(tag & 7, tag >>> 3, pos, end, MAX_DEPTH);
    }
    return { '@type': typeUrl };
  }

  /** Decodes one map entry into obj[field.name] and returns its key as JSON gives it. */
  private mapEntry(field: FieldPlan, obj: JsonObject, start: number, end: number, depth: number, path: string): string {
    const { key: keyPlan, value: valuePlan } = field.map!;
    const wire = this.wire;
    let key: JsonValue = null;
    let value: JsonValue | undefined;
    const malformed = `map entry of ${path} is malformed; the entry is kept with what could be read`;
    const spansBefore = this.spans === null ? 0 : this.spans.length;
    let pos = start;
    while (pos < end) {
      const fieldStart = pos;
      const next = wire.varint32(pos, end);
      if (next < 0) {
        this.problem(fieldStart, malformed, path);
        break;
      }
      const number = wire.lo >>> 3;
      const wireType = wire.lo & 7;
      const plan = number === 1 ? keyPlan : number === 2 ? valuePlan : null;
      if (plan !== null && wireType === plan.wireType) {
        if (plan.kind === MESSAGE) {
          const valueStart = this.length(next, end, fieldStart, path, 'value');
          if (valueStart < 0) break;
          pos = valueStart + wire.lo;
          value = this.message(plan, {}, valueStart, pos, depth + 1, path, fieldStart);
          continue;
        }
        pos = this.scalar(plan, next, end);
        if (pos < 0) {
          this.problem(fieldStart, malformed, path);
          break;
        }
        if (number === 1) key = this.value;
        else value = this.value;
      } else {
        pos = wire.skip(wireType, number, next, end, MAX_DEPTH);
        if (pos < 0) {
          this.problem(fieldStart, malformed, path);
          break;
        }
        this.problem(fieldStart, `map entry of ${path} has an unexpected field ${number}; skipped`, path);
      }
    }
    const map = (obj[field.name] ??= {}) as JsonObject;
    const mapKey = key === null ? defaultKey(keyPlan.kind) : String(key);
    map[mapKey] = value !== undefined ? value : defaultValue(valuePlan);
    // Spans inside a message value were opened before the key was known.
    if (this.spans !== null) {
      for (let i = spansBefore; i < this.spans.length; i++) this.spans[i].path = `${path}.${mapKey}${this.spans[i].path.slice(path.length)}`;
    }
    return mapKey;
  }

  /** A repeated numeric field sent packed: one length-delimited run of values. */
  private packed(field: FieldPlan, obj: JsonObject, fieldStart: number, pos: number, end: number, path: string): number {
    const valueStart = this.length(pos, end, fieldStart, path, field.name);
    if (valueStart < 0) return -1;
    const name = join(path, field.name);
    const valueEnd = valueStart + this.wire.lo;
    let list = obj[field.name] as JsonValue[] | undefined;
    if (list === undefined && valueEnd > valueStart) obj[field.name] = list = [];
    let at = valueStart;
    while (at < valueEnd) {
      const after = this.scalar(field, at, valueEnd);
      if (after < 0) {
        this.problem(at, `packed field ${name}: ${this.scalarFailure(after, field, path)}`, path);
        break;
      }
      if (this.spans !== null) this.spans.push({ path: `${name}[${list!.length}]`, start: at, end: after });
      list!.push(this.value);
      at = after;
    }
    return valueEnd;
  }

  private lengthFailed(left: number): number {
    const wire = this.wire;
    this.failedLength = wire.hi !== 0 ? uint64ToString(wire.lo, wire.hi) : String(wire.lo);
    this.failedLeft = left;
    return LENGTH_FAILED;
  }

  private scalarFailure(code: number, field: FieldPlan, path: string): string {
    const name = join(path, field.name);
    if (code === TOO_LONG) return `varint of field ${name} is longer than 10 bytes`;
    if (code === LENGTH_FAILED) return `length ${this.failedLength} of field ${name} runs past the end (${this.failedLeft} bytes left)`;
    return `field ${name} is truncated`;
  }

  /**
   * Reads one scalar value of the field's kind at pos into this.value and
   * this.isDefault; returns the offset after it or a negative code.
   */
  private scalar(field: FieldPlan, pos: number, end: number): number {
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
          this.problem(pos, `field ${field.name} is not valid UTF-8; invalid bytes shown as U+FFFD`, '');
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

  /**
   * A field the schema does not know, kept under its number. The guess:
   * varint → number (decimal string above 2^53−1); fixed32 → {"fixed32": n};
   * fixed64 → {"fixed64": "decimal"}; length-delimited → a string when the bytes
   * are printable UTF-8 without control characters, else an object keyed by
   * field number when they parse as a message, else a string when printable
   * with line breaks, else {"bytes": base64}; group → {"group": {…}}. A number
   * seen more than once becomes an array of these.
   */
  private unknown(number: number, wireType: number, obj: JsonObject, fieldStart: number, pos: number, end: number, depth: number, path: string): number {
    const wire = this.wire;
    // Numeric keys are array-index properties: cheaper than "7", and JSON prints them the same.
    const existing = (obj as unknown as JsonValue[])[number];
    let span: FieldSpan | null = null;
    if (this.spans !== null) {
      if (existing === undefined) (this.firstSpans ??= new Map()).set(number, this.spans.length);
      else if (!Array.isArray(existing)) this.indexFirstOccurrence(join(path, keyOf(number)), this.firstSpans?.get(number));
      span = this.openSpan(this.unknownPath(path, number, existing), fieldStart);
    }
    let value: JsonValue;
    let after: number;
    switch (wireType) {
      case VARINT:
        after = wire.varint(pos, end);
        if (after < 0) {
          const name = join(path, keyOf(number));
          this.problem(fieldStart, after === TOO_LONG ? `varint of field ${name} is longer than 10 bytes` : `field ${name} is truncated`, path);
          return -1;
        }
        value = wire.hi < 0x200000 ? wire.hi * 4294967296 + wire.lo : uint64ToString(wire.lo, wire.hi);
        break;
      case FIXED32:
        if (pos + 4 > end) {
          this.problem(fieldStart, `field ${join(path, keyOf(number))} is truncated`, path);
          return -1;
        }
        value = { fixed32: wire.fixed32(pos) };
        after = pos + 4;
        break;
      case FIXED64:
        if (pos + 8 > end) {
          this.problem(fieldStart, `field ${join(path, keyOf(number))} is truncated`, path);
          return -1;
        }
        wire.fixed64(pos);
        value = { fixed64: uint64ToString(wire.lo, wire.hi) };
        after = pos + 8;
        break;
      case LEN: {
        const valueStart = this.length(pos, end, fieldStart, path, keyOf(number));
        if (valueStart < 0) return -1;
        after = valueStart + wire.lo;
        value = this.guess(valueStart, after, depth, path, number, existing, fieldStart);
        break;
      }
      case START_GROUP: {
        const childPath = span ? span.path : this.unknownPath(path, number, existing);
        if (depth + 1 > MAX_DEPTH) {
          this.problem(fieldStart, `groups nested deeper than ${MAX_DEPTH} levels; the rest is not decoded`, childPath);
          return -1;
        }
        const group: JsonObject = {};
        // Paths inside follow the JSON: "auth.5.group.1".
        after = this.fields(UNKNOWN_MESSAGE, group, pos, end, depth + 1, number, childPath + '.group');
        value = { group };
        break;
      }
      default:
        this.problem(fieldStart, `invalid wire type ${wireType} for field ${number}; the bytes are not a protobuf message from here on`, path);
        return -1;
    }
    if (span) span.end = after < 0 ? end : after;
    if (existing === undefined) (obj as unknown as JsonValue[])[number] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else (obj as unknown as JsonValue[])[number] = [existing, value];
    return after;
  }

  /** The JSON path of an unknown field's next value: "auth.7", or "auth.7[i]" once the number repeats. */
  private unknownPath(path: string, number: number, existing: JsonValue | undefined): string {
    const name = join(path, keyOf(number));
    if (existing === undefined) return name;
    return `${name}[${Array.isArray(existing) ? existing.length : 1}]`;
  }

  private guess(start: number, end: number, depth: number, parentPath: string, number: number, existing: JsonValue | undefined, fieldStart: number): JsonValue {
    const buf = this.buf;
    const text = classifyText(buf, start, end);
    if (text === PLAIN_TEXT) return readUtf8(buf, start, end) ?? '';
    if (this.wire.isMessage(start, end, MAX_DEPTH - depth)) {
      const path = this.unknownPath(parentPath, number, existing);
      if (depth + 1 > MAX_DEPTH) {
        this.problem(fieldStart, `message nested deeper than ${MAX_DEPTH} levels; kept as bytes`, path);
        return { bytes: base64(buf, start, end) };
      }
      const nested: JsonObject = {};
      this.fields(UNKNOWN_MESSAGE, nested, start, end, depth + 1, 0, path);
      return nested;
    }
    if (text !== NOT_TEXT) return readUtf8(buf, start, end) ?? '';
    return { bytes: base64(buf, start, end) };
  }

  /**
   * An unknown number seen a second time becomes an array: the spans of its
   * first value (its own and those inside it, which follow it until its end)
   * get the [0] index.
   */
  private indexFirstOccurrence(path: string, firstIndex: number | undefined): void {
    const spans = this.spans;
    if (spans === null || firstIndex === undefined) return;
    const end = spans[firstIndex].end;
    for (let i = firstIndex; i < spans.length && (i === firstIndex || spans[i].start < end); i++) {
      spans[i].path = path + '[0]' + spans[i].path.slice(path.length);
    }
  }
}

/** scalar() failed on a length prefix that is too long or runs past the end. */
const LENGTH_FAILED = -5;

function defaultKey(kind: number): string {
  if (kind === STRING) return '';
  if (kind === BOOL) return 'false';
  return '0';
}

function defaultValue(plan: FieldPlan): JsonValue {
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
