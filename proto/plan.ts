// Decode plans: each protobufjs Type compiled once into plain objects the
// decoder can walk without reflection calls (fields by number, kind codes,
// enum names, the wire type each field expects). Plans are cached per type and
// built lazily, so recursive and unused types cost nothing up front.

import protobuf from 'protobufjs';
import type { JsonObject, JsonValue } from '../model/types.ts';
import type { FastFields } from './fast-fields.ts';
import { ItemPaths } from './paths.ts';
import { FIXED32, FIXED64, LEN, START_GROUP, VARINT } from './wire.ts';

export const DOUBLE = 1;
export const FLOAT = 2;
export const INT64 = 3;
export const UINT64 = 4;
export const INT32 = 5;
export const FIXED64_KIND = 6;
export const FIXED32_KIND = 7;
export const BOOL = 8;
export const STRING = 9;
export const BYTES = 10;
export const UINT32 = 11;
export const SFIXED32 = 12;
export const SFIXED64 = 13;
export const SINT32 = 14;
export const SINT64 = 15;
export const ENUM = 16;
export const MESSAGE = 17;
export const GROUP = 18;

const SCALAR_KINDS: Record<string, number> = {
  double: DOUBLE,
  float: FLOAT,
  int64: INT64,
  uint64: UINT64,
  int32: INT32,
  fixed64: FIXED64_KIND,
  fixed32: FIXED32_KIND,
  bool: BOOL,
  string: STRING,
  bytes: BYTES,
  uint32: UINT32,
  sfixed32: SFIXED32,
  sfixed64: SFIXED64,
  sint32: SINT32,
  sint64: SINT64,
};

export function wireTypeOf(kind: number): number {
  switch (kind) {
    case DOUBLE:
    case FIXED64_KIND:
    case SFIXED64:
      return FIXED64;
    case FLOAT:
    case FIXED32_KIND:
    case SFIXED32:
      return FIXED32;
    case STRING:
    case BYTES:
    case MESSAGE:
      return LEN;
    case GROUP:
      return START_GROUP;
    default:
      return VARINT;
  }
}

/** The well-known types MessageToDict prints in their special JSON forms. */
export type WellKnown =
  | 'Timestamp'
  | 'Duration'
  | 'Wrapper'
  | 'Struct'
  | 'Value'
  | 'ListValue'
  | 'FieldMask'
  | 'Empty'
  | 'Any';

const WELL_KNOWN: Record<string, WellKnown> = {
  '.google.protobuf.Timestamp': 'Timestamp',
  '.google.protobuf.Duration': 'Duration',
  '.google.protobuf.DoubleValue': 'Wrapper',
  '.google.protobuf.FloatValue': 'Wrapper',
  '.google.protobuf.Int64Value': 'Wrapper',
  '.google.protobuf.UInt64Value': 'Wrapper',
  '.google.protobuf.Int32Value': 'Wrapper',
  '.google.protobuf.UInt32Value': 'Wrapper',
  '.google.protobuf.BoolValue': 'Wrapper',
  '.google.protobuf.StringValue': 'Wrapper',
  '.google.protobuf.BytesValue': 'Wrapper',
  '.google.protobuf.Struct': 'Struct',
  '.google.protobuf.Value': 'Value',
  '.google.protobuf.ListValue': 'ListValue',
  '.google.protobuf.FieldMask': 'FieldMask',
  '.google.protobuf.Empty': 'Empty',
  '.google.protobuf.Any': 'Any',
};

export interface FieldPlan {
  name: string;
  /** "." + name: the step this field adds to a JSON path. */
  dotted: string;
  /** The JSON paths of a repeated field's items. */
  items: ItemPaths;
  number: number;
  kind: number;
  /** The wire type a single value uses. */
  wireType: number;
  repeated: boolean;
  /** Repeated numeric field: accepted packed (one length-delimited run) and unpacked. */
  packable: boolean;
  /** Whether a default value on the wire is still printed (messages, oneofs, proto2, `optional`). */
  presence: boolean;
  /** Enum value names by number, for enum fields and enum map values. */
  enumNames: Map<number, string> | null;
  /** The same names in an array by number, for the numbers from 0 below ENUM_ARRAY_LIMIT: what the decoder looks up. */
  enumArray: (string | undefined)[] | null;
  /** The nested message's plan, built on first use. */
  message: (() => MessagePlan) | null;
  map: MapPlan | null;
  /** obj[name], by a function of this field's own (see keyAccess). */
  get: (obj: JsonObject) => JsonValue | undefined;
  /** obj[name] = value, by a function of this field's own. */
  set: (obj: JsonObject, value: JsonValue) => void;
}

export interface MapPlan {
  key: FieldPlan;
  value: FieldPlan;
}

