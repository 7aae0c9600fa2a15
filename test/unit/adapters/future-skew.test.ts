import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_LIMITS } from '../../../processors/validation/limits.js';
import { canonicalEvent } from './fixtures.js';
import { NOW, translate } from './helpers.js';

const MINUTE = 60_000;
const at = (ms: number): string => new Date(ms).toISOString();
const track = (timestamp: string) => ({ type: 'track', event: 'Item Viewed', userId: 'u-1', messageId: 'm-1', timestamp });
const canonical = (eventTimestamp: string) => ({ ...canonicalEvent, event_timestamp: eventTimestamp });

describe('event times ahead of ingestion time', () => {
  it('accepts up to limits.maxFutureSkewMs ahead (ten minutes by default) and dead-letters later ones', () => {
    expect(DEFAULT_EVENT_LIMITS.maxFutureSkewMs).toBe(10 * MINUTE);
    expect(translate(track(at(NOW + 10 * MINUTE))).kind).toBe('ok');
    expect(translate(track(at(NOW + 10 * MINUTE + 1)))).toMatchObject({ kind: 'deadLetter', code: 'TIMESTAMP_IN_FUTURE', stage: 'validate', path: '/event_timestamp' });
    expect(translate(track(at(NOW - 400 * 86_400_000))).kind).toBe('ok'); // the past is fine: backfills
  });

  it('compares times with a zone offset by their instant', () => {
    // 09:20 at +01:00 is 08:20Z: in the past; 10:15Z written as 10:15+00:00 is ahead.
    expect(translate(canonical('2026-11-28T09:20:00.000+01:00')).kind).toBe('ok');
    expect(translate(canonical('2026-11-28T09:15:00.000+00:00'))).toMatchObject({ kind: 'deadLetter', code: 'TIMESTAMP_IN_FUTURE' });
    expect(translate(canonical(at(NOW + 11 * MINUTE)))).toMatchObject({ kind: 'deadLetter', code: 'TIMESTAMP_IN_FUTURE' });
  });

  it('follows the configured limit', () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxFutureSkewMs: 0 };
    expect(translate(track(at(NOW)), 'auto', { limits }).kind).toBe('ok');
    expect(translate(track(at(NOW + 1)), 'auto', { limits })).toMatchObject({ kind: 'deadLetter', code: 'TIMESTAMP_IN_FUTURE' });
  });
});
