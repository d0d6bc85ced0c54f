// Raw mode: the text `protoc --decode_raw` prints, byte for byte, for input
// decoded with no schema at all. protoc parses the input as an empty message,
// so every field is unknown, then prints each length-delimited value as a
// nested message when its bytes parse as one (at most 10 levels deep) and as a
// C-escaped string otherwise. Input protoc refuses gets an error sentence.

import { BAD_FIELD, END_GROUP, FIXED32, FIXED64, LEN, START_GROUP, TOO_LONG, TRUNCATED, VARINT, Wire } from './wire.ts';
import { asBuffer, uint64ToString } from './scalars.ts';
import { asciiText } from './text.ts';

/** protoc's recursion limit for parsing the input (it counts groups). */
const PARSE_DEPTH = 100;
/** protoc's budget for printing length-delimited values as nested messages. */
const PRINT_BUDGET = 10;

export function decodeRaw(bytes: Uint8Array): { text: string } | { error: string } {
  const buf = asBuffer(bytes);
  const wire = new Wire(buf);
  const failure = validate(wire, 0, bytes.length, PARSE_DEPTH, 0);
  if (typeof failure !== 'number') return { error: `protoc --decode_raw refuses this input: ${failure.reason} at byte ${failure.offset}.` };
  return { text: print(wire, buf, 0, bytes.length, '', PRINT_BUDGET, false).text };
}

interface Failure {
  offset: number;
  reason: string;
}

/**
 * Walks the bytes as protoc parses them (groups included) and returns the offset
 * after the level (after the end tag of the group being read), or why protoc
 * would refuse them.
 */
function validate(wire: Wire, start: number, end: number, depth: number, groupNumber: number): number | Failure {
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const next = wire.varint32(pos, end);
    if (next < 0) return { offset: fieldStart, reason: next === TRUNCATED ? 'truncated tag' : 'tag longer than 5 bytes' };
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    if (number === 0) return { offset: fieldStart, reason: 'field number 0' };
    if (wireType === END_GROUP) {
      if (number === groupNumber) return next;
      return { offset: fieldStart, reason: `end-group tag for field ${number} with no group ${number} open` };
    }
    if (wireType === START_GROUP) {
      if (depth <= 0) return { offset: fieldStart, reason: `groups nested more than ${PARSE_DEPTH} deep` };
      const after = validate(wire, next, end, depth - 1, number);
      if (typeof after !== 'number') return after;
      pos = after;
      continue;
    }
    pos = wire.skip(wireType, number, next, end, 0);
    if (pos < 0) return { offset: fieldStart, reason: valueFailure(pos, wireType, number) };
  }
  if (groupNumber !== 0) return { offset: end, reason: `group ${groupNumber} is not closed` };
  return pos;
}

function valueFailure(code: number, wireType: number, number: number): string {
  if (code === BAD_FIELD) return `invalid wire type ${wireType} for field ${number}`;
  if (code === TOO_LONG) return wireType === LEN ? `length prefix of field ${number} is longer than 5 bytes` : `varint of field ${number} is longer than 10 bytes`;
  return wireType === LEN ? `length of field ${number} runs past the end of the input` : `field ${number} is truncated`;
}

/**
 * Prints one level, and returns its text and the offset after it. `lenient` is false
 * for the input itself and its groups (parsed strictly) and true inside
 * length-delimited values (re-parsed leniently). The text grows by concatenation:
 * V8 joins strings without copying until the whole is read.
 */
function print(wire: Wire, buf: Buffer, start: number, end: number, indent: string, budget: number, lenient: boolean): { text: string; pos: number } {
  let text = '';
  let pos = start;
  while (pos < end) {
    pos = wire.prefix(pos, end, lenient);
    const number = wire.lo >>> 3;
    const wireType = wire.lo & 7;
    switch (wireType) {
      case VARINT:
        pos = wire.varint(pos, end);
        text += indent + number + ': ' + uint64ToString(wire.lo, wire.hi) + '\n';
        break;
      case FIXED32:
        text += indent + number + ': 0x' + hex(wire.fixed32(pos), 8) + '\n';
        pos += 4;
        break;
      case FIXED64:
        wire.fixed64(pos);
        text += indent + number + ': 0x' + hex(wire.hi, 8) + hex(wire.lo, 8) + '\n';
        pos += 8;
        break;
      case LEN: {
        const valueStart = wire.prefix(pos, end, lenient);
        const valueEnd = valueStart + wire.lo;
        if (valueEnd > valueStart && budget > 0 && wire.isMessage(valueStart, valueEnd, budget, true)) {
          text += indent + number + ' {\n' + print(wire, buf, valueStart, valueEnd, indent + '  ', budget - 1, true).text + indent + '}\n';
        } else {
          text += indent + number + ': "' + cEscape(buf, valueStart, valueEnd) + '"\n';
        }
        pos = valueEnd;
        break;
      }
      case START_GROUP: {
        const group = print(wire, buf, pos, end, indent + '  ', budget - 1, lenient);
        text += indent + number + ' {\n' + group.text + indent + '}\n';
        pos = group.pos;
        break;
      }
      case END_GROUP:
        return { text, pos };
    }
  }
  return { text, pos };
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/** What CEscape prints for each byte that is not printed as itself ('' for those that are). */
const ESCAPES: string[] = Array.from({ length: 256 }, (_, b) => {
  switch (b) {
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x22: return '\\"';
    case 0x27: return "\\'";
    case 0x5c: return '\\\\';
    default: return b >= 0x20 && b < 0x7f ? '' : '\\' + b.toString(8).padStart(3, '0');
  }
});

/**
 * protobuf's CEscape: the usual backslash escapes, other bytes outside 0x20–0x7e as
 * three octal digits. Runs of bytes printed as themselves are copied in one piece.
 */
export function cEscape(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start;
  for (let i = start; i < end; i++) {
    const escape = ESCAPES[buf[i]];
    if (escape === '') continue;
    if (run < i) out += asciiText(buf, run, i);
    out += escape;
    run = i + 1;
  }
  return run < end ? out + asciiText(buf, run, end) : out;
}
