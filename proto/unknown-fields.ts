// A field the schema does not know, kept under its number with a decoded guess. The
// guess: varint → number (decimal string above 2^53−1); fixed32 → {"fixed32": n};
// fixed64 → {"fixed64": "decimal"}; length-delimited → a string when the bytes are
// printable UTF-8 without control characters, else an object keyed by field number when
// they parse as a message, else a string when printable with line breaks, else
// {"bytes": base64}; group → {"group": {…}}. A number seen more than once becomes an
// array of these. The encoder writes a numbered key back from this guess.

import { childPath } from '../model/json-path.ts';
import type { DecodeProblem, JsonObject, JsonValue } from '../model/types.ts';
import { UNKNOWN_MESSAGE, type MessagePlan } from './plan.ts';
import type { Gatherings } from './gathered-objects.ts';
import { ItemPaths, itemPath, memberPath, type SpanList } from './paths.ts';
import { base64, uint64ToString } from './scalars.ts';
import { classifyText, NOT_TEXT, plainText, readUtf8 } from './text.ts';
import { FIXED32, FIXED64, LEN, MAX_DEPTH, START_GROUP, TOO_LONG, VARINT, type Wire } from './wire.ts';

/** What reading an unknown field needs of the decoder walking the message around it. */
export interface Walk {
  readonly wire: Wire;
  readonly buf: Buffer;
  /** The spans found so far, when the caller asked for them. */
  readonly spans: SpanList | null;
  /** Whether nested levels get their JSON path (always with spans). */
  readonly paths: boolean;
  /** With spans: where each unknown number's first span is in each level being read. */
  readonly firstSpans: FirstSpans;
  /** The values of the unknown message levels being read, by depth. */
  readonly gatherings: Gatherings;
  /** The problems found so far: a guess that backs out takes back those it added. */
  readonly problems: DecodeProblem[];
  problem(offset: number, reason: string, path: string): void;
  /** The value start after the length prefix at pos, or -1 after reporting why not; the length is left in wire.lo. */
  length(pos: number, end: number, fieldStart: number, path: string, name: string): number;
  /** Opens a span when spans are asked for: its index in spans, else -1. */
  openSpan(path: string, start: number): number;
  /** Reads one message level into obj; the offset after it, or -1 when the rest cannot be read. */
  fields(plan: MessagePlan, obj: JsonObject, start: number, end: number, depth: number, group: number, path: string): number;
}

const NUMBER_KEYS: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const DOTTED_NUMBER_KEYS: string[] = NUMBER_KEYS.map((key) => '.' + key);

function keyOf(number: number): string {
  return number < 256 ? NUMBER_KEYS[number] : String(number);
}

/** The object a level of unknown content is read into: a stand-in, its values are gathered (proto/gathered-objects.ts). */
export const GATHERED: JsonObject = Object.freeze({});

/**
 * Reads the unknown field whose tag ends at pos into obj (or the level's gathering, when
 * obj is GATHERED) under its number; the offset after it, or -1 after a problem.
 */
