import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatToJson, int64ToString, sint64ToString, uint64ToString } from '../../proto/scalars.ts';

/** The definition floatToJson computes without strings where it can: the fewest digits toPrecision gives that read back as the float. */
function shortestByToPrecision(value: number): number {
  for (let digits = 1; ; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
}

const float = new Float32Array(1);
const bits = new Uint32Array(float.buffer);

function assertShortest(pattern: number): void {
  bits[0] = pattern >>> 0;
  const value = float[0];
  if (!Number.isFinite(value) || Number.isInteger(value)) return;
  assert.ok(Object.is(floatToJson(value), shortestByToPrecision(value)), `float bits 0x${bits[0].toString(16)} (${value}): got ${floatToJson(value)}, toPrecision gives ${shortestByToPrecision(value)}`);
}

test('a float prints as the fewest digits of toPrecision that read back as the same float: random bit patterns, both signs, subnormals included', () => {
  let state = 0x9e3779b9;
  for (let i = 0; i < 200_000; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    assertShortest(state);
  }
});

test('a float with a short binary mantissa, whose decimal digits can end on an exact tie, prints as toPrecision rounds it: every exponent', () => {
  for (let exponent = 0; exponent < 255; exponent++) {
    for (let mantissa = 0; mantissa < 1 << 8; mantissa++) assertShortest((exponent << 23) | (mantissa << 15));
  }
});

test('floats near powers of ten and the everyday ones print short', () => {
  for (let power = -45; power <= 38; power++) {
    bits[0] = 0;
    float[0] = Number(`1e${power}`);
    for (let step = -3; step <= 3; step++) assertShortest(bits[0] + step);
  }
  assert.equal(floatToJson(Math.fround(0.1)), 0.1);
  assert.equal(floatToJson(Math.fround(-2.5e-8)), -2.5e-8);
  assert.equal(floatToJson(Math.fround(1 / 3)), 0.33333334);
});

/** The 64-bit values around every boundary the decimal printing splits at, and random ones. */
function sixtyFourBitValues(): bigint[] {
  const values: bigint[] = [];
  for (const base of [0n, 1n << 31n, 1n << 32n, 10n ** 7n, 10n ** 14n, 1n << 53n, 1n << 63n, 1n << 64n, 28147497n * 10n ** 7n]) {
    for (let delta = -3n; delta <= 3n; delta++) values.push(BigInt.asUintN(64, base + delta));
  }
  for (let power = 1n; power <= 19n; power++) values.push(10n ** power - 1n, 10n ** power, 10n ** power + 1n);
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return BigInt(state >>> 0);
  };
  for (let i = 0; i < 20_000; i++) values.push((next() << 32n) | next(), next() << BigInt(i % 40));
  return values.map((value) => BigInt.asUintN(64, value));
}

test('64-bit integers print in decimal as BigInt prints them: unsigned, two\'s complement and zigzag', () => {
  for (const value of sixtyFourBitValues()) {
    const lo = Number(value & 0xffffffffn);
    const hi = Number(value >> 32n);
    assert.equal(uint64ToString(lo, hi), value.toString(), `uint64 ${value}`);
    assert.equal(int64ToString(lo, hi), BigInt.asIntN(64, value).toString(), `int64 ${value}`);
    const zigzag = (value >> 1n) ^ -(value & 1n);
    assert.equal(sint64ToString(lo, hi), zigzag.toString(), `sint64 ${value}`);
  }
});
