/**
 * Canonical passthrough: a producer that already writes canonical events. The event is taken as is,
 * except that timestamps are normalized to `YYYY-MM-DDTHH:mm:ss.sssZ`, `observed_timestamp` is set to
 * the ingestion time (it is Quintet's observation, not the producer's claim), a missing spec_version
 * is filled in, and an uppercase id is lowercased. Everything else is checked by the JSON Schema.
 */
import { ok, type StepResult } from '../../core/result.js';
import { CANONICAL_SPEC_VERSION, type CanonicalEvent } from '../../schemas/canonical-event.js';
import { TranslationReason } from '../validation/reasons.js';
import { adaptFailure, type AdapterContext, formatMismatch, isObject, normalizeTimestamp } from './common.js';

const MAJOR = CANONICAL_SPEC_VERSION.split('.')[0] as string;

export const looksCanonical = (value: unknown): boolean =>
  isObject(value) && isObject(value.action) && typeof value.action.name === 'string' && 'event_timestamp' in value && 'actor' in value;

export function adaptCanonical(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  if (Array.isArray(payload)) {
    if (payload.length === 0) return adaptFailure(TranslationReason.EMPTY_BATCH, 'canonical array is empty');
    const events: CanonicalEvent[] = [];
    for (let i = 0; i < payload.length; i++) {
      const one = adaptOne(payload[i], context, `[${i}].`);
      if (one.kind !== 'ok') return one;
      events.push(one.value);
    }
    return ok(events);
  }
  const one = adaptOne(payload, context, '');
  return one.kind === 'ok' ? ok([one.value]) : one;
}

/** Adapts one parsed canonical object in place (it was freshly parsed and belongs to the caller). */
export function adaptOne(value: unknown, context: AdapterContext, at = ''): StepResult<CanonicalEvent> {
  if (!looksCanonical(value)) return formatMismatch('canonical', 'expected an object with action.name, event_timestamp and actor');
  const event = value as Record<string, unknown>;
  const timestamp = normalizeTimestamp(event.event_timestamp);
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'event_timestamp is not an ISO-8601 date-time', `${at}event_timestamp`);
  event.event_timestamp = timestamp;
  event.observed_timestamp = context.observed;
  if (event.spec_version === undefined) event.spec_version = CANONICAL_SPEC_VERSION;
  else if (typeof event.spec_version !== 'string' || event.spec_version.split('.')[0] !== MAJOR) {
    return adaptFailure(TranslationReason.SCHEMA_INVALID, `spec_version must be ${MAJOR}.x`, `${at}spec_version`);
  }
  if (typeof event.id === 'string') event.id = event.id.toLowerCase();
  return ok(event as unknown as CanonicalEvent);
}
