// What the codec's decoder printed for a fixed set of inputs, one line per case, so a
// change meant only to make the decoder faster cannot change a byte of its output.
// Cases: every fixture in test/fixtures/codec with the user schema and with the bundled
// one, with spans and without, in full; every truncation and a set of byte changes of
// each fixture, a 50 KB message and unknown bytes that are messages only in part, by
// sha256; edge values (UTF-8, varints, floats) in full; raw mode's text for every fixture.
//
// Regenerate only from code whose output is known good (see the test beside it):
//
//   node --import tsx test/proto/decoder-golden.ts

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageType } from '../../model/types.ts';
import { createCodec } from '../../proto/codec.ts';
import type { Codec } from '../../proto/codec.ts';
import { CODEC_SCHEMA, codecFixtures } from './codec-fixtures.ts';
import { concat, encode, tag, text, varint } from './encode.ts';
import type { Field } from './encode.ts';

export const GOLDEN_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'decoder-golden.txt');

/** Before the fixtures' token expires, so token facts do not depend on the day the test runs. */
const NOW = Date.UTC(2023, 10, 14, 22, 30);

/** Each prefix, and each byte xor 0x80, set to 0x00 and set to 0xff: what a cut or a flipped bit makes of a message. */
function damaged(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length < bytes.length; length++) out.push(bytes.subarray(0, length));
  for (let i = 0; i < bytes.length; i++) {
    for (const change of [(b: number) => b ^ 0x80, () => 0x00, () => 0xff]) {
      const copy = Uint8Array.from(bytes);
      copy[i] = change(copy[i]);
      out.push(copy);
    }
  }
  return out;
}

const INVALID_UTF8: number[][] = [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82]];

const STRINGS: Uint8Array[] = [
  ...Array.from({ length: 14 }, (_, length) => 'abcdefghijklmn'.slice(0, length)).map(text),
  ...['', 'a', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(17), 'abc'.repeat(40), 'é', 'naïve café', '日本語のテキスト', '😀 emoji', 'tab\tand\nbreak', '\u0085 C1', '\u0000nul', 'é'.repeat(70)].map(text),
  ...INVALID_UTF8.map((bytes) => Uint8Array.from(bytes)),
  Uint8Array.from([...'x'.repeat(20)].map((c) => c.charCodeAt(0)).concat([0xff])),
];

const VARINTS: bigint[] = [0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n, 2n ** 64n - 2n ** 31n];

const DOUBLES = [0, -0, 0.1, 0.0125, -1.5, 1e21, 1e-300, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 2 ** 53 + 2];
const FLOATS = [0, -0, 0.1, 1 / 3, 3.4e38, 1e-45, 16777217, NaN, -Infinity];

function fixed64Of(value: number, float: boolean): bigint {
  const view = new DataView(new ArrayBuffer(8));
  if (float) view.setFloat32(0, value, true);
  else view.setFloat64(0, value, true);
  return view.getBigUint64(0, true);
}

/** ServerResponse { instances { list { instances: … } } } with the user schema's field numbers (test/fixtures/codec/schema). */
function listResponse(instances: Uint8Array[]): Uint8Array {
  const list = encode(instances.map((bytes) => ({ number: 1, bytes })));
  return encode([{ number: 17, bytes: encode([{ number: 1, bytes: list }]) }]);
}

/** Edge values in every field kind the user schema's Instance has, one Instance each, some of them malformed. */
export interface Input {
  name: string;
  type: MessageType;
  bytes: Uint8Array;
}

