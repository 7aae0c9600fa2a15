/**
 * Mixpanel track event (`{"event": "...", "properties": {...}}`, Ingestion API /track and /import), a
 * profile update (Engage API `{"$distinct_id", "$set" | "$set_once" | "$unset"}`), or an array of them →
 * canonical. `$identify` events and profile updates are `identify` events (`analytics.user.identified`).
 * Mapping table: docs/adapters.md#mixpanel.
 */
import { ok, type StepResult } from '../../core/result.js';
import type { ActorType, CanonicalEvent, JsonObject } from '../../schemas/canonical-event.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  adaptFailure,
  jsonObject,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  mapVendorName,
  namedSource,
  mergeJson,
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

/** An Engage API profile update: `$distinct_id` and at least one of the operations read here. */
export const isMixpanelProfileUpdate = (value: Record<string, unknown>): boolean =>
  typeof value.$distinct_id === 'string' && (isObject(value.$set) || isObject(value.$set_once) || Array.isArray(value.$unset));

function adaptOne(message: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (isObject(message) && isMixpanelProfileUpdate(message)) return adaptProfileUpdate(message, context, at);
  if (!isObject(message) || typeof message.event !== 'string' || !isObject(message.properties)) {
    return formatMismatch('mixpanel', 'expected {"event": string, "properties": object} or a profile update');
  }
  const p = message.properties;
  const named = message.event === '$identify' ? { name: IDENTIFIED } : mapVendorName(message.event, 'analytics', context, `${at}event`);
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
      source: lib === undefined ? 'mixpanel' : namedSource('mixpanel', lib),
      action: { name: named.name, type: message.event === '$identify' ? 'identify' : 'track' },
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

const IDENTIFIED = 'analytics.user.identified';

/**
 * Engage API profile update → identify event: `$set_once` then `$set` (which wins) as actor details,
 * `$unset` keys as null (removed from the profile). The reserved `$email`, `$name`, `$phone`... are
 * personal data like any such key: the vault's policy pseudonymizes them.
 */
function adaptProfileUpdate(message: Record<string, unknown>, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  const actorId = text(message.$distinct_id);
  if (actorId === undefined) return adaptFailure(TranslationReason.ACTOR_MISSING, 'mixpanel profile update has no $distinct_id', `${at}$distinct_id`);
  const timestamp = message.$time === undefined ? context.observed : normalizeTimestamp(message.$time, 'auto');
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'mixpanel $time is not epoch seconds or milliseconds', `${at}$time`);
  const details: JsonObject = mergeJson(jsonObject(message.$set_once), jsonObject(message.$set));
  if (Array.isArray(message.$unset)) for (const key of message.$unset) if (typeof key === 'string' && !(key in details)) details[key] = null;
  const anonymous = actorId.startsWith('$device:');
  return ok(
    finishEvent({
      id: eventId('mixpanel', message.$insert_id),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: 'mixpanel',
      action: { name: IDENTIFIED, type: 'identify' },
      actor: { id: actorId, type: anonymous ? 'anonymous' : 'user', details: Object.keys(details).length === 0 ? undefined : details },
      entity: { type: 'user' },
      context: { client: { ip_address: ipOrUndefined(message.$ip) }, attributes: scalarAttributes('mixpanel.operation', 'engage') },
    }),
  );
}
