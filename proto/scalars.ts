// Turning wire values into the JSON forms python's MessageToDict gives:
// 64-bit integers as decimal strings, float as its shortest 32-bit form,
// non-finite numbers as "NaN"/"Infinity"/"-Infinity", bytes as base64.

const TWO_32 = 4294967296;

/** Unsigned 64-bit from two unsigned 32-bit halves, in decimal. */
export function uint64ToString(lo: number, hi: number): string {
  if (hi < 0x200000) return integerText(hi * TWO_32 + lo);
  // Above 2^53, in base 10^7 from 24-bit thirds, as BigInt would print it but without one:
  // 2^24 = 1·10^7 + 6777216 and 2^48 = 2·10^14 + 8147497·10^7 + 6710656.
  const low = lo & 0xffffff;
  const mid = ((lo >>> 24) | (hi << 8)) & 0xffffff;
  const high = hi >>> 16;
  let a = low + mid * 6777216 + high * 6710656;
  let b = mid + high * 8147497;
  let c = high * 2;
  if (a >= 1e7) {
    b += Math.floor(a / 1e7);
    a %= 1e7;
  }
  if (b >= 1e7) {
    c += Math.floor(b / 1e7);
    b %= 1e7;
  }
  return String(c) + sevenDigits(b) + sevenDigits(a);
}

/** Two's complement signed 64-bit, in decimal. */
export function int64ToString(lo: number, hi: number): string {
  if (hi < 0x80000000) return uint64ToString(lo, hi);
  // The magnitude of a negative value is its two's complement: invert and add one.
  const negatedLo = (~lo + 1) >>> 0;
  const negatedHi = (~hi + (negatedLo === 0 ? 1 : 0)) >>> 0;
  return '-' + uint64ToString(negatedLo, negatedHi);
}

/**
 * A non-negative integer below 2^53 in decimal. String() of one above 2^31 goes through
 * V8's general double printing, several times slower than two small integers joined.
 */
function integerText(value: number): string {
  if (value < 0x80000000) return String(value);
  // The quotient is at least 10^-7 from the next integer and below 2^30, where half a
  // double's step is under 0.6·10^-7: the division never rounds up across it.
  const high = Math.floor(value / 1e7);
  return String(high) + sevenDigits(value - high * 1e7);
}

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000'];

function sevenDigits(value: number): string {
  const text = String(value);
  return ZEROS[7 - text.length] + text;
}

/** ZigZag-encoded signed 64-bit (sint64), in decimal. */
export function sint64ToString(lo: number, hi: number): string {
  const negative = lo & 1;
  // value = (n >>> 1) ^ -(n & 1), over 64 bits.
  let vlo = ((lo >>> 1) | (hi << 31)) >>> 0;
  let vhi = hi >>> 1;
  if (negative) {
    vlo = ~vlo >>> 0;
    vhi = ~vhi >>> 0;
  }
  return int64ToString(vlo, vhi);
}

export function sint32FromVarint(lo: number): number {
  return (lo >>> 1) ^ -(lo & 1);
}

const f32 = new Float32Array(1);
const f32bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);

export function readFloat(buf: Uint8Array, pos: number): number {
  f32bytes[0] = buf[pos];
  f32bytes[1] = buf[pos + 1];
  f32bytes[2] = buf[pos + 2];
  f32bytes[3] = buf[pos + 3];
  return f32[0];
}

export function readDouble(buf: Uint8Array, pos: number): number {
  for (let i = 0; i < 8; i++) f64bytes[i] = buf[pos + i];
  return f64[0];
}

/** A double as JSON: numbers stay numbers, the non-finite ones become the strings python prints. */
export function doubleToJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** A float as JSON: the shortest decimal that reads back as the same 32-bit float (0.1, not 0.10000000149). */
export function floatToJson(value: number): number | string {
  if (!Number.isFinite(value)) return doubleToJson(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log10(magnitude));
  // Reading back more digits only gets closer, so the shortest round-tripping
  // precision (at most 9 for a float) can be found by bisection.
  let low = 1;
  let high = 9;
  // The last value that read back is the answer, unless the answer is 9 digits, never tried.
  let shortest = 0;
  while (low < high) {
    const digits = (low + high) >> 1;
    const candidate = toPrecision(magnitude, digits, exponent);
    if (Math.fround(candidate) === magnitude) {
      high = digits;
      shortest = candidate;
    } else low = digits + 1;
  }
  if (high === 9) shortest = toPrecision(magnitude, 9, exponent);
  return value < 0 ? -shortest : shortest;
}

