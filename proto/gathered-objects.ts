// The JSON objects of message levels the schema does not describe ({"1": "a", "2": 7}),
// gathered by field number and made when the level ends. V8 makes an object with
// numeric keys fastest from a literal of those keys: added one by one to an empty
// object, each grows its storage through a slow call and goes through one generic
// store shared by every object. So the values wait in an array kept for the purpose,
// and the object comes from a literal made once per set of numbers.

import type { JsonObject, JsonValue } from '../model/types.ts';

/** Field numbers below this wait in the array; the rest (rare) in a map. */
const SMALL = 256;
/** Literals kept at most: beyond them (hostile input), objects are built key by key. */
const MAX_LITERALS = 1024;

type Make = (values: (JsonValue | undefined)[]) => JsonObject;

interface Literal {
  hash: number;
  /** Its numbers, marked. */
  members: Uint8Array;
  count: number;
  make: Make;
}

const literals = new Map<number, Literal[]>();
let literalCount = 0;

/** One unknown level's values while it is read. */
class Gathering {
  /** By field number; every slot stays (undefined when empty), so storing never grows the array. */
  private readonly values: (JsonValue | undefined)[] = new Array<JsonValue | undefined>(SMALL).fill(undefined);
  /** The numbers below SMALL gathered so far, in the order first seen: the first `count` entries. */
  private readonly numbers: number[] = [];
  private count = 0;
  /** Of the numbers, order aside: which literal to use. */
  private hash = 0;
  private large: Map<number, JsonValue> | null = null;
  /** The literal this depth used last: the levels at one depth mostly share their numbers. */
  private last: Literal | null = null;

  get(number: number): JsonValue | undefined {
    return number < SMALL ? this.values[number] : this.large?.get(number);
  }

  /** Stores `value` under `number`, whose current value is `existing`: a second one makes an array, as in the JSON. */
  put(number: number, existing: JsonValue | undefined, value: JsonValue): void {
    let stored: JsonValue;
    if (existing === undefined) stored = value;
    else if (Array.isArray(existing)) {
      existing.push(value);
      return;
    } else stored = [existing, value];
    if (number >= SMALL) {
      (this.large ??= new Map()).set(number, stored);
      return;
    }
    if (existing === undefined) {
      this.numbers[this.count++] = number;
      this.hash = (this.hash + Math.imul(number + 1, 0x9e3779b1)) | 0;
    }
    this.values[number] = stored;
  }

  /** The level's JSON object; the gathering is empty again after. */
  take(): JsonObject {
    let obj: JsonObject;
    if (this.count === 0) obj = {};
    else {
      const last = this.last;
      const literal = last !== null && last.hash === this.hash && holds(last, this.numbers, this.count) ? last : literalFor(this.numbers, this.count, this.hash);
      this.last = literal;
      obj = literal.make(this.values);
    }
    if (this.large !== null) for (const [number, value] of this.large) (obj as unknown as JsonValue[])[number] = value;
    this.clear();
    return obj;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.values[this.numbers[i]] = undefined;
    this.count = 0;
    this.hash = 0;
    this.large = null;
  }
}

/** One gathering per depth: levels at one depth never overlap. */
export class Gatherings {
  private readonly levels: Gathering[] = [];

  at(depth: number): Gathering {
    return (this.levels[depth] ??= new Gathering());
  }

  /** Empties them all, after a walk that may have stopped half way. */
  clear(): void {
    for (const level of this.levels) level?.clear();
  }
}

function literalFor(numbers: number[], count: number, hash: number): Literal {
  const candidates = literals.get(hash);
  if (candidates !== undefined) for (const literal of candidates) if (holds(literal, numbers, count)) return literal;
  const sorted = numbers.slice(0, count).sort((a, b) => a - b);
  const members = new Uint8Array(SMALL);
  for (const number of sorted) members[number] = 1;
  if (literalCount >= MAX_LITERALS) return { hash, members, count, make: (values) => keyByKey(sorted, values) };
  const make = new Function('v', `return { ${sorted.map((number) => `${number}: v[${number}]`).join(', ')} };`) as Make;
  const literal = { hash, members, count, make };
  if (candidates === undefined) literals.set(hash, [literal]);
  else candidates.push(literal);
  literalCount += 1;
  return literal;
}

function holds(literal: Literal, numbers: number[], count: number): boolean {
  if (literal.count !== count) return false;
  for (let i = 0; i < count; i++) if (literal.members[numbers[i]] !== 1) return false;
  return true;
}

function keyByKey(numbers: number[], values: (JsonValue | undefined)[]): JsonObject {
  const obj = {} as unknown as JsonValue[];
  for (const number of numbers) obj[number] = values[number]!;
  return obj as unknown as JsonObject;
}
