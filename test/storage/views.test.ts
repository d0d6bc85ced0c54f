// Times as the API writes them (storage/views.ts isoTime).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../../storage/views.ts';

describe('isoTime', () => {
  it('writes each time as Date writes it, whichever second it wrote before', () => {
    const second = Date.UTC(2026, 11, 7, 5, 38, 25);
    // Within one second, on to the next, back to an earlier one, fractions, and times before 1970 and past year 9999.
    const times = [second, second + 7.9, second + 999.99, second + 1000, second + 45, second - 1, second + 1000.5, 0.5, -0.5, -1500.25, 253_402_300_799_999, 253_402_300_800_000.5, second + 3];
    for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  });

  it('writes a time no date can hold as the nearest one that can', () => {
    assert.equal(isoTime(1e300), new Date(8.64e15).toISOString());
    assert.equal(isoTime(-1e300), new Date(-8.64e15).toISOString());
  });
});