export interface MessagePlan {
  /** Fully-qualified name with the leading dot, as protobufjs writes it. */
  fullName: string;
  /** Fields by number for numbers below DENSE_LIMIT. */
  dense: (FieldPlan | undefined)[];
  /** Fields by number above it (rare: extensions-style numbering). */
  sparse: Map<number, FieldPlan> | null;
  wellKnown: WellKnown | null;
  /** The protobufjs type, for Any's type lookups and the summary's operation names. */
  type: protobuf.Type | null;
  /** Its field loop compiled by proto/fast-fields.ts on first use: undefined until then, null when it has no fields. */
  fast: FastFields | null | undefined;
}

const DENSE_LIMIT = 1024;
const ENUM_ARRAY_LIMIT = 1024;

/** A message with no known fields: what the decoder uses for unknown nested bytes. */
export const UNKNOWN_MESSAGE: MessagePlan = { fullName: '', dense: [], sparse: null, wellKnown: null, type: null, fast: null };

export class Plans {
  private readonly cache = new Map<protobuf.Type, MessagePlan>();

  constructor(readonly root: protobuf.Root) {}

  forName(fullName: string): MessagePlan | null {
    const found = this.root.lookup(fullName);
    return found instanceof protobuf.Type ? this.forType(found) : null;
  }

  forType(type: protobuf.Type): MessagePlan {
    const cached = this.cache.get(type);
    if (cached) return cached;
    const plan: MessagePlan = {
      fullName: type.fullName,
      dense: [],
      sparse: null,
      wellKnown: WELL_KNOWN[type.fullName] ?? null,
      type,
      fast: undefined,
    };
    this.cache.set(type, plan);
    // protobufjs ships the google.protobuf types with camelCase names; protoc and python use the .proto names.
    const snake = type.fullName.startsWith('.google.protobuf.');
    for (const field of type.fieldsArray) {
      const fieldPlan = this.field(field, snake ? snakeCase(field.name) : field.name);
      if (field.id < DENSE_LIMIT) plan.dense[field.id] = fieldPlan;
      else (plan.sparse ??= new Map()).set(field.id, fieldPlan);
    }
    return plan;
  }

  private field(field: protobuf.Field, name: string): FieldPlan {
    if (field instanceof protobuf.MapField) {
      return this.mapPlan(name, field.id, this.valuePlan('key', 1, field.keyType, null), this.valuePlan('value', 2, field.type, field.resolvedType));
    }
    const plan = this.valuePlan(name, field.id, field.type, field.resolvedType, field.delimited);
    plan.repeated = field.repeated;
    plan.packable = field.repeated && plan.wireType !== LEN && plan.wireType !== START_GROUP;
    plan.presence = !field.repeated && (plan.kind === MESSAGE || plan.kind === GROUP || field.hasPresence);
    return plan;
  }

  private mapPlan(name: string, number: number, key: FieldPlan, value: FieldPlan): FieldPlan {
    const { get, set } = keyAccess(name);
    return { name, dotted: '.' + name, items: new ItemPaths(name), number, kind: MESSAGE, wireType: LEN, repeated: true, packable: false, presence: false, enumNames: null, enumArray: null, message: null, map: { key, value }, get, set };
  }

  private valuePlan(name: string, number: number, typeName: string, resolved: protobuf.ReflectionObject | null, delimited = false): FieldPlan {
    let kind = SCALAR_KINDS[typeName] ?? 0;
    let enumNames: Map<number, string> | null = null;
    let enumArray: (string | undefined)[] | null = null;
    let message: (() => MessagePlan) | null = null;
    if (resolved instanceof protobuf.Enum) {
      kind = ENUM;
      enumNames = new Map();
      // The first name wins for aliases (allow_alias), as in protoc's output.
      for (const [valueName, value] of Object.entries(resolved.values)) if (!enumNames.has(value)) enumNames.set(value, valueName);
      enumArray = [];
      for (const [value, valueName] of enumNames) if (value >= 0 && value < ENUM_ARRAY_LIMIT) enumArray[value] = valueName;
    } else if (resolved instanceof protobuf.Type) {
      kind = delimited ? GROUP : MESSAGE;
      let built: MessagePlan | null = null;
      message = () => (built ??= this.forType(resolved));
    }
    const { get, set } = keyAccess(name);
    return { name, dotted: '.' + name, items: new ItemPaths(name), number, kind, wireType: wireTypeOf(kind), repeated: false, packable: false, presence: true, enumNames, enumArray, message, map: null, get, set };
  }
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => '_' + letter.toLowerCase());
}

/**
 * Reading and writing one key of JSON objects with functions made for that key alone:
 * V8 then caches the property lookup per field, where one `obj[name]` shared by every
 * field falls back to a generic lookup on each store (the decoder's hottest line).
 */
function keyAccess(name: string): Pick<FieldPlan, 'get' | 'set'> {
  const key = JSON.stringify(name);
  return {
    get: new Function('obj', `return obj[${key}];`) as FieldPlan['get'],
    set: new Function('obj', 'value', `obj[${key}] = value;`) as FieldPlan['set'],
  };
}
