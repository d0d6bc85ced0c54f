// The schema-driven walk over the wire bytes: JSON as python's
// MessageToDict(preserving_proto_field_name=True) gives it, plus every field the
// schema does not know, kept under its number with a decoded guess
// (proto/unknown-fields.ts), plus problems with byte offsets and, on request, byte
// spans. Scalars are read by proto/scalar-reader.ts; the common path of each
// message type runs as a loop compiled for it (proto/fast-fields.ts).
//
// It never throws on input: every length is checked against what is left,
// nesting stops at MAX_DEPTH, and a failure inside a length-delimited value is
// reported and skipped so the rest of the message still decodes.

import type { DecodeProblem, FieldSpans, JsonObject, JsonValue } from '../model/types.ts';
import { GROUP, MESSAGE } from './plan.ts';
import type { FieldPlan, MessagePlan, Plans } from './plan.ts';
import { ScalarReader, defaultKey, defaultValue } from './scalar-reader.ts';
import { SpanList, memberPath } from './paths.ts';
import { asBuffer, base64, uint64ToString } from './scalars.ts';
import { compileFields, type FastWalk } from './fast-fields.ts';
import { Gatherings } from './gathered-objects.ts';
import { FirstSpans, readUnknown, type Walk } from './unknown-fields.ts';
import { convertWellKnown, timestampText } from './well-known.ts';
import { END_GROUP, FIXED32, LEN, MAX_DEPTH, TOO_LONG, TRUNCATED, VARINT, WIRE_TYPE_NAMES, Wire } from './wire.ts';

const EMPTY = Buffer.alloc(0);
/** google.protobuf.Timestamp's tags: seconds (1) and nanos (2), both varints. */
const TIMESTAMP_SECONDS = (1 << 3) | VARINT;
const TIMESTAMP_NANOS = (2 << 3) | VARINT;

function malformedEntry(path: string): string {
  return `map entry of ${path} is malformed; the entry is kept with what could be read`;
}

function join(path: string, name: string): string {
  return path === '' ? name : path + '.' + name;
}

export interface WalkResult {
  json: JsonObject;
  problems: DecodeProblem[];
  spans: FieldSpans | undefined;
}

/**
 * One decoder per codec, reused across calls: decode is synchronous, so calls never overlap.
 * Only decode is for callers; the rest of what Walk and FastWalk ask is public for
 * readUnknown and the compiled field loops.
 */
export class Decoder implements Walk, FastWalk {
  readonly wire = new Wire(EMPTY);
  buf: Buffer = EMPTY;
  problems: DecodeProblem[] = [];
  spans: SpanList | null = null;
  private readonly spanList = new SpanList();
  /**
   * Whether nested levels get their JSON path. Only spans and problems use it, so a
   * decode without spans walks without paths, and walks again with them only when
   * there was a problem to place: malformed input costs twice, the rest builds no path.
   */
  paths = false;
  readonly firstSpans = new FirstSpans();
  readonly gatherings = new Gatherings();
  readonly scalars = new ScalarReader(this.wire, (offset, field) =>
    this.problem(offset, `field ${field} is not valid UTF-8; invalid bytes shown as U+FFFD`, ''),
  );

  constructor(private readonly plans: Plans) {}

  decode(plan: MessagePlan, bytes: Uint8Array, wantSpans: boolean): WalkResult {
    this.buf = asBuffer(bytes);
    this.wire.buf = this.buf;
    this.scalars.buf = this.buf;
    let result = this.walk(plan, wantSpans, wantSpans);
    if (!wantSpans && result.problems.length > 0) result = this.walk(plan, false, true);
    this.buf = EMPTY;
    this.wire.buf = EMPTY;
    this.scalars.buf = EMPTY;
    this.spans = null;
    this.scalars.value = null;
    return result;
  }

  private walk(plan: MessagePlan, wantSpans: boolean, paths: boolean): WalkResult {
    this.problems = [];
    this.spans = wantSpans ? this.spanList : null;
    if (wantSpans) this.spanList.begin(this.buf.length);
    this.paths = paths;
    this.gatherings.clear();
    const json: JsonObject = {};
    try {
      this.fields(plan, json, 0, this.buf.length, 0, 0, '');
    } catch (err) {
      // Defence in depth: the walk is bounded, but a bug must cost a problem entry, not the caller.
      this.problem(0, `the decoder failed (${(err as Error).message}); the JSON may be incomplete`, '');
    }
    return { json, problems: this.problems, spans: this.spans === null ? undefined : this.spans.take(this.buf.length) };
  }

  problem(offset: number, reason: string, path: string): void {
    this.problems.push(path === '' ? { offset, reason } : { offset, reason, path });
  }

