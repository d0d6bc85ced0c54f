// Each message type's field loop compiled into a function of its own: a switch on the
// whole tag, and every field's JSON key written as a constant, so that V8 sees one
// property per store instead of the generic walk's lookups by number and by name.
// It only takes the common path: a field of the schema with the wire type the schema
// gives it. On anything else (an unknown number, another wire type, a value that does
// not read) it returns the offset of that field, and the generic walk in
// proto/decoder.ts decodes that one field, reporting what is wrong, before handing back.

import type { DecodeProblem, JsonObject, JsonValue } from '../model/types.ts';
import { GROUP, MESSAGE, type FieldPlan, type MapPlan, type MessagePlan } from './plan.ts';
import type { SpanList } from './paths.ts';
import { READERS, defaultKey, defaultValue, type ScalarReader } from './scalar-reader.ts';
import { LEN, MAX_DEPTH, type Wire } from './wire.ts';

/** What the compiled loop uses of the decoder. */
export interface FastWalk {
  readonly wire: Wire;
  readonly scalars: ScalarReader;
  readonly spans: SpanList | null;
  readonly problems: DecodeProblem[];
  /** Whether nested levels get their JSON path (see proto/decoder.ts). */
  readonly paths: boolean;
  /** A field of kind MESSAGE or GROUP (maps included); the offset after it, or -1 after a problem. */
  known(field: FieldPlan, obj: JsonObject, fieldStart: number, pos: number, end: number, depth: number, path: string): number;
  /** The value of a message field (not a map) whose bytes are [start, end): the JSON it stores, merged as protobuf merges. */
  message(field: FieldPlan, obj: JsonObject, start: number, end: number, depth: number, path: string, fieldStart: number): JsonValue;
  /** Reads one message level into obj; the offset after it, or -1 when the rest cannot be read. */
  fields(plan: MessagePlan, obj: JsonObject, start: number, end: number, depth: number, group: number, path: string): number;
  /** A well-formed Timestamp's text straight from its bytes, or null for the generic walk to decode. */
  timestamp(start: number, end: number): string | null;
}

/**
 * Reads fields of one level from pos while they take the common path. Returns `end`
 * when the level is done, the start of a field the generic walk must decode, or -1
 * when a nested message failed (the problem is already reported).
 */
export type FastFields = (walk: FastWalk, obj: JsonObject, pos: number, end: number, depth: number, path: string) => number;

/** The compiled loop of a message type, or null when it has no field to compile. */
export function compileFields(plan: MessagePlan): FastFields | null {
  const fields = [...plan.dense, ...(plan.sparse?.values() ?? [])].filter((field): field is FieldPlan => field !== undefined);
  if (fields.length === 0) return null;
  const cases: string[] = [];
  fields.forEach((field, i) => {
    const tag = ((field.number << 3) | field.wireType) >>> 0;
    if (field.map !== null && READERS[field.map.key.kind] !== undefined && READERS[field.map.value.kind] !== undefined) {
      cases.push(`case ${tag}: {\n${mapCase(field, field.map, `F[${i}]`)}\nbreak; }`);
      return;
    }
    if (field.kind === MESSAGE && field.map === null) {
      cases.push(`case ${tag}: {\n${messageCase(field, `F[${i}]`, `M[${i}]`)}\nbreak; }`);
      return;
    }
    if (field.kind === MESSAGE || field.kind === GROUP) {
      cases.push(`case ${tag}: after = walk.known(F[${i}], obj, fieldStart, next, end, depth, path); if (after < 0) return -1; break;`);
      return;
    }
    // A kind without a reader (none the schema loader makes) is left to the generic walk.
    if (READERS[field.kind] === undefined) return;
    cases.push(`case ${tag}: {\n${scalarCase(field, `F[${i}]`)}\nbreak; }`);
    if (field.packable) {
      const packedTag = ((field.number << 3) | LEN) >>> 0;
      cases.push(`case ${packedTag}: {\n${packedCase(field, `F[${i}]`)}\nbreak; }`);
    }
  });
  const source = `return function fastFields(walk, obj, pos, end, depth, path) {
  const wire = walk.wire;
  const scalars = walk.scalars;
  const spans = walk.spans;
  while (pos < end) {
    const fieldStart = pos;
    const next = wire.varint32(pos, end);
    if (next < 0) return fieldStart;
    let after;
    switch (wire.lo) {
${cases.join('\n')}
      default:
        return fieldStart;
    }
    pos = after;
  }
  return pos;
};`;
  // The nested plans of message fields, resolved once here rather than per value.
  const nested = fields.map((field) => (field.kind === MESSAGE && field.map === null ? field.message!() : null));
  return new Function('F', 'M', source)(fields, nested) as FastFields;
}

