// The format packed bodies are stored in (storage/body-packing.ts): LZ77 against a
// dictionary, with no entropy coding. Node's zlib, with the same dictionary, packs these
// bodies no smaller and costs over 60 µs a body in the making of each stream; this costs a
// few, with the dictionary's index made once.
//
// A packed body is a run of steps, each: a varint count of literal bytes, those bytes,
// then, unless the body ends there, a varint distance and a varint length less 4 of a
// copy. The distance counts back from the end of what is unpacked so far, as if the
// dictionary came just before the body: a copy may come from either, or from both.

const minMatch = 4;
/** The largest body packed: a damaged one that unpacks to more is refused, not made (9 bytes can ask for gigabytes). */
export const maxPackedBody = 64 * 1024;
const dictionaryHashBits = 15;
const bodyHashBits = 12;

/** A dictionary with where its 4-byte sequences start, the last of each hash. */
export interface IndexedDictionary {
  bytes: Uint8Array;
  starts: Int32Array;
}

function hash(bytes: Uint8Array, at: number, bits: number): number {
  return Math.imul(bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24), 2654435761) >>> (32 - bits);
}

export function indexDictionary(bytes: Uint8Array): IndexedDictionary {
  const starts = new Int32Array(1 << dictionaryHashBits).fill(-1);
  for (let at = 0; at + minMatch <= bytes.length; at++) starts[hash(bytes, at, dictionaryHashBits)] = at;
  return { bytes, starts };
}

/** Where the body's own sequences start, made again for each body: one thread packs at a time. */
const bodyStarts = new Int32Array(1 << bodyHashBits);

/** `body` packed, or null when packing would not make it smaller. */
export function pack(body: Uint8Array, dictionary: IndexedDictionary): Uint8Array | null {
  const { bytes: dict, starts } = dictionary;
  const n = body.length;
  if (n > maxPackedBody) return null;
  const out = new Uint8Array(n);
  let o = 0;
  const room = (bytes: number) => o + bytes <= n;
  const varint = (value: number) => {
    for (; value >= 0x80; value >>>= 7) out[o++] = (value & 0x7f) | 0x80;
    out[o++] = value;
  };
  bodyStarts.fill(-1);
  let literals = 0;
  let at = 0;
  while (at + minMatch <= n) {
    let length = 0;
    let distance = 0;
    const own = bodyStarts[hash(body, at, bodyHashBits)]!;
    bodyStarts[hash(body, at, bodyHashBits)] = at;
    if (own >= 0) {
      let l = 0;
      while (at + l < n && body[own + l] === body[at + l]) l++;
      if (l >= minMatch) [length, distance] = [l, at - own];
    }
    const inDictionary = starts[hash(body, at, dictionaryHashBits)]!;
    if (inDictionary >= 0) {
      let l = 0;
      while (at + l < n && inDictionary + l < dict.length && dict[inDictionary + l] === body[at + l]) l++;
      if (l >= minMatch && l > length) [length, distance] = [l, at + dict.length - inDictionary];
    }
    if (length === 0) {
      at++;
      continue;
    }
    // At most 3 varints of 5 bytes each beside the literals.
    if (!room(at - literals + 15)) return null;
    varint(at - literals);
    out.set(body.subarray(literals, at), o);
    o += at - literals;
    varint(distance);
    varint(length - minMatch);
    const end = at + length;
    for (at++; at < end && at + minMatch <= n; at++) bodyStarts[hash(body, at, bodyHashBits)] = at;
    at = literals = end;
  }
  if (!room(n - literals + 5)) return null;
  varint(n - literals);
  out.set(body.subarray(literals), o);
  o += n - literals;
  return o < n ? out.subarray(0, o) : null;
}

/** A packed body unpacked; throws on bytes pack() cannot have made. */
export function unpack(packed: Uint8Array, dict: Uint8Array): Buffer {
  let out = Buffer.allocUnsafe(Math.max(64, packed.length * 4));
  let o = 0;
  let p = 0;
  const damaged = () => new Error(`a packed body is damaged: it reads past its end or before its dictionary, or unpacks to more than ${maxPackedBody} bytes`);
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= packed.length || shift > 28) throw damaged();
      const byte = packed[p++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const reserve = (bytes: number) => {
    if (o + bytes > maxPackedBody) throw damaged();
    if (o + bytes <= out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(out.length * 2, o + bytes));
    out.copy(grown, 0, 0, o);
    out = grown;
  };
  while (p < packed.length) {
    const literals = varint();
    if (p + literals > packed.length) throw damaged();
    reserve(literals);
    out.set(packed.subarray(p, p + literals), o);
    o += literals;
    p += literals;
    if (p === packed.length) break;
    const distance = varint();
    const length = varint() + minMatch;
    let from = o - distance;
    if (distance === 0 || from < -dict.length) throw damaged();
    reserve(length);
    const end = o + length;
    if (from < 0) {
      const fromDictionary = Math.min(length, -from);
      out.set(dict.subarray(dict.length + from, dict.length + from + fromDictionary), o);
      o += fromDictionary;
      from = 0;
    }
    // A copy may overlap what it writes (a run): byte by byte then.
    if (end - o <= o - from) {
      out.copy(out, o, from, from + (end - o));
      o = end;
    } else {
      while (o < end) out[o++] = out[from++]!;
    }
  }
  return out.subarray(0, o);
}