/** 10^0 to 10^22, every one exact as a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Scaled values within this of a rounding tie are left to toPrecision. */
const MARGIN = 1e-6;
/**
 * The scaled value's bounds for `digits` digits, narrowed by twice its rounding error:
 * outside them the exponent may be off by one (near a power of ten), left to toPrecision.
 */
const LOWEST = POWERS_OF_TEN.map((power) => power * (1 + 2 ** -51));
const HIGHEST = POWERS_OF_TEN.map((power) => power * (1 - 2 ** -51));

/**
 * Number(value.toPrecision(digits)) for value > 0 whose decimal exponent is `exponent`
 * (possibly off by one near a power of ten), by arithmetic where it is exact: value
 * scaled to `digits` integer digits is off by at most 2^-53 of itself (under 1.2e-7),
 * so inside its bounds and unless it lies within MARGIN of a half it rounds as
 * toPrecision rounds; and an integer below 2^53 times or over a power of ten up to
 * 10^22 is one correctly rounded operation, as parsing the decimal is. The rest take
 * the string way.
 */
function toPrecision(value: number, digits: number, exponent: number): number {
  const scale = exponent - digits + 1;
  if (scale >= -22 && scale <= 22) {
    const power = POWERS_OF_TEN[scale < 0 ? -scale : scale];
    const scaled = scale < 0 ? value * power : value / power;
    if (scaled >= LOWEST[digits - 1] && scaled < HIGHEST[digits]) {
      const whole = Math.floor(scaled);
      const fraction = scaled - whole;
      if (fraction < 0.5 - MARGIN || fraction > 0.5 + MARGIN) {
        const integer = fraction > 0.5 ? whole + 1 : whole;
        return scale < 0 ? integer / power : integer * power;
      }
    }
  }
  return Number(value.toPrecision(digits));
}

/** A Buffer over the same memory, so strings can be sliced out without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Node's own Buffer methods that toString(encoding, start, end) calls after checking its
 * arguments and looking the encoding up: the decoder calls them directly, once per value.
 */
export interface BufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
}

/** Standard base64 with padding, as MessageToDict writes bytes. */
export function base64(buf: Buffer, start: number, end: number): string {
  return end - start <= SHORT_BASE64 ? shortBase64(buf, start, end - start) : (buf as Buffer & BufferSlices).base64Slice(start, end);
}

/**
 * Up to this many bytes (24 characters) are written in one fromCharCode call: two to three
 * times faster than the Buffer method's fixed cost, and short values (hashes, ids, packed
 * numbers the schema does not describe) are common.
 */
const SHORT_BASE64 = 18;

/** One case per length: each 3 bytes read as one number, its four characters taken from the table. */
const shortBase64 = new Function(
  'fromCharCode',
  'C',
  `return function shortBase64(b, s, length) {
  switch (length) {
${Array.from({ length: SHORT_BASE64 + 1 }, (_, n) => {
  if (n === 0) return "    case 0: return '';";
  const groups: string[] = [];
  const chars: string[] = [];
  for (let k = 0; k * 3 < n; k++) {
    const i = k * 3;
    groups.push(`t${k} = (b[s + ${i}] << 16)${i + 1 < n ? ` | (b[s + ${i + 1}] << 8)` : ''}${i + 2 < n ? ` | b[s + ${i + 2}]` : ''}`);
    chars.push(`C[t${k} >>> 18]`, `C[(t${k} >>> 12) & 63]`, i + 1 < n ? `C[(t${k} >>> 6) & 63]` : '61', i + 2 < n ? `C[t${k} & 63]` : '61');
  }
  return `    case ${n}: { const ${groups.join(', ')}; return fromCharCode(${chars.join(', ')}); }`;
}).join('\n')}
  }
};`,
)(String.fromCharCode, Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0))) as (
  b: Uint8Array,
  s: number,
  length: number,
) => string;

export function hexString(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, end);
}
