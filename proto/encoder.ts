// The codec's other direction: the JSON the decoder gives (and the detail pane
// shows, perhaps edited) back into wire bytes with the loaded schema.
//
// Fields are written in field-number order, as protoc writes them. When the
// recorded bytes are given, every field whose JSON is unchanged is copied from
// them byte for byte, so what the user did not touch goes out exactly as it was
// recorded; that is how fields the schema does not know (numbered keys) keep
// their original bytes (proto/original-bytes.ts). An edited numbered key is written
// from its guess (proto/unknown-fields.ts), with the wire type it had in the recording
// where there is one.
//
// A value that does not fit its field is a problem naming the path and the reason
// (proto/value-checks.ts); all of them are collected and thrown together as one EncodeError.

import type { JsonObject, JsonValue } from '../model/types.ts';
import type { Decoder } from './decoder.ts';
import { merged, recordsByNumber, unchanged, type Original } from './original-bytes.ts';
import {
  BOOL, BYTES, DOUBLE, ENUM, FIXED32_KIND, FIXED64_KIND, FLOAT, GROUP, INT32, INT64, MESSAGE, SFIXED32, SFIXED64, SINT32, SINT64, STRING, UINT32, UINT64,
  UNKNOWN_MESSAGE,
} from './plan.ts';
import { UserError } from '../model/user-error.ts';
import type { FieldPlan, MessagePlan, Plans } from './plan.ts';
import { DECIMAL, describe, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, isObject, UINT32_MAX, UINT64_MAX, ValueChecks } from './value-checks.ts';
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

/** One encoder per codec. */
export class Encoder {
  private problems: EncodeProblem[] = [];
  private readonly byName = new WeakMap<MessagePlan, Map<string, FieldPlan>>();
  private readonly wire = new Wire(new Uint8Array(0));
  private readonly checks = new ValueChecks((path, reason) => this.problem(path, reason));

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
    const byNumber = recordsByNumber(this.wire, original);
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
      if (original && records.length > 0 && unchanged(this.decoder, plan, original, records, key, value)) {
        for (const r of records) out.bytes(original.buf.subarray(r.start, r.end));
        continue;
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
        this.single(entry, field.map.key, this.checks.mapKey(field.map.key, key, entryPath), entryPath, null, true);
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
        const n = this.checks.integer(value, path, INT32_MIN, INT32_MAX, 'a 32-bit integer');
        if (n === null) return true;
        if (field.kind === SINT32) out.varint(((n << 1) ^ (n >> 31)) >>> 0);
        else if (field.kind === SFIXED32) out.fixed32(n >>> 0);
        else out.varint(n < 0 ? BigInt(n) : n);
        return n === 0;
      }
      case UINT32:
      case FIXED32_KIND: {
        const n = this.checks.integer(value, path, 0, UINT32_MAX, 'an unsigned 32-bit integer');
        if (n === null) return true;
        if (field.kind === FIXED32_KIND) out.fixed32(n);
        else out.varint(n);
        return n === 0;
      }
      case INT64:
      case SINT64:
      case SFIXED64: {
        const n = this.checks.bigInteger(value, path, INT64_MIN, INT64_MAX, 'a 64-bit integer');
        if (n === null) return true;
        if (field.kind === SINT64) out.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
        else if (field.kind === SFIXED64) out.fixed64(n);
        else out.varint(n);
        return n === 0n;
      }
      case UINT64:
      case FIXED64_KIND: {
        const n = this.checks.bigInteger(value, path, 0n, UINT64_MAX, 'an unsigned 64-bit integer');
        if (n === null) return true;
        if (field.kind === FIXED64_KIND) out.fixed64(n);
        else out.varint(n);
        return n === 0n;
      }
      case FLOAT:
      case DOUBLE: {
        const n = this.checks.float(value, path);
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
        const n = this.checks.enumValue(field, value, path);
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
        const bytes = this.checks.base64(value, path);
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
      const n = this.checks.integer(value.fixed32, `${path}.fixed32`, 0, UINT32_MAX, 'an unsigned 32-bit integer');
      if (n === null) return;
      out.tag(number, FIXED32);
      out.fixed32(n);
      return;
    }
    if (keys.length === 1 && keys[0] === 'fixed64') {
      const n = this.checks.bigInteger(value.fixed64, `${path}.fixed64`, INT64_MIN, UINT64_MAX, 'a 64-bit integer');
      if (n === null) return;
      out.tag(number, FIXED64);
      out.fixed64(n);
      return;
    }
    if (keys.length === 1 && keys[0] === 'bytes') {
      const bytes = this.checks.base64(value.bytes, `${path}.bytes`);
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

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
