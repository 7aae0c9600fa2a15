/**
 * isoFromMs formats dates itself (no Date object): it must give exactly `new Date(Math.floor(ms)).toISOString()`
 * for every time from year 1000 to 9999, and undefined outside that range or for non-finite input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromMs } from '../../../processors/adapters/common.js';

const MIN_MS = Date.UTC(1000, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function definition(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const whole = Math.floor(ms);
  return whole < MIN_MS || whole > MAX_MS ? undefined : new Date(whole).toISOString();
}

describe('isoFromMs', () => {
  it('is Date#toISOString of the whole millisecond, within years 1000-9999', () => {
    const edges = [MIN_MS, MIN_MS - 1, MIN_MS - 0.5, MAX_MS, MAX_MS + 1, MAX_MS + 0.5, 0, -1, -0.5, 0.999, Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28, 23, 59, 59, 999), Date.UTC(1600, 2, 1), Date.UTC(2100, 2, 1) - 1, Date.UTC(2026, 11, 31, 23, 59, 59, 999), NaN, Infinity, -Infinity];
    for (const ms of edges) expect(isoFromMs(ms), String(ms)).toBe(definition(ms));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: MIN_MS - 10, max: MAX_MS + 10 }), fc.double({ min: MIN_MS - 1e6, max: MAX_MS + 1e6 }), fc.double()), (ms) => {
        expect(isoFromMs(ms)).toBe(definition(ms));
      }),
      { numRuns: 50_000 },
    );
    // Every day boundary of four centuries, around leap days and year ends.
    for (let day = Date.UTC(1999, 0, 1) / 86_400_000; day < Date.UTC(2401, 0, 1) / 86_400_000; day++) {
      for (const ms of [day * 86_400_000, day * 86_400_000 - 1]) expect(isoFromMs(ms)).toBe(definition(ms));
    }
  });
});