/** The code of a message field (not a map), as the generic walk's known() reads and stores it. */
function messageCase(field: FieldPlan, plan: string, nestedPlan: string): string {
  const key = JSON.stringify(field.name);
  const member = `(path === '' ? ${key} : path + ${JSON.stringify(field.dotted)})`;
  const childPath = field.repeated ? `${plan}.items.of(path, list === undefined ? 0 : list.length)` : member;
  return `const valueStart = wire.varint32(next, end);
if (valueStart < 0 || wire.hi !== 0 || wire.lo > end - valueStart) return fieldStart;
const valueEnd = valueStart + wire.lo;
${field.repeated ? `const list = obj[${key}];` : ''}
const childPath = walk.paths ? ${childPath} : '';
const span = spans === null ? -1 : spans.open(childPath, fieldStart);
${messageValue(field, plan, key, nestedPlan)}
if (span >= 0) spans.close(span, valueEnd);
${field.repeated ? `if (list === undefined) obj[${key}] = [value];
else list.push(value);` : `obj[${key}] = value;`}
after = valueEnd;`;
}

/**
 * The code that reads a message field's value into `value`, as the generic walk's
 * message() does: a plain message walked straight into its object (a singular one
 * seen twice merged into the first), a Timestamp read as its text; the rest, and
 * anything past the depth limit, through message() itself.
 */
function messageValue(field: FieldPlan, plan: string, key: string, nestedPlan: string): string {
  const generic = `walk.message(${plan}, obj, valueStart, valueEnd, depth, childPath, fieldStart)`;
  const nested = field.message!();
  if (nested.wellKnown === 'Timestamp') {
    return `let value = depth < ${MAX_DEPTH} ? walk.timestamp(valueStart, valueEnd) : null;
if (value === null) value = ${generic};`;
  }
  if (nested.wellKnown !== null) return `const value = ${generic};`;
  const target = field.repeated
    ? '{}'
    : `(existing !== undefined && existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? existing : {})`;
  return `let value;
if (depth < ${MAX_DEPTH}) {
  ${field.repeated ? '' : `const existing = obj[${key}];`}
  value = ${target};
  walk.fields(${nestedPlan}, value, valueStart, valueEnd, depth + 1, 0, childPath);
} else value = ${generic};`;
}

/**
 * The code of a map field whose keys and values are scalars, as the generic walk's
 * mapEntry() stores an entry. An entry holding anything but its key and value tags,
 * or a value that does not read, goes to the generic walk, which reads it again: the
 * problems this read reported (a key or value not valid UTF-8) are taken back first,
 * so that none is reported twice.
 */
