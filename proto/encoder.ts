// The codec's other direction: the JSON the decoder gives (and the detail pane
// shows, perhaps edited) back into wire bytes with the loaded schema.
//
// Fields are written in field-number order, as protoc writes them. When the
// recorded bytes are given, every field whose JSON is unchanged is copied from
// them byte for byte, so what the user did not touch goes out exactly as it was
// recorded; that is how fields the schema does not know (numbered keys) keep
// their original bytes. An edited numbered key is written from its guess (see
// Decoder.unknown), with the wire type it had in the recording where there is one.
//
// A value that does not fit its field is a problem naming the path and the reason;
// all of them are collected and thrown together as one EncodeError.

import type { JsonObject, JsonValue } from '../model/types.ts';
import type { Decoder } from './decoder.ts';
import {
  BOOL, BYTES, DOUBLE, ENUM, FIXED32_KIND, FIXED64_KIND, FLOAT, GROUP, INT32, INT64, MESSAGE, SFIXED32, SFIXED64, SINT32, SINT64, STRING, UINT32, UINT64,
  UNKNOWN_MESSAGE,
} from './plan.ts';
import { UserError } from '../model/user-error.ts';
import type { FieldPlan, MessagePlan, Plans } from './plan.ts';
import { END_GROUP, FIXED32, FIXED64, LEN, START_GROUP, VARINT, Wire } from './wire.ts';
import { ProtoWriter } from './writer.ts';

export interface EncodeProblem {
  /** JSON path in the tree's notation: "auth.login.email", "instances.list.ids[2]". */
  path: string;
  reason: string;
}

export class EncodeError extends UserError {
  constructor(readonly problems: EncodeProblem[]) {
    super(problems.map((p) => (p.path === '' ? p.reason : `${p.path}: ${p.reason}`)).join('; '), { details: { problems } });
  }
}

/** One record of the original bytes at one message level. */
interface OriginalRecord {
  number: number;
  wireType: number;
  /** The whole record, tag included. */
  start: number;
  end: number;
  /** The payload of a length-delimited record (else start..end). */
  valueStart: number;
  valueEnd: number;
}

/** The recorded bytes of one message level, when there are any. */
interface Original {
  buf: Uint8Array;
  start: number;
  end: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const DECIMAL = /^-?\d+$/;

/** One encoder per codec. */
export class Encoder {
  private problems: EncodeProblem[] = [];
  private readonly byName = new WeakMap<MessagePlan, Map<string, FieldPlan>>();
  private readonly enumNumbers = new WeakMap<Map<number, string>, Map<string, number>>();
  private readonly wire = new Wire(new Uint8Array(0));

  constructor(
    private readonly plans: Plans,
    private readonly decoder: Decoder,
  ) {}

  /** Throws EncodeError listing every value that does not fit. */
  encode(plan: MessagePlan, json: JsonValue, original?: Uint8Array): Uint8Array {
    this.problems = [];
    const bytes = this.message(plan, json, '', original ? { buf: original, start: 0, end: original.length } : null);
    if (this.problems.length > 0) throw new EncodeError(this.problems);
    return bytes;
  }

  private problem(path: string, reason: string): void {
    this.problems.push({ path, reason });
  }

  private fieldsByName(plan: MessagePlan): Map<string, FieldPlan> {
    let map = this.byName.get(plan);
    if (!map) {
      map = new Map();
      for (const field of [...plan.dense, ...(plan.sparse?.values() ?? [])]) if (field) map.set(field.name, field);
      this.byName.set(plan, map);
    }
    return map;
  }