  /**
   * Reads the fields of one message level from start to end (or to the end tag
   * of `group`) into obj. Returns the offset after the level, or -1 when the
   * rest of this level cannot be read (the problem is already reported).
   */
  fields(plan: MessagePlan, obj: JsonObject, start: number, end: number, depth: number, group: number, path: string): number {
    if (this.spans !== null) this.firstSpans.enter(depth);
    const wire = this.wire;
    const dense = plan.dense;
    const fast = group === 0 ? (plan.fast === undefined ? (plan.fast = compileFields(plan)) : plan.fast) : null;
    let pos = start;
    while (pos < end) {
      if (fast !== null) {
        pos = fast(this, obj, pos, end, depth, path);
        if (pos < 0) return -1;
        if (pos >= end) break;
      }
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
        else if (wireType > FIXED32) pos = readUnknown(this, number, wireType, obj, fieldStart, next, end, depth, path);
        else {
          this.problem(
            fieldStart,
            `field ${join(path, field.name)} (${number}) arrived as ${WIRE_TYPE_NAMES[wireType]} but the schema says ${WIRE_TYPE_NAMES[field.wireType]}; kept under "${number}"`,
            path,
          );
          pos = readUnknown(this, number, wireType, obj, fieldStart, next, end, depth, path);
        }
      } else {
        pos = readUnknown(this, number, wireType, obj, fieldStart, next, end, depth, path);
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
  length(pos: number, end: number, fieldStart: number, path: string, name: string): number {
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

  openSpan(path: string, start: number): number {
    return this.spans === null ? -1 : this.spans.open(path, start);
  }

  known(field: FieldPlan, obj: JsonObject, fieldStart: number, pos: number, end: number, depth: number, path: string): number {
    const kind = field.kind;
    if (kind === MESSAGE) {
      const valueStart = this.length(pos, end, fieldStart, path, field.name);
      if (valueStart < 0) return -1;
      const childPath = this.childPath(field, obj, path);
      const valueEnd = valueStart + this.wire.lo;
      const span = this.openSpan(childPath, fieldStart);
      if (field.map) {
        const key = this.mapEntry(field, obj, valueStart, valueEnd, depth, childPath);
        if (span >= 0) {
          this.spans!.rename(span, `${childPath}.${key}`);
          this.spans!.close(span, valueEnd);
        }
        return valueEnd;
      }
      const value = this.message(field, obj, valueStart, valueEnd, depth, childPath, fieldStart);
      if (span >= 0) this.spans!.close(span, valueEnd);
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
      if (span >= 0) this.spans!.close(span, after < 0 ? end : after);
      this.put(field, obj, value);
      return after;
    }
    const scalars = this.scalars;
    const after = scalars.read(field, pos, end);
    if (after < 0) {
      this.problem(fieldStart, scalars.failure(after, join(path, field.name)), path);
      return -1;
    }
    if (this.spans !== null) this.spans.add(this.childPath(field, obj, path), fieldStart, after);
    if (scalars.isDefault && !field.presence && !field.repeated) {
      if (obj[field.name] !== undefined) delete obj[field.name];
      return after;
    }
    this.put(field, obj, scalars.value);
    return after;
  }

  /** The JSON path of the value about to be stored: name, or name[i] for a repeated field. */
  private childPath(field: FieldPlan, obj: JsonObject, path: string): string {
    if (!this.paths) return '';
    if (!field.repeated || field.map) return memberPath(path, field.name, field.dotted);
    const list = field.get(obj) as JsonValue[] | undefined;
    return field.items.of(path, list === undefined ? 0 : list.length);
  }

  private put(field: FieldPlan, obj: JsonObject, value: JsonValue): void {
    if (field.repeated) {
      if (field.map) return;
      const list = field.get(obj) as JsonValue[] | undefined;
      if (list === undefined) field.set(obj, [value]);
      else list.push(value);
    } else {
      field.set(obj, value);
    }
  }

  message(field: FieldPlan, obj: JsonObject, start: number, end: number, depth: number, path: string, fieldStart: number): JsonValue {
    if (depth + 1 > MAX_DEPTH) {
      this.problem(fieldStart, `message nested deeper than ${MAX_DEPTH} levels; kept as bytes`, path);
      return { bytes: base64(this.buf, start, end) };
    }
    const plan = field.message!();
    if (plan.wellKnown === 'Timestamp') {
      const text = this.timestamp(start, end);
      if (text !== null) return text;
    }
    // A singular message seen twice is merged into the first, as protobuf parsers do.
    const existing = field.repeated ? undefined : field.get(obj);
    const target: JsonObject = existing !== undefined && existing !== null && typeof existing === 'object' && !Array.isArray(existing) && plan.wellKnown === null ? existing : {};
    const spansBefore = this.spans === null ? 0 : this.spans.length;
    this.fields(plan, target, start, end, depth + 1, 0, path);
    if (plan.wellKnown === null) return target;
    // A well-known type prints as one value ("2023-11-14T22:13:20Z"): its inner fields have no JSON path.
    if (this.spans !== null) this.spans.truncate(spansBefore);
    return this.convert(plan, target, path, start, end, depth + 1);
  }

  /**
   * A Timestamp's text straight from its bytes, without the generic object and its int64
   * string: null for anything but well-formed seconds and nanos in range, which the
   * generic walk then decodes, reporting what is wrong.
   */
  timestamp(start: number, end: number): string | null {
    const wire = this.wire;
    let seconds = 0;
    let nanos = 0;
    let pos = start;
    while (pos < end) {
      pos = wire.varint32(pos, end);
      if (pos < 0) return null;
      const tag = wire.lo;
      if (tag !== TIMESTAMP_SECONDS && tag !== TIMESTAMP_NANOS) return null;
      pos = wire.varint(pos, end);
      if (pos < 0) return null;
      if (tag === TIMESTAMP_NANOS) nanos = wire.lo | 0;
      else if (wire.hi < 0x200000) seconds = wire.hi * 4294967296 + wire.lo;
      else if (wire.hi >= 0xffe00000) seconds = (wire.hi - 4294967296) * 4294967296 + wire.lo;
      else return null;
    }
    return Number.isSafeInteger(seconds) ? timestampText(seconds, nanos) : null;
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
        this.fields(plan, inner, valueStart, valueStart + wire.lo, depth + 1, 0, this.paths ? join(path, 'value') : '');
        if (plan.wellKnown !== null) return { '@type': typeUrl, value: this.convert(plan, inner, path, valueStart, valueStart + wire.lo, depth + 1) };
        return { '@type': typeUrl, ...inner };
      }
      pos = wire.skip(tag & 7, tag >>> 3, pos, end, MAX_DEPTH);
      if (pos < 0) return generic;
    }
    return { '@type': typeUrl };
  }

  /** Decodes one map entry into obj[field.name] and returns its key as JSON gives it. */
  private mapEntry(field: FieldPlan, obj: JsonObject, start: number, end: number, depth: number, path: string): string {
    const { key: keyPlan, value: valuePlan } = field.map!;
    const wire = this.wire;
    let key: JsonValue = null;
    let value: JsonValue | undefined;
    const spansBefore = this.spans === null ? 0 : this.spans.length;
    let pos = start;
    while (pos < end) {
      const fieldStart = pos;
      const next = wire.varint32(pos, end);
      if (next < 0) {
        this.problem(fieldStart, malformedEntry(path), path);
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
        pos = this.scalars.read(plan, next, end);
        if (pos < 0) {
          this.problem(fieldStart, malformedEntry(path), path);
          break;
        }
        if (number === 1) key = this.scalars.value;
        else value = this.scalars.value;
      } else {
        pos = wire.skip(wireType, number, next, end, MAX_DEPTH);
        if (pos < 0) {
          this.problem(fieldStart, malformedEntry(path), path);
          break;
        }
        this.problem(fieldStart, `map entry of ${path} has an unexpected field ${number}; skipped`, path);
      }
    }
    let map = field.get(obj) as JsonObject | null | undefined;
    if (map === undefined || map === null) field.set(obj, (map = {}));
    const mapKey = key === null ? defaultKey(keyPlan.kind) : String(key);
    map[mapKey] = value !== undefined ? value : defaultValue(valuePlan);
    // Spans inside a message value were opened before the key was known.
    if (this.spans !== null) {
      const spans = this.spans;
      for (let i = spansBefore; i < spans.length; i++) spans.rename(i, `${path}.${mapKey}${spans.path(i).slice(path.length)}`);
    }
    return mapKey;
  }

  /** A repeated numeric field sent packed: one length-delimited run of values. */
  private packed(field: FieldPlan, obj: JsonObject, fieldStart: number, pos: number, end: number, path: string): number {
    const valueStart = this.length(pos, end, fieldStart, path, field.name);
    if (valueStart < 0) return -1;
    const name = this.paths ? memberPath(path, field.name, field.dotted) : '';
    const valueEnd = valueStart + this.wire.lo;
    let list = field.get(obj) as JsonValue[] | undefined;
    if (list === undefined && valueEnd > valueStart) field.set(obj, (list = []));
    const scalars = this.scalars;
    let at = valueStart;
    while (at < valueEnd) {
      const after = scalars.read(field, at, valueEnd);
      if (after < 0) {
        this.problem(at, `packed field ${name}: ${scalars.failure(after, name)}`, path);
        break;
      }
      if (this.spans !== null) this.spans.add(field.items.of(path, list!.length), at, after);
      list!.push(scalars.value);
      at = after;
    }
    return valueEnd;
  }
}
