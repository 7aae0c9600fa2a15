/**
 * Amplitude HTTP V2 API event → canonical (https://amplitude.com/docs/apis/analytics/http-v2), one
 * event object or a whole upload body `{"api_key": "...", "events": [...]}` (the api_key is a secret
 * and is never copied). Mapping table: docs/adapters.md#amplitude.
 */
import { ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent, JsonObject } from '../../schemas/canonical-event.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  jsonObject,
  mapVendorName,
  namedSource,
  mergeJson,
  normalizeTimestamp,
  type Obj,
  pick,
  scalarAttributes,
  text,
  adaptOneOrBatch,
} from './common.js';
import { entityFromProperties } from './segment.js';

/** Amplitude's revenue fields live at top level; canonical keeps them with the event properties. */
const REVENUE_FIELDS = ['price', 'quantity', 'revenue', 'productId', 'revenueType'];

export function adaptAmplitude(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, 'events', 'amplitude upload has no events', (item, at) => adaptOne(item, context, at));
}

function adaptOne(event: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(event) || typeof event.event_type !== 'string') return formatMismatch('amplitude', 'expected an event with event_type');
  const named = event.event_type === '$identify' ? { name: 'analytics.user.identified' } : mapVendorName(event.event_type, 'analytics', context, `${at}event_type`);
  if ('kind' in named) return named;

  const userId = text(event.user_id);
  const deviceId = text(event.device_id);
  if (userId === undefined && deviceId === undefined) return adaptFailure(TranslationReason.ACTOR_MISSING, 'amplitude event has neither user_id nor device_id', `${at}user_id`);

  // Amplitude sets the upload time when `time` is absent; so does Quintet (ingestion time).
  const timestamp = event.time === undefined ? context.observed : normalizeTimestamp(event.time, 'ms');
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'amplitude time is not epoch milliseconds', `${at}time`);

  const eventProperties = jsonObject(event.event_properties);
  const revenue = pick(event, REVENUE_FIELDS);
  const properties: JsonObject | undefined = revenue === undefined ? eventProperties : mergeJson(eventProperties, revenue);
  const userProperties = jsonObject(event.user_properties);
  let actorDetails = userProperties;
  if (userId !== undefined && deviceId !== undefined) {
    actorDetails = mergeJson(userProperties);
    actorDetails.device_id = deviceId;
  }
  // session_id is the session start in epoch ms; -1 means "no session".
  const session = typeof event.session_id === 'number' && event.session_id < 0 ? undefined : text(event.session_id);
  const named2 = named.name;

  return ok(
    finishEvent({
      id: eventId('amplitude', event.insert_id),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: sourceOf(event),
      action: { name: named2, type: event.event_type === '$identify' ? 'identify' : 'track' },
      actor: { id: userId ?? deviceId, type: userId !== undefined ? 'user' : 'anonymous', details: actorDetails },
      entity: entityFromProperties(named2, properties),
      context: {
        client: { ip_address: ipOrUndefined(event.ip), session_id: session },
        domain_specific: { analytics: { properties } },
        attributes: scalarAttributes(
          'app.version', event.app_version,
          'platform', event.platform,
          'os.name', event.os_name,
          'os.version', event.os_version,
          'device.brand', event.device_brand,
          'device.manufacturer', event.device_manufacturer,
          'device.model', event.device_model,
          'carrier', event.carrier,
          'geo.country', event.country,
          'geo.region', event.region,
          'geo.city', event.city,
          'language', event.language,
          'amplitude.event_id', event.event_id,
          'groups', isObject(event.groups) ? JSON.stringify(event.groups) : undefined,
        ),
      },
    }),
  );
}

/** `amplitude/<platform>` (matrix: app_version, platform identify the producer). */
function sourceOf(event: Obj): string {
  const platform = text(event.platform);
  return platform === undefined ? 'amplitude' : namedSource('amplitude', platform);
}
