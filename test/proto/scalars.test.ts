import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatToJson } from '../../proto/scalars.ts';

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
