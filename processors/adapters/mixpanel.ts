/**
 * Mixpanel track event (`{"event": "...", "properties": {...}}`, Ingestion API /track and /import),
 * or an array of them → canonical. Mapping table: docs/adapters.md#mixpanel.
 */
import { ok, type StepResult } from '../../core/result.js';
import type { ActorType, CanonicalEvent, JsonObject } from '../../schemas/canonical-event.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  mapVendorName,
  normalizeTimestamp,
  omit,
  scalarAttributes,
  text,
  adaptOneOrBatch,
} from './common.js';
import { entityFromProperties } from './segment.js';

/** Reserved properties consumed by the mapping; `token` is the project secret and is always dropped. */
const CONSUMED = new Set(['time', 'distinct_id', '$insert_id', 'token', 'ip', '$ip', '$user_id', '$device_id', '$user_agent', 'mp_lib', '$lib', '$lib_version', '$os', '$browser', '$browser_version', '$current_url', '$session_id', '$referrer']);

export function adaptMixpanel(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, undefined, 'mixpanel batch is empty', (item, at) => adaptOne(item, context, at));
}

function adaptOne(message: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(message) || typeof message.event !== 'string' || !isObject(message.properties)) {
    return formatMismatch('mixpanel', 'expected {"event": string, "properties": object}');
  }
  const p = message.properties;
  const named = mapVendorName(message.event, 'analytics', context, `${at}event`);
  if ('kind' in named) return named;

  const userId = text(p.$user_id);
  const deviceId = text(p.$device_id);
  const distinctId = text(p.distinct_id);
  // Simplified ID merge: $user_id wins; a distinct_id that is the device id (or `$device:…`) is anonymous.
  const anonymous = userId === undefined && (distinctId === undefined || distinctId === deviceId || distinctId.startsWith('$device:'));
  const actorId = userId ?? distinctId ?? deviceId;
  if (actorId === undefined) return adaptFailure(TranslationReason.ACTOR_MISSING, 'mixpanel event has no distinct_id', `${at}properties.distinct_id`);
  const actorType: ActorType = anonymous ? 'anonymous' : 'user';
  const actorDetails: JsonObject | undefined =
    deviceId !== undefined && deviceId !== actorId ? { device_id: deviceId } : undefined;

  const timestamp = p.time === undefined ? context.observed : normalizeTimestamp(p.time, 'auto');
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'mixpanel time is not epoch seconds or milliseconds', `${at}properties.time`);

  const properties = omit(p, CONSUMED);
  const lib = text(p.mp_lib) ?? text(p.$lib);
  return ok(
    finishEvent({
      id: eventId('mixpanel', p.$insert_id),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: lib === undefined ? 'mixpanel' : `mixpanel/${encodeURIComponent(lib)}`,
      action: { name: named.name, type: 'track' },
      actor: { id: actorId, type: actorType, details: actorDetails },
      entity: entityFromProperties(named.name, properties),
      context: {
        client: { ip_address: ipOrUndefined(p.ip ?? p.$ip), user_agent: text(p.$user_agent), session_id: text(p.$session_id) },
        domain_specific: { analytics: { properties } },
        attributes: scalarAttributes(
          'library.name', lib,
          'library.version', p.$lib_version,
          'os.name', p.$os,
          'browser.name', p.$browser,
          'browser.version', p.$browser_version,
          'page.url', p.$current_url,
          'page.referrer', p.$referrer,
        ),
      },
    }),
  );
}