function mapCase(field: FieldPlan, map: MapPlan, plan: string): string {
  const key = JSON.stringify(field.name);
  const keyTag = (1 << 3) | map.key.wireType;
  const valueTag = (2 << 3) | map.value.wireType;
  const read = (part: FieldPlan, which: 'key' | 'value') => {
    const reader = READERS[part.kind];
    return `scalars.${reader.method}(${reader.takesField ? `${plan}.map.${which}, ` : ''}at, entryEnd)`;
  };
  return `const entryStart = wire.varint32(next, end);
if (entryStart < 0 || wire.hi !== 0 || wire.lo > end - entryStart) return fieldStart;
const entryEnd = entryStart + wire.lo;
const problemsBefore = walk.problems.length;
let entryKey = null;
let entryValue;
let at = entryStart;
while (at < entryEnd) {
  at = wire.varint32(at, entryEnd);
  if (at < 0) break;
  if (wire.lo === ${keyTag}) {
    at = ${read(map.key, 'key')};
    entryKey = scalars.value;
  } else if (wire.lo === ${valueTag}) {
    at = ${read(map.value, 'value')};
    entryValue = scalars.value;
  } else at = -1;
  if (at < 0) break;
}
if (at < 0) {
  if (walk.problems.length !== problemsBefore) walk.problems.length = problemsBefore;
  return fieldStart;
}
let entries = obj[${key}];
if (entries === undefined || entries === null) obj[${key}] = entries = {};
const mapKey = entryKey === null ? ${JSON.stringify(defaultKey(map.key.kind))} : String(entryKey);
entries[mapKey] = entryValue !== undefined ? entryValue : ${JSON.stringify(defaultValue(map.value))};
if (spans !== null) spans.add((path === '' ? ${JSON.stringify(field.name + '.')} : path + ${JSON.stringify(field.dotted + '.')}) + mapKey, fieldStart, entryEnd);
after = entryEnd;`;
}

/**
 * The code of a repeated numeric field sent packed, as the generic walk's packed()
 * stores it. A value that does not read takes back what this run stored, and the
 * generic walk decodes the run again, reporting the problem.
 */
function packedCase(field: FieldPlan, plan: string): string {
  const key = JSON.stringify(field.name);
  const reader = READERS[field.kind];
  return `const valueStart = wire.varint32(next, end);
if (valueStart < 0 || wire.hi !== 0 || wire.lo > end - valueStart) return fieldStart;
const valueEnd = valueStart + wire.lo;
let list = obj[${key}];
const stored = list === undefined ? 0 : list.length;
const spansBefore = spans === null ? 0 : spans.length;
if (list === undefined && valueEnd > valueStart) list = [];
let at = valueStart;
while (at < valueEnd) {
  const read = scalars.${reader.method}(${reader.takesField ? `${plan}, ` : ''}at, valueEnd);
  if (read < 0) {
    list.length = stored;
    if (spans !== null) spans.truncate(spansBefore);
    return fieldStart;
  }
  if (spans !== null) spans.add(${plan}.items.of(path, list.length), at, read);
  list.push(scalars.value);
  at = read;
}
if (stored === 0 && list !== undefined) obj[${key}] = list;
after = valueEnd;`;
}

/** The code of one scalar field, as the generic walk's known() stores it (see proto/decoder.ts). */
function scalarCase(field: FieldPlan, plan: string): string {
  const key = JSON.stringify(field.name);
  const member = `(path === '' ? ${key} : path + ${JSON.stringify(field.dotted)})`;
  const reader = READERS[field.kind];
  const read = `after = scalars.${reader.method}(${reader.takesField ? `${plan}, ` : ''}next, end);
if (after < 0) return fieldStart;`;
  if (field.repeated) {
    return `${read}
const list = obj[${key}];
if (spans !== null) spans.add(${plan}.items.of(path, list === undefined ? 0 : list.length), fieldStart, after);
if (list === undefined) obj[${key}] = [scalars.value];
else list.push(scalars.value);`;
  }
  const span = `if (spans !== null) spans.add(${member}, fieldStart, after);`;
  if (field.presence) return `${read}\n${span}\nobj[${key}] = scalars.value;`;
  return `${read}
${span}
if (!scalars.isDefault) obj[${key}] = scalars.value;
else if (obj[${key}] !== undefined) delete obj[${key}];`;
}
