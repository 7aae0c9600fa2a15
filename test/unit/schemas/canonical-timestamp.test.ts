/**
 * isCanonicalTimestampText (the fast check of canonical timestamps) against its definition: the
 * TIMESTAMP_PATTERN shape, a year from 1000, and a real date and time of day, which is what a UTC
 * Date built from the fields gives back unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCanonicalTimestampText, TIMESTAMP_PATTERN } from '../../../schemas/json-schema.js';

const SHAPE = new RegExp(TIMESTAMP_PATTERN);

function definition(value: string): boolean {
  if (!SHAPE.test(value)) return false;
  const [year, month, day, hour, minute, second, millis] = value.split(/[-T:.Z]/).map(Number) as number[];
  if ((year as number) < 1000) return false;
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second, millis)).toISOString() === value;
}

/** Texts near the shape: each character a digit, a separator, a look-alike or anything, at any length around 24. */
const nearTimestamp = fc
  .array(fc.oneof(fc.constantFrom('0', '1', '2', '3', '5', '9'), fc.constantFrom('-', 'T', ':', '.', 'Z', 'z', ' ', '/', '０'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), { minLength: 22, maxLength: 26 })
  .map((characters) => characters.join(''));

/** Valid shapes with fields anywhere in their digit range (months 00-99, days 00-99, …). */
const shaped = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 999 }))
  .map(([y, mo, d, h, mi, s, ms]) => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;
  });

describe('isCanonicalTimestampText', () => {
  it('is the pattern plus a real UTC date and time from year 1000', () => {
    for (const value of ['2026-11-28T09:00:00.000Z', '2024-02-29T23:59:59.999Z', '2026-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z', '0999-12-31T23:59:59.999Z', '1000-01-01T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-11-28T24:00:00.000Z', '2026-11-28T23:60:00.000Z', '2026-11-28T23:59:60.000Z', '2026-11-28T09:00:00.00aZ', '2026-11-28t09:00:00.000Z', '2026-11-28T09:00:00.000z', '２026-11-28T09:00:00.000Z', '2026-11-28T09:00:00Z', '']) {
      expect(isCanonicalTimestampText(value), value).toBe(definition(value));
    }
    fc.assert(
      fc.property(fc.oneof(shaped, nearTimestamp, fc.string()), (value) => {
        expect(isCanonicalTimestampText(value)).toBe(definition(value));
      }),
      { numRuns: 20_000 },
    );
  });
});