export function readUnknown(walk: Walk, number: number, wireType: number, obj: JsonObject, fieldStart: number, pos: number, end: number, depth: number, path: string): number {
  const wire = walk.wire;
  const gathering = obj === GATHERED ? walk.gatherings.at(depth) : null;
  // Numeric keys are array-index properties: cheaper than "7", and JSON prints them the same.
  const existing = gathering !== null ? gathering.get(number) : (obj as unknown as JsonValue[])[number];
  const span = walk.spans === null ? -1 : openUnknownSpan(walk, walk.spans, depth, path, number, existing, fieldStart, false);
  let value: JsonValue;
  let after: number;
  switch (wireType) {
    case VARINT:
      after = wire.varint(pos, end);
      if (after < 0) {
        const name = childPath(path, keyOf(number), false);
        walk.problem(fieldStart, after === TOO_LONG ? `varint of field ${name} is longer than 10 bytes` : `field ${name} is truncated`, path);
        return -1;
      }
      value = varintValue(wire);
      break;
    case FIXED32:
      if (pos + 4 > end) {
        walk.problem(fieldStart, `field ${childPath(path, keyOf(number), false)} is truncated`, path);
        return -1;
      }
      value = { fixed32: wire.fixed32(pos) };
      after = pos + 4;
      break;
    case FIXED64:
      if (pos + 8 > end) {
        walk.problem(fieldStart, `field ${childPath(path, keyOf(number), false)} is truncated`, path);
        return -1;
      }
      value = fixed64Value(wire, pos);
      after = pos + 8;
      break;
    case LEN: {
      const valueStart = walk.length(pos, end, fieldStart, path, keyOf(number));
      if (valueStart < 0) return -1;
      after = valueStart + wire.lo;
      value = guess(walk, valueStart, after, depth, path, number, existing, fieldStart, span);
      break;
    }
    case START_GROUP: {
      const groupPath = span >= 0 ? walk.spans!.path(span) : walk.paths ? unknownPath(path, number, existing) : '';
      if (depth + 1 > MAX_DEPTH) {
        walk.problem(fieldStart, `groups nested deeper than ${MAX_DEPTH} levels; the rest is not decoded`, groupPath);
        return -1;
      }
      // Paths inside follow the JSON: "auth.5.group.1".
      after = walk.fields(UNKNOWN_MESSAGE, GATHERED, pos, end, depth + 1, number, walk.paths ? groupPath + '.group' : '');
      value = { group: walk.gatherings.at(depth + 1).take() };
      break;
    }
    default:
      walk.problem(fieldStart, `invalid wire type ${wireType} for field ${number}; the bytes are not a protobuf message from here on`, path);
      return -1;
  }
  if (span >= 0) walk.spans!.close(span, after < 0 ? end : after);
  if (gathering !== null) gathering.put(number, existing, value);
  else if (existing === undefined) (obj as unknown as JsonValue[])[number] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else (obj as unknown as JsonValue[])[number] = [existing, value];
  return after;
}

/**
 * The span of an unknown field's next value. A number seen a second time indexes its first
 * value's spans, unless `repeats` said, at the first, that the field after it has the same number.
 */
function openUnknownSpan(walk: Walk, spans: SpanList, depth: number, path: string, number: number, existing: JsonValue | undefined, fieldStart: number, repeats: boolean): number {
  let spanPath: string;
  if (repeats) spanPath = unknownItemPath(path, number, 0);
  else {
    if (existing === undefined) walk.firstSpans.set(depth, number, spans.length);
    else if (!Array.isArray(existing)) indexFirstOccurrence(spans, childPath(path, keyOf(number), false), walk.firstSpans.get(depth, number));
    spanPath = unknownPath(path, number, existing);
  }
  return spans.open(spanPath, fieldStart);
}

/** The varint just read, as a number, or a decimal string above 2^53-1. */
function varintValue(wire: Wire): JsonValue {
  return wire.hi < 0x200000 ? wire.hi * 4294967296 + wire.lo : uint64ToString(wire.lo, wire.hi);
}

function fixed64Value(wire: Wire, pos: number): JsonValue {
  wire.fixed64(pos);
  return { fixed64: uint64ToString(wire.lo, wire.hi) };
}

/** The field number of the tag at pos, or -1 when none reads there. */
function numberAt(wire: Wire, pos: number, end: number): number {
  return pos < end && wire.varint32(pos, end) >= 0 ? wire.lo >>> 3 : -1;
}

/** The value start after the length prefix at pos when the value lies whole before end, else -1. */
function wholeLength(wire: Wire, pos: number, end: number): number {
  const next = wire.varint32(pos, end);
  return next >= 0 && wire.hi === 0 && wire.lo <= end - next ? next : -1;
}

