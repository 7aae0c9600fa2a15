/**
 * Found by fuzzing: every adapter must treat a malformed event time the same way — a TIMESTAMP_INVALID
 * dead letter — instead of quietly substituting another time (OTLP did: a broken timeUnixNano became
 * the observed time). OTLP's own "unknown" (absent or 0) still falls back to the observed time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';
import * as fixtures from '../adapters/fixtures.js';

const NOW = Date.parse('2026-11-28T09:00:00Z');
const translator = new CanonicalTranslator();

/** Each format's fixture with its event time replaced by `value`. */
const withTime: Record<string, (value: unknown) => unknown> = {
  segment: (value) => ({ ...fixtures.segmentTrack, timestamp: value }),
  mixpanel: (value) => ({ ...fixtures.mixpanelTrack, properties: { ...fixtures.mixpanelTrack.properties, time: value } }),
  amplitude: (value) => ({ ...fixtures.amplitudeEvent, time: value }),
  auth0: (value) => ({ ...fixtures.auth0Success, date: value }),
  cloudtrail: (value) => ({ ...fixtures.cloudTrailIamUser, eventTime: value }),
  github: (value) => ({ ...fixtures.githubRepoDestroy, '@timestamp': value }),
  cloudevents: (value) => ({ ...fixtures.cloudEventStructured, time: value }),
  canonical: (value) => ({ ...fixtures.canonicalEvent, event_timestamp: value }),
  otel: (value) => JSON.parse(JSON.stringify(fixtures.otelLogs).replace(/"timeUnixNano":"\d+"/g, `"timeUnixNano":${JSON.stringify(value)}`)) as unknown,
  otelObserved: (value) => JSON.parse(JSON.stringify(fixtures.otelLogs).replace(/"observedTimeUnixNano":"\d+"/g, `"observedTimeUnixNano":${JSON.stringify(value)}`)) as unknown,
};

const translate = (value: unknown) => translator.translate({ value: JSON.stringify(value) }, NOW);

describe('malformed event times across adapters', () => {
  const malformed = fc.oneof(
    fc.constantFrom('garbage', '', ' ', '2026-02-30T25:61:61Z', '-5', 'NaN', '1e400', '99999999999999999999', true, -5, -1.5, 1e20, [], {}),
    fc.string({ maxLength: 12 }).filter((s) => !/^\s*\d/.test(s)),
  );

  it('dead-letters them as TIMESTAMP_INVALID in every format', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(withTime)), malformed, (format, value) => {
        const result = translate((withTime[format] as (v: unknown) => unknown)(value));
        expect(result.kind === 'deadLetter' ? result.code : result.kind, `${format} with time ${JSON.stringify(value)}`).toBe('TIMESTAMP_INVALID');
      }),
      { numRuns: 600, seed: 21 },
    );
  });

  it('keeps OTLP unknown times (absent or 0) on the observed time', () => {
    for (const unknown of ['0', 0, null]) {
      const result = translate({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: unknown, observedTimeUnixNano: '1764320400000000000', body: { stringValue: 'x' } }] }] }] });
      expect(result.kind === 'ok' ? result.value[0]?.event_timestamp : result).toBe('2025-11-28T09:00:00.000Z');
    }
    const neither = translate({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] });
    expect(neither.kind === 'ok' ? neither.value[0]?.event_timestamp : neither).toBe(new Date(NOW).toISOString());
  });
});