  /** The records of one level of the original bytes, or none when they do not parse. */
  private records(original: Original | null): OriginalRecord[] {
    if (original === null) return [];
    const wire = this.wire;
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
          pos = this.skipGroup(number, pos, original.end);
          break;
        default:
          return [];
      }
      if (pos < 0 || pos > original.end || number === 0) return [];
      found.push({ number, wireType, start, end: pos, valueStart, valueEnd: pos });
    }
    return found;
  }

  private skipGroup(number: number, pos: number, end: number): number {
    const wire = this.wire;
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
      } else if (wireType === START_GROUP) pos = this.skipGroup(inner, pos, end);
      else return -1;
      if (pos < 0) return -1;
    }
    return -1;
  }

  /** What the decoder makes of the original records of one number, under `key`. */
  private decodedOriginal(plan: MessagePlan, original: Original, records: OriginalRecord[], key: string): JsonValue | undefined {
    const bytes = Buffer.concat(records.map((r) => original.buf.subarray(r.start, r.end)));
    const walked = this.decoder.decode(plan, bytes, false);
    if (walked.problems.length > 0) return undefined;
    return walked.json[key];
  }

  private message(plan: MessagePlan, value: JsonValue, path: string, original: Original | null): Uint8Array {
    let json: JsonObject;
    if (plan.wellKnown !== null) {
      const generic = this.fromWellKnown(plan, value, path);
      if (generic === null) return new Uint8Array(0);
      json = generic;
    } else if (isObject(value)) {
      json = value;
    } else {
      this.problem(path, `expected an object, got ${describe(value)}`);
      return new Uint8Array(0);
    }
    const byNumber = new Map<number, OriginalRecord[]>();
    for (const record of this.records(original)) {
      const list = byNumber.get(record.number);
      if (list) list.push(record);
      else byNumber.set(record.number, [record]);
    }
    const names = this.fieldsByName(plan);
    // [number, is-unknown, key]: names before numbers for the same field number, as the decoder reads them.
    const entries: [number, number, string][] = [];
    for (const key of Object.keys(json)) {
      const field = names.get(key);
      if (field) entries.push([field.number, 0, key]);
      else if (/^[1-9]\d*$/.test(key) && Number(key) <= 536870911) entries.push([Number(key), 1, key]);
      else this.problem(join(path, key), `no field named "${key}" in ${plan.fullName ? plan.fullName.slice(1) : 'this message'}`);
    }
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const out = new ProtoWriter();
    for (const [number, unknown, key] of entries) {
      const value = json[key];
      if (value === null || value === undefined) continue;
      const records = byNumber.get(number) ?? [];
      const fieldPath = join(path, key);
      if (original && records.length > 0) {
        const before = this.decodedOriginal(plan, original, records, key);
        if (before !== undefined && sameJson(before, value)) {
          for (const r of records) out.bytes(original.buf.subarray(r.start, r.end));
          continue;
        }
      }
      const originals = original ? records.map((r) => ({ buf: original.buf, start: r.valueStart, end: r.valueEnd })) : [];
      if (unknown) this.unknownField(out, number, value, fieldPath, originals, records[0]?.wireType);
      else this.field(out, plan, names.get(key)!, value, fieldPath, originals);
    }
    return out.finish();
  }

  private field(out: ProtoWriter, plan: MessagePlan, field: FieldPlan, value: JsonValue, path: string, originals: Original[]): void {
    if (field.map) {
      if (!isObject(value)) return this.problem(path, `expected an object (a map), got ${describe(value)}`);
      for (const [key, entryValue] of Object.entries(value)) {
        const entry = new ProtoWriter();
        const entryPath = `${path}.${key}`;
        this.single(entry, field.map.key, this.mapKey(field.map.key, key, entryPath), entryPath, null, true);
        this.single(entry, field.map.value, entryValue, entryPath, null, true);
        out.tag(field.number, LEN);
        const bytes = entry.finish();
        out.varint(bytes.length);
        out.bytes(bytes);
      }
      return;
    }
    if (!field.repeated) return this.single(out, field, value, path, merged(originals), field.presence);
    if (!Array.isArray(value)) return this.problem(path, `expected an array, got ${describe(value)}`);
    // protobufjs knows whether the field is packed (proto3's default, [packed = true], editions).
    if (field.packable && value.length > 0 && plan.type?.fieldsById[field.number]?.packed) {
      const run = new ProtoWriter();
      value.forEach((item, i) => this.scalar(run, field, item, `${path}[${i}]`));
      out.tag(field.number, LEN);
      const bytes = run.finish();
      out.varint(bytes.length);
      out.bytes(bytes);
      return;
    }
    value.forEach((item, i) => this.single(out, field, item, `${path}[${i}]`, originals[i] ?? null, true));
  }


  /** One value of a field: written unless it is the default of a field without presence. */
  private single(out: ProtoWriter, field: FieldPlan, value: JsonValue, path: string, original: Original | null, always: boolean): void {
    if (value === null) return;
    if (field.kind === MESSAGE || field.kind === GROUP) {
      const bytes = this.message(field.message!(), value, path, original);
      if (field.kind === GROUP) {
        out.tag(field.number, START_GROUP);
        out.bytes(bytes);
        out.tag(field.number, END_GROUP);
      } else {
        out.tag(field.number, LEN);
        out.varint(bytes.length);
        out.bytes(bytes);
      }
      return;
    }
    const scalar = new ProtoWriter();
    const isDefault = this.scalar(scalar, field, value, path);
    if (isDefault && !always) return;
    out.tag(field.number, field.wireType);
    out.bytes(scalar.finish());
  }

  /** Writes one scalar value (no tag); returns whether it is the type's default. */
  private scalar(out: ProtoWriter, field: FieldPlan, value: JsonValue, path: string): boolean {
    switch (field.kind) {
      case INT32:
      case SINT32:
      case SFIXED32: {
        const n = this.integer(value, path, INT32_MIN, INT32_MAX, 'a 32-bit integer');
        if (n === null) return true;
        if (field.kind === SINT32) out.varint(((n << 1) ^ (n >> 31)) >>> 0);
        else if (field.kind === SFIXED32) out.fixed32(n >>> 0);
        else out.varint(n < 0 ? BigInt(n) : n);
        return n === 0;
      }
      case UINT32:
      case FIXED32_KIND: {
        const n = this.integer(value, path, 0, UINT32_MAX, 'an unsigned 32-bit integer');
        if (n === null) return true;
        if (field.kind === FIXED32_KIND) out.fixed32(n);
        else out.varint(n);
        return n === 0;
      }
      case INT64:
      case SINT64:
      case SFIXED64: {
        const n = this.bigInteger(value, path, INT64_MIN, INT64_MAX, 'a 64-bit integer');
        if (n === null) return true;
        if (field.kind === SINT64) out.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
        else if (field.kind === SFIXED64) out.fixed64(n);
        else out.varint(n);
        return n === 0n;
      }
      case UINT64:
      case FIXED64_KIND: {
        const n = this.bigInteger(value, path, 0n, UINT64_MAX, 'an unsigned 64-bit integer');
        if (n === null) return true;
        if (field.kind === FIXED64_KIND) out.fixed64(n);
        else out.varint(n);
        return n === 0n;
      }
      case FLOAT:
      case DOUBLE: {
        const n = this.float(value, path);
        if (n === null) return true;
        const buf = Buffer.alloc(field.kind === FLOAT ? 4 : 8);
        if (field.kind === FLOAT) buf.writeFloatLE(n);
        else buf.writeDoubleLE(n);
        out.bytes(buf);
        return Object.is(n, 0);
      }
      case BOOL:
        if (typeof value !== 'boolean') {
          this.problem(path, `expected true or false, got ${describe(value)}`);
          return true;
        }
        out.varint(value ? 1 : 0);
        return !value;
      case ENUM: {
        const n = this.enumValue(field, value, path);
        if (n === null) return true;
        out.varint(n < 0 ? BigInt(n) : n);
        return n === 0;
      }
      case STRING: {
        if (typeof value !== 'string') {
          this.problem(path, `expected a string, got ${describe(value)}`);
          return true;
        }
        const bytes = Buffer.from(value, 'utf8');
        out.varint(bytes.length);
        out.bytes(bytes);
        return bytes.length === 0;
      }
      case BYTES: {
        const bytes = this.base64(value, path);
        if (bytes === null) return true;
        out.varint(bytes.length);
        out.bytes(bytes);
        return bytes.length === 0;
      }
      default:
        this.problem(path, 'this field cannot be written');
        return true;
    }
  }

  private integer(value: JsonValue, path: string, min: number, max: number, what: string): number | null {
    const n = typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim()) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      this.problem(path, `expected ${what}, got ${describe(value)}`);
      return null;
    }
    if (n < min || n > max) {
      this.problem(path, `${n} is out of range for ${what} (${min} to ${max})`);
      return null;
    }
    return n;
  }

  private bigInteger(value: JsonValue, path: string, min: bigint, max: bigint, what: string): bigint | null {
    let n: bigint | null = null;
    if (typeof value === 'string' && DECIMAL.test(value.trim())) n = BigInt(value.trim());
    else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
    if (n === null) {
      this.problem(path, `expected ${what} (a number or a decimal string), got ${describe(value)}`);
      return null;
    }
    if (n < min || n > max) {
      this.problem(path, `${n} is out of range for ${what} (${min} to ${max})`);
      return null;
    }
    return n;
  }

  private float(value: JsonValue, path: string): number | null {
    if (typeof value === 'number') return value;
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    this.problem(path, `expected a number, got ${describe(value)}`);
    return null;
  }

  private enumValue(field: FieldPlan, value: JsonValue, path: string): number | null {
    const names = field.enumNames!;
    if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value;
    if (typeof value === 'string') {
      let numbers = this.enumNumbers.get(names);
      if (!numbers) {
        numbers = new Map();
        for (const [number, name] of names) numbers.set(name, number);
        this.enumNumbers.set(names, numbers);
      }
      const number = numbers.get(value);
      if (number !== undefined) return number;
      const known = [...numbers.keys()];
      this.problem(path, `"${value}" is not a value of this enum; use one of ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''} or a number`);
      return null;
    }
    this.problem(path, `expected an enum name or number, got ${describe(value)}`);
    return null;
  }

  private base64(value: JsonValue, path: string): Uint8Array | null {
    if (typeof value !== 'string' || !BASE64.test(value)) {
      this.problem(path, `expected base64 bytes, got ${describe(value)}`);
      return null;
    }
    return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  }

  /** Map keys are strings in JSON; the key field's own kind decides what they must spell. */
  private mapKey(key: FieldPlan, text: string, path: string): JsonValue {
    if (key.kind === STRING) return text;
    if (key.kind === BOOL) {
      if (text === 'true' || text === 'false') return text === 'true';
      this.problem(path, `map key "${text}" must be true or false`);
      return null;
    }
    return text;
  }

  /** A numbered key: a field the schema does not know, written from the decoder's guess. */
  private unknownField(out: ProtoWriter, number: number, value: JsonValue, path: string, originals: Original[], recordedWireType: number | undefined): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.unknownValue(out, number, item, `${path}[${i}]`, originals[i] ?? null, recordedWireType));
      return;
    }
    this.unknownValue(out, number, value, path, originals.length === 1 ? originals[0] : null, recordedWireType);
  }

  private unknownValue(out: ProtoWriter, number: number, value: JsonValue, path: string, original: Original | null, recordedWireType: number | undefined): void {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) return this.problem(path, `an unknown field holds whole numbers (varints), got ${value}`);
      out.tag(number, VARINT);
      out.varint(value < 0 ? BigInt(value) : value);
      return;
    }
    if (typeof value === 'string') {
      // The decoder writes a varint above 2^53 as a decimal string; the recording, when there is
      // one, says which it was.
      if (recordedWireType !== LEN && DECIMAL.test(value)) {
        const n = BigInt(value);
        const varint = recordedWireType === VARINT ? n >= INT64_MIN : n > BigInt(Number.MAX_SAFE_INTEGER);
        if (varint && n <= UINT64_MAX) {
          out.tag(number, VARINT);
          out.varint(n);
          return;
        }
      }
      const bytes = Buffer.from(value, 'utf8');
      out.tag(number, LEN);
      out.varint(bytes.length);
      out.bytes(bytes);
      return;
    }
    if (!isObject(value)) return this.problem(path, `expected a number, a string or an object for field ${number}, got ${describe(value)}`);
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'fixed32') {
      const n = this.integer(value.fixed32, `${path}.fixed32`, 0, UINT32_MAX, 'an unsigned 32-bit integer');
      if (n === null) return;
      out.tag(number, FIXED32);
      out.fixed32(n);
      return;
    }
    if (keys.length === 1 && keys[0] === 'fixed64') {
      const n = this.bigInteger(value.fixed64, `${path}.fixed64`, INT64_MIN, UINT64_MAX, 'a 64-bit integer');
      if (n === null) return;
      out.tag(number, FIXED64);
      out.fixed64(n);
      return;
    }
    if (keys.length === 1 && keys[0] === 'bytes') {
      const bytes = this.base64(value.bytes, `${path}.bytes`);
      if (bytes === null) return;
      out.tag(number, LEN);
      out.varint(bytes.length);
      out.bytes(bytes);
      return;
    }
    if (keys.length === 1 && keys[0] === 'group') {
      if (!isObject(value.group)) return this.problem(`${path}.group`, `expected an object, got ${describe(value.group)}`);
      out.tag(number, START_GROUP);
      out.bytes(this.message(UNKNOWN_MESSAGE, value.group, `${path}.group`, null));
      out.tag(number, END_GROUP);
      return;
    }
    const bytes = this.message(UNKNOWN_MESSAGE, value, path, original);
    out.tag(number, LEN);
    out.varint(bytes.length);
    out.bytes(bytes);
  }

  /** A well-known type's JSON form back into its generic fields; null after a problem. */
  private fromWellKnown(plan: MessagePlan, value: JsonValue, path: string): JsonObject | null {
    const bad = (what: string) => {
      this.problem(path, `expected ${what}, got ${describe(value)}`);
      return null;
    };
    switch (plan.wellKnown) {
      case 'Timestamp': {
        if (isObject(value)) return value;
        if (typeof value !== 'string') return bad('an RFC 3339 time such as "2023-11-14T22:13:20Z"');
        const parsed = parseTimestamp(value);
        return parsed ?? bad('an RFC 3339 time such as "2023-11-14T22:13:20Z"');
      }
      case 'Duration': {
        if (isObject(value)) return value;
        const match = typeof value === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
        if (!match) return bad('a duration such as "1.5s"');
        const sign = match[1] ? -1 : 1;
        const nanos = Number((match[3] ?? '').padEnd(9, '0'));
        return { seconds: String(BigInt(match[2]) * BigInt(sign)), nanos: sign * nanos };
      }
      case 'Wrapper':
        return { value };
      case 'Struct':
        return isObject(value) ? { fields: value } : bad('an object');
      case 'ListValue':
        return Array.isArray(value) ? { values: value } : bad('an array');
      case 'Value':
        if (value === null) return { null_value: 'NULL_VALUE' };
        if (typeof value === 'number') return { number_value: value };
        if (typeof value === 'string') return { string_value: value };
        if (typeof value === 'boolean') return { bool_value: value };
        if (Array.isArray(value)) return { list_value: value };
        return { struct_value: value };
      case 'FieldMask':
        if (typeof value !== 'string') return bad('a comma-separated list of field paths');
        return { paths: value === '' ? [] : value.split(',').map((p) => p.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())) };
      case 'Any': {
        if (!isObject(value)) return bad('an object');
        const typeUrl = value['@type'];
        if (typeUrl === undefined) return value;
        if (typeof typeUrl !== 'string') return bad('"@type" to be a type URL');
        const inner = this.plans.forName('.' + typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
        if (inner === null) {
          this.problem(`${path}.@type`, `the schema has no type ${typeUrl}; load it with --proto`);
          return null;
        }
        const { '@type': _type, ...fields } = value;
        const body = inner.wellKnown !== null ? fields.value ?? null : fields;
        const bytes = this.message(inner, body, path, null);
        return { type_url: typeUrl, value: Buffer.from(bytes).toString('base64') };
      }
      default:
        return isObject(value) ? value : bad('an object');
    }
  }
}

function merged(originals: Original[]): Original | null {
  if (originals.length === 0) return null;
  if (originals.length === 1) return originals[0];
  // A singular message sent twice is merged by parsers; so is its payload, concatenated.
  const buf = Buffer.concat(originals.map((o) => o.buf.subarray(o.start, o.end)));
  return { buf, start: 0, end: buf.length };
}

function parseTimestamp(text: string): JsonObject | null {
  const match = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return null;
  const date = new Date(0);
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  date.setUTCHours(Number(match[4]), Number(match[5]), Number(match[6]), 0);
  let seconds = Math.floor(date.getTime() / 1000);
  if (Number.isNaN(seconds)) return null;
  if (match[8].length > 1) {
    const offset = (Number(match[8].slice(1, 3)) * 60 + Number(match[8].slice(4, 6))) * 60;
    seconds -= match[8][0] === '+' ? offset : -offset;
  }
  return { seconds: String(seconds), nanos: Number((match[7] ?? '').padEnd(9, '0')) };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
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

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? text.slice(0, 37) + '…' : text;
}