/** The JSON path of an unknown field's next value: "auth.7", or "auth.7[i]" once the number repeats. */
function unknownPath(path: string, number: number, existing: JsonValue | undefined): string {
  if (existing === undefined) return number < 256 ? memberPath(path, NUMBER_KEYS[number], DOTTED_NUMBER_KEYS[number]) : childPath(path, String(number), false);
  return unknownItemPath(path, number, Array.isArray(existing) ? existing.length : 1);
}

const NUMBER_ITEMS: ItemPaths[] = [];

function unknownItemPath(path: string, number: number, index: number): string {
  if (number < 256) return (NUMBER_ITEMS[number] ??= new ItemPaths(NUMBER_KEYS[number])).of(path, index);
  return itemPath(childPath(path, String(number), false), index);
}

/** `span` is the index of the field's own, when spans are asked for (else -1): its path is the value's. */
function guess(walk: Walk, start: number, end: number, depth: number, parentPath: string, number: number, existing: JsonValue | undefined, fieldStart: number, span: number): JsonValue {
  const buf = walk.buf;
  const plain = plainText(buf, start, end);
  if (plain !== null) return plain;
  const path = span >= 0 ? walk.spans!.path(span) : walk.paths ? unknownPath(parentPath, number, existing) : '';
  if (depth + 1 <= MAX_DEPTH) {
    const level = messageLevel(walk, start, end, depth + 1, path);
    if (level === NOT_MESSAGE) return textOrBytes(buf, start, end);
    if (level !== HAS_GROUP) return level;
  }
  if (walk.wire.isMessage(start, end, MAX_DEPTH - depth)) {
    if (depth + 1 > MAX_DEPTH) {
      walk.problem(fieldStart, `message nested deeper than ${MAX_DEPTH} levels; kept as bytes`, path);
      return { bytes: base64(buf, start, end) };
    }
    walk.fields(UNKNOWN_MESSAGE, GATHERED, start, end, depth + 1, 0, path);
    return walk.gatherings.at(depth + 1).take();
  }
  return textOrBytes(buf, start, end);
}

function textOrBytes(buf: Buffer, start: number, end: number): JsonValue {
  if (classifyText(buf, start, end) !== NOT_TEXT) return readUtf8(buf, start, end) ?? '';
  return { bytes: base64(buf, start, end) };
}

const NOT_MESSAGE = 0;
const HAS_GROUP = 1;

/**
 * Length-delimited bytes read as one unknown message level at `depth`, as the walk reads
 * it (proto/decoder.ts fields()), in the same pass that decides whether they are one:
 * each field is read quietly, failing where Wire.isMessage would refuse it (no second
 * read to check it first), and on the first that fails, what the level added (its
 * values, spans and the problems of levels inside) is taken back: NOT_MESSAGE. A group at this level gives HAS_GROUP, for the separate
 * check and walk, whose depth limits differ.
 */
