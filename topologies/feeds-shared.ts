/**
 * Pieces shared by the feed topologies (feeds.ts, likes.ts): reading the canonical topic's values and
 * their event time.
 */
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import type { TimestampExtractor } from '../streams/time.js';

/** A canonical-topic value: the envelope `{ event, chain }` or a bare canonical event. */
export type CanonicalValue = CanonicalEvent | { readonly event: CanonicalEvent; readonly chain?: unknown };

export function canonicalEventOf(value: CanonicalValue | null | undefined): CanonicalEvent | undefined {
  if (value === null || value === undefined || typeof value !== 'object') return undefined;
  if ('event' in value && value.event !== null && typeof value.event === 'object') return value.event;
  return 'action' in value ? value : undefined;
}

/** Event time of a canonical-topic record (`event_timestamp`), else the record's own timestamp. */
export const canonicalEventTime: TimestampExtractor<unknown, CanonicalValue> = (record) => {
  const event = canonicalEventOf(record.value);
  const parsed = event === undefined ? Number.NaN : Date.parse(event.event_timestamp);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : record.timestamp;
};
