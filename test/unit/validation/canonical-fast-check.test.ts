/**
 * isSurelyCanonical is one-sided: whenever it says "surely valid", ajv's canonical validator must agree
 * (otherwise the fast path would accept what the schema rejects). And it must actually be sure of the
 * events the adapters produce, or the fast path would never be taken.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalTranslator, SOURCE_FORMATS } from '../../../processors/adapters/translator.js';
import { isSurelyCanonical } from '../../../processors/validation/canonical-fast-check.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { canonicalEventValidator } from '../../../schemas/json-schema.js';
import { NOW } from '../adapters/helpers.js';
import { DELETE, FIXTURES, generatedInputs, HOSTILE_VALUES, paths, withValueAt } from '../fuzz/hostile-inputs.js';

const ajv = canonicalEventValidator();

/** Values that are near misses of the canonical string formats, besides the fuzz suite's hostile values. */
const NEAR_MISSES: readonly unknown[] = [
  'F47AC10B-58CC-4372-A567-0E02B2C3D479',
  'urn:uuid:f47ac10b-58cc-4372-a567-0e02b2c3d479',
  'f47ac10b-58cc-4372-a567-0e02b2c3d47',
  'f47ac10b_58cc-4372-a567-0e02b2c3d479',
  'f47ac10b-58cc-4372-a567-0e02b2c3d47g',
  '2026-02-29T00:00:00.000Z',
  '2024-02-29T00:00:00.000Z',
  '2026-04-31T00:00:00.000Z',
  '0999-12-31T23:59:59.999Z',
  '2026-11-28T24:00:00.000Z',
  '2026-11-28T23:60:00.000Z',
  '2026-11-28T23:59:60.000Z',
  '2026-11-28T09:00:00.000z',
  '2026-11-28T09:00:00Z',
  '２026-11-28T09:00:00.000Z',
  'a b',
  '%zz',
  '%41',
  'http://[::1]:80/x',
  'x'.repeat(2049),
  'é'.repeat(2048),
  '256.1.1.1',
  '::ffff:1.2.3.4',
  '1.2.3.4 ',
  'billing.invoice.created',
  'billing.invoice',
  'Billing.invoice.created',
  `a.b.${'c'.repeat(198)}`,
  '0123456789abcdef0123456789abcdef',
  '0123456789ABCDEF0123456789abcdef',
  '0123456789abcdef',
  'anonymous',
  'user',
  'SUCCESS',
  'success',
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  12.5,
];

function adaptedEvents(): CanonicalEvent[] {
  const translator = new CanonicalTranslator();
  const out: CanonicalEvent[] = [];
  for (const fixture of Object.values(FIXTURES)) {
    for (const format of ['auto', ...SOURCE_FORMATS] as const) {
      const result = translator.translate({ value: JSON.stringify(fixture), format }, NOW);
      if (result.kind === 'ok') out.push(...result.value);
    }
  }
  return out;
}

describe('isSurelyCanonical', () => {
  const events = adaptedEvents();

  it('is sure of every event the adapters produce from the fixtures', () => {
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) {
      expect(ajv(event)).toBe(true);
      expect(isSurelyCanonical(event), event.source).toBe(true);
    }
  });

  it('is sure of every event accepted from the generated hostile inputs, and ajv agrees', () => {
    const translator = new CanonicalTranslator();
    let accepted = 0;
    // The multi-megabyte inputs are all rejected by the limits: skipped, they only cost time here.
    for (const input of generatedInputs().filter((one) => one.value.length < 65_536)) {
      const result = translator.translate({ value: input.value, ...(input.headers === undefined ? {} : { headers: input.headers }) }, NOW);
      if (result.kind !== 'ok') continue;
      for (const event of result.value) {
        accepted++;
        expect(isSurelyCanonical(event), input.name).toBe(true);
        expect(ajv(event), input.name).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('never says "surely valid" where ajv rejects: every field of every adapted event removed or replaced', () => {
    let rejectedByAjv = 0;
    for (const event of events) {
      for (const path of paths(event, 400)) {
        for (const replacement of [DELETE, undefined, ...HOSTILE_VALUES, ...NEAR_MISSES]) {
          const mutated = withValueAt(event, path, replacement);
          const valid = ajv(mutated);
          if (!valid) rejectedByAjv++;
          if (isSurelyCanonical(mutated)) expect(valid, `${event.source} ${path.join('.')} = ${String(replacement)}`).toBe(true);
        }
      }
      for (const extra of ['extra', 'constructor', 'toString']) {
        for (const path of [[], ['action'], ['actor'], ['context'], ['context', 'client']]) {
          const mutated = structuredClone(event) as unknown as Record<string, unknown>;
          let target = mutated;
          for (const key of path) target = (target[key] ??= {}) as Record<string, unknown>;
          target[extra] = 'x';
          if (isSurelyCanonical(mutated)) expect(ajv(mutated)).toBe(true);
        }
      }
    }
    expect(rejectedByAjv).toBeGreaterThan(10_000);
  });

  it('never says "surely valid" where ajv rejects: arbitrary JSON in place of any field', () => {
    const event = events[0] as CanonicalEvent;
    const eventPaths = paths(event, 400);
    fc.assert(
      fc.property(fc.constantFrom(...eventPaths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constantFrom(...NEAR_MISSES)), (path, value) => {
        const mutated = withValueAt(event, path, value);
        if (isSurelyCanonical(mutated)) expect(ajv(mutated)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('is not fooled by inherited enumerable keys or non-plain values', () => {
    const event = events[0] as CanonicalEvent;
    const withInherited = Object.create({ extra: 1 }) as Record<string, unknown>;
    Object.assign(withInherited, structuredClone(event));
    expect(ajv(withInherited)).toBe(false);
    expect(isSurelyCanonical(withInherited)).toBe(false);
    expect(isSurelyCanonical(null)).toBe(false);
    expect(isSurelyCanonical([event])).toBe(false);
    expect(isSurelyCanonical({ ...event, actor: [] })).toBe(false);
  });
});