function messageLevel(walk: Walk, start: number, end: number, depth: number, path: string): JsonObject | typeof NOT_MESSAGE | typeof HAS_GROUP {
  const wire = walk.wire;
  const spans = walk.spans;
  const spansBefore = spans === null ? 0 : spans.length;
  const problemsBefore = walk.problems.length;
  if (spans !== null) walk.firstSpans.enter(depth);
  const gathering = walk.gatherings.at(depth);
  let pos = start;
  let verdict: typeof NOT_MESSAGE | typeof HAS_GROUP = NOT_MESSAGE;
  // Each field is read here as readUnknown reads it, with the level's gathering in hand.
  while (pos < end) {
    const fieldStart = pos;
    const next = wire.varint32(pos, end);
    if (next < 0) break;
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (number === 0) break;
    if (wireType !== LEN && wireType !== VARINT && wireType !== FIXED64 && wireType !== FIXED32) {
      if (wireType === START_GROUP) verdict = HAS_GROUP;
      break;
    }
    const existing = gathering.get(number);
    let value: JsonValue;
    if (wireType === LEN) {
      const valueStart = wholeLength(wire, next, end);
      if (valueStart < 0) break;
      pos = valueStart + wire.lo;
      // Repeated fields come one after another: the first value gets its [0] before the spans inside it are made, not after.
      const span = spans === null ? -1 : openUnknownSpan(walk, spans, depth, path, number, existing, fieldStart, existing === undefined && numberAt(wire, pos, end) === number);
      value = guess(walk, valueStart, pos, depth, path, number, existing, fieldStart, span);
      if (span >= 0) spans!.close(span, pos);
    } else {
      if (wireType === VARINT) {
        pos = wire.varint(next, end);
        if (pos < 0) break;
        value = varintValue(wire);
      } else if (wireType === FIXED64) {
        if (next + 8 > end) break;
        value = fixed64Value(wire, next);
        pos = next + 8;
      } else {
        if (next + 4 > end) break;
        value = { fixed32: wire.fixed32(next) };
        pos = next + 4;
      }
      // Nothing lies inside: the span can wait for the value's end.
      if (spans !== null) spans.close(openUnknownSpan(walk, spans, depth, path, number, existing, fieldStart, false), pos);
    }
    gathering.put(number, existing, value);
  }
  if (pos >= end) return gathering.take();
  gathering.clear();
  // Setting an array's length is a call into the runtime, even when it does not change.
  if (spans !== null && spans.length !== spansBefore) spans.truncate(spansBefore);
  if (walk.problems.length !== problemsBefore) walk.problems.length = problemsBefore;
  return verdict;
}

/** Field numbers below this have a slot in the tables of FirstSpans; the rest a map. */
const TABLE_SIZE = 256;

interface FirstSpanTable {
  stamps: Int32Array;
  at: Int32Array;
  large: Map<number, number> | null;
  largeStamp: number;
}

/**
 * With spans: where each unknown number's first span is in each message level being
 * read, to index that span once the number repeats. Levels at one depth never overlap,
 * so one table per depth serves them all, each level told apart by a stamp of its own:
 * nothing is allocated or cleared per level.
 */
export class FirstSpans {
  private readonly tables: FirstSpanTable[] = [];
  /** The stamp of the level being read at each depth. */
  private readonly levels: number[] = [];
  private stamp = 0;

  /** A level begins at `depth`: what earlier levels there recorded no longer counts. */
  enter(depth: number): void {
    if (this.stamp === 0x7fffffff) {
      for (const table of this.tables) table.stamps.fill(0);
      this.stamp = 0;
    }
    this.levels[depth] = ++this.stamp;
  }

  set(depth: number, number: number, spanIndex: number): void {
    const table = (this.tables[depth] ??= { stamps: new Int32Array(TABLE_SIZE), at: new Int32Array(TABLE_SIZE), large: null, largeStamp: 0 });
    const stamp = this.levels[depth];
    if (number < TABLE_SIZE) {
      table.stamps[number] = stamp;
      table.at[number] = spanIndex;
      return;
    }
    if (table.largeStamp !== stamp) {
      table.large = new Map();
      table.largeStamp = stamp;
    }
    table.large!.set(number, spanIndex);
  }

  get(depth: number, number: number): number | undefined {
    const table = this.tables[depth];
    const stamp = this.levels[depth];
    if (table === undefined) return undefined;
    if (number < TABLE_SIZE) return table.stamps[number] === stamp ? table.at[number] : undefined;
    return table.largeStamp === stamp ? table.large!.get(number) : undefined;
  }
}

/**
 * An unknown number seen a second time becomes an array: the spans of its
 * first value (its own and those inside it, which follow it until its end)
 * get the [0] index.
 */
function indexFirstOccurrence(spans: SpanList, path: string, firstIndex: number | undefined): void {
  if (firstIndex === undefined) return;
  const end = spans.end(firstIndex);
  for (let i = firstIndex; i < spans.length && (i === firstIndex || spans.start(i) < end); i++) {
    spans.rename(i, path + '[0]' + spans.path(i).slice(path.length));
  }
}