function edges(): { inFull: Input[]; guesses: Input; alone: Input[] } {
  const instance = (fields: Field[]) => encode(fields);
  const strings = STRINGS.map((bytes) => instance([{ number: 2, bytes }, { number: 15, bytes }, { number: 17, bytes }]));
  const varints = VARINTS.map((value) =>
    instance([
      { number: 3, varint: value },
      { number: 7, varint: value },
      { number: 8, varint: value },
      { number: 13, varint: value },
      { number: 14, varint: value },
      { number: 19, varint: value },
      { number: 18, fixed64: value },
      { number: 11, bytes: encode([{ number: 3, bytes: Uint8Array.from(varint(value)) }]) },
    ]),
  );
  const numbers = [
    ...DOUBLES.map((value) => instance([{ number: 9, fixed64: fixed64Of(value, false) }])),
    ...FLOATS.map((value) => instance([{ number: 10, fixed32: Number(fixed64Of(value, true)) }])),
  ];
  const malformed = [
    // A varint padded to 10 bytes whose last byte carries bits past 64, which protoc drops.
    concat(tag(7, 0), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    concat(tag(7, 0), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    concat(tag(11, 2), [4], tag(3, 2), [3, 0x16, 0x80]),
    concat(tag(2, 2), [0x80, 0x80, 0x80, 0x80, 0x08], text('short')),
    concat(tag(12, 2), [5], tag(1, 0), [0x80, 0x80, 0x80]),
    concat(tag(16, 2), [6], tag(1, 0), [7], tag(9, 0), [1], tag(2, 2)),
    concat(tag(3, 1), [1, 2, 3, 4, 5, 6, 7, 8], tag(99, 5), [1, 2, 3, 4], tag(5000, 3), tag(1, 0), [1], tag(5000, 4)),
  ];
  const seconds = (value: bigint): Field => ({ number: 1, varint: value });
  const nanos = (value: bigint): Field => ({ number: 2, varint: value });
  const timestamps = [
    [],
    [seconds(0n)],
    [nanos(1n)],
    [seconds(1700000000n), nanos(120000000n)],
    [nanos(5000n), seconds(-1n)],
    [seconds(-62135596800n), nanos(999999999n)],
    [seconds(-62135596801n)],
    [seconds(253402300799n)],
    [seconds(253402300800n)],
    [seconds(1n), nanos(1000000000n)],
    [seconds(1n), nanos(-1n)],
    [seconds(2n ** 53n)],
    [seconds(-(2n ** 53n))],
    [seconds(2n ** 63n)],
    [seconds(5n), seconds(0n)],
    [seconds(5n), nanos(7n), nanos(0n)],
    [seconds(5n), { number: 3, varint: 1n }],
    [{ number: 1, fixed64: 5n }],
  ].map((fields) => instance([{ number: 12, bytes: encode(fields) }]));
  timestamps.push(instance([{ number: 12, bytes: concat(tag(1, 0), [0x80]) }]), instance([{ number: 12, bytes: concat(tag(1, 0), [1], [0x10]) }]));
  // Unknown numbers that repeat, interleaved, at several depths and above 255, inside an envelope field the schemas know.
  const leaf = (number: number, value: string): Field => ({ number, bytes: text(value) });
  const nest = (number: number, fields: Field[]): Field => ({ number, bytes: encode(fields) });
  const repeats = encode([
    nest(300, [leaf(1, 'a'), nest(1, [leaf(1, 'b'), leaf(1, 'c')]), leaf(2, 'd'), leaf(1, 'e')]),
    leaf(301, 'f'),
    nest(300, [nest(5000, [leaf(5000, 'g')]), nest(5000, [leaf(1, 'h')]), { number: 5000, varint: 7 }]),
    { number: 300, group: [leaf(1, 'i'), leaf(1, 'j')] },
    leaf(301, 'k'),
  ]);
  const unknownRepeats = instance([{ number: 99, bytes: repeats }, { number: 99, bytes: repeats }]);
  // Map entries as protoc writes them and as it never would: each labels entry alone in an Instance, then all in one.
  const labelEntries: Uint8Array[] = [
    encode([leaf(1, 'env'), leaf(2, 'prod')]),
    encode([leaf(2, 'prod'), leaf(1, 'env')]),
    new Uint8Array(0),
    encode([leaf(1, 'only-key')]),
    encode([leaf(2, 'only-value')]),
    encode([leaf(1, 'a'), leaf(1, 'b'), leaf(2, 'x'), leaf(2, 'y')]),
    encode([{ number: 1, bytes: Uint8Array.from([0xff, 0x41]) }, { number: 2, bytes: Uint8Array.from([0xc3]) }]),
    encode([leaf(1, 'k'), leaf(3, 'unexpected'), leaf(2, 'v')]),
    encode([{ number: 1, varint: 5 }, leaf(2, 'v')]),
    concat(tag(1, 2), [5], text('ab')),
    concat(tag(1, 2), [1], text('k'), tag(2, 2), [0x80, 0x80, 0x80, 0x80, 0x10]),
    encode([leaf(1, 'env'), leaf(2, 'again')]),
  ];
  const maps = [
    ...labelEntries.map((entry) => instance([{ number: 6, bytes: entry }])),
    instance(labelEntries.map((entry) => ({ number: 6, bytes: entry }))),
    instance([
      { number: 16, bytes: encode([{ number: 1, varint: -1n }, nest(2, [leaf(1, '10.0.0.1')])]) },
      { number: 16, bytes: encode([nest(2, [leaf(1, '10.0.0.2')])]) },
      { number: 16, bytes: encode([{ number: 1, varint: 7 }]) },
      { number: 16, bytes: encode([{ number: 1, varint: 7 }, nest(2, [leaf(9, 'unknown')])]) },
    ]),
  ];
  // Unknown bytes that are a message only in part: levels broken at their end around sound ones, sound levels
  // around a broken one, long runs of fields before a bad byte, and nesting up to and past the depth limit.
  const chain = (levels: number, inner: Uint8Array, trailer: number[]): Uint8Array => {
    let bytes = inner;
    for (let i = 0; i < levels; i++) bytes = concat(encode([{ number: 1, bytes }]), trailer);
    return bytes;
  };
  const sound = encode([leaf(1, 'sound'), nest(2, [leaf(3, 'inner'), { number: 4, varint: 300 }]), { number: 5, fixed32: 7 }]);
  const runs = concat(...Array.from({ length: 60 }, () => sound));
  const guesses = [
    instance([{ number: 99, bytes: chain(40, runs, [0x00]) }]),
    instance([{ number: 99, bytes: chain(40, concat(tag(1, 2), [5], text('ab')), []) }]),
    instance([{ number: 99, bytes: chain(20, concat(runs, [0x00]), []) }]),
    instance(Array.from({ length: 8 }, () => ({ number: 99, bytes: concat(runs, tag(2, 7)) }))),
    instance([{ number: 99, bytes: chain(3, concat(runs, tag(9, 4)), [0x00]) }, { number: 98, bytes: chain(2, runs, []) }]),
    ...[93, 94, 95, 96, 97, 98, 99, 100].map((levels) => instance([{ number: 99, bytes: chain(levels, encode([{ number: 5, group: [leaf(1, 'x'), { number: 6, group: [] }] }]), []) }])),
    ...[95, 96, 97, 98, 99].map((levels) => instance([{ number: 99, bytes: chain(levels, sound, []) }])),
  ];
  // Each Instance also alone in a response, for tests that judge one case at a time.
  const alone: Input[] = [];
  const edgesOf = (name: string, list: Uint8Array[]): Input => {
    list.forEach((bytes, i) => alone.push({ name: `edges-${name}[${i}]`, type: 'ServerResponse', bytes: listResponse([bytes]) }));
    return { name: `edges-${name}`, type: 'ServerResponse', bytes: listResponse(list) };
  };
  return { alone, guesses: edgesOf('guesses', guesses), inFull: [edgesOf('strings', strings), edgesOf('varints', varints), edgesOf('floats', numbers), edgesOf('timestamps', timestamps), edgesOf('unknown-repeats', [unknownRepeats, unknownRepeats]), edgesOf('maps', maps), edgesOf('malformed', malformed)] };
}

/** The two-instance fixture merged with itself to about 50 KB: its instances repeat, as protobuf merges concatenated messages. */
function large(list: Input): Input {
  const copies = Math.ceil(50_000 / list.bytes.length);
  return { name: 'instances-list-response-x' + copies, type: list.type, bytes: concat(...Array.from({ length: copies }, () => list.bytes)) };
}

interface Mode {
  label: string;
  codec: Codec;
  spans: boolean;
}

function modes(): Mode[] {
  const user = createCodec({ protoPaths: [CODEC_SCHEMA] });
  const bundled = createCodec();
  return [
    { label: 'user', codec: user, spans: false },
    { label: 'user+spans', codec: user, spans: true },
    { label: 'bundled', codec: bundled, spans: false },
    { label: 'bundled+spans', codec: bundled, spans: true },
  ];
}

function decoded(mode: Mode, input: { type: MessageType; bytes: Uint8Array }): string {
  return JSON.stringify(mode.codec.decode(input.type, input.bytes, { spans: mode.spans, now: NOW }));
}

function sha256(parts: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\n');
  return hash.digest('hex');
}

/**
 * Every message the golden lines decode, whole and damaged, with each edge case also alone
 * in a response of its own: for code that must agree with the decoder on the same ground.
 */
export function decoderInputs(): Input[] {
  const all = codecFixtures();
  const { inFull, guesses, alone } = edges();
  const damagedOnes = all.flatMap((input) => damaged(input.bytes).map((bytes, i) => ({ name: `${input.name} damaged ${i}`, type: input.type, bytes })));
  const big = large(all.find((input) => input.name === 'instances-list-response')!);
  return [...all, ...inFull, guesses, ...alone, ...damagedOnes, big];
}

export { NOW as GOLDEN_NOW };

/** The golden lines: `case<TAB>output`, in a fixed order. */
export function goldenLines(): string[] {
  const all = codecFixtures();
  const lines: string[] = [];
  for (const mode of modes()) {
    const { inFull, guesses } = edges();
    for (const input of [...all, ...inFull]) lines.push(`${input.name} ${mode.label}\t${decoded(mode, input)}`);
    for (const input of all) lines.push(`${input.name} damaged ${mode.label} sha256\t${sha256(damaged(input.bytes).map((bytes) => decoded(mode, { type: input.type, bytes })))}`);
    const big = large(all.find((input) => input.name === 'instances-list-response')!);
    lines.push(`${big.name} ${mode.label} sha256\t${sha256([decoded(mode, big)])}`);
    lines.push(`${guesses.name} ${mode.label} sha256\t${sha256([decoded(mode, guesses)])}`);
  }
  const raw = createCodec();
  for (const input of all) lines.push(`${input.name} raw\t${JSON.stringify(raw.decodeRaw(input.bytes))}`);
  for (const input of all) lines.push(`${input.name} damaged raw sha256\t${sha256(damaged(input.bytes).map((bytes) => JSON.stringify(raw.decodeRaw(bytes))))}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(GOLDEN_FILE, goldenLines().join('\n') + '\n');
  console.log(`wrote ${path.relative(process.cwd(), GOLDEN_FILE)}`);
}
