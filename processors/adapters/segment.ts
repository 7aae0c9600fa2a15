/**
 * Segment Spec → canonical (https://segment.com/docs/connections/spec/): `track`, `identify`, `page`,
 * `screen`, `group`, `alias`, and a `{"batch": [...]}` HTTP Tracking API body (many events).
 * Mapping table: docs/adapters.md#segment.
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
  jsonObject,
  mapVendorName,
  namedSource,
  normalizeTimestamp,
  type Obj,
  NO_FIELDS,
  putScalar,
  text,
  adaptOneOrBatch,
} from './common.js';

export const SEGMENT_TYPES = new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']);

export function adaptSegment(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, 'batch', 'segment batch is empty', (item, at) => adaptOne(item, context, at));
}

function adaptOne(message: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(message)) return formatMismatch('segment', 'message is not an object');
  const type = message.type;
  if (typeof type !== 'string' || !SEGMENT_TYPES.has(type)) return formatMismatch('segment', 'type is not track, identify, page, screen, group or alias');
  const ctx = isObject(message.context) ? message.context : NO_FIELDS;

  const named = eventName(type, message, context, at);
  if ('kind' in named) return named;

  const userId = text(message.userId);
  const anonymousId = text(message.anonymousId);
  if (userId === undefined && anonymousId === undefined) return adaptFailure(TranslationReason.ACTOR_MISSING, 'segment message has neither userId nor anonymousId', `${at}userId`);

  const rawTime = message.timestamp ?? message.originalTimestamp ?? message.receivedAt ?? message.sentAt;
  const timestamp = rawTime === undefined ? context.observed : normalizeTimestamp(rawTime);
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'segment timestamp is not an ISO-8601 date-time', `${at}timestamp`);

  // identify carries the traits at top level; other calls may carry them in context.traits.
  const traits = jsonObject(type === 'identify' || type === 'group' ? message.traits : ctx.traits);
  let actorDetails: JsonObject | undefined = traits === undefined ? undefined : { ...traits };
  if (userId !== undefined && anonymousId !== undefined) (actorDetails ??= {}).anonymous_id = anonymousId;
  const actorType: ActorType = userId !== undefined ? 'user' : 'anonymous';

  const properties = jsonObject(type === 'page' || type === 'screen' ? withPageName(message) : message.properties);
  const library = isObject(ctx.library) ? ctx.library : NO_FIELDS;
  const app = isObject(ctx.app) ? ctx.app : NO_FIELDS;
  const page = isObject(ctx.page) ? ctx.page : NO_FIELDS;
  const os = isObject(ctx.os) ? ctx.os : NO_FIELDS;
  const device = isObject(ctx.device) ? ctx.device : NO_FIELDS;
  // Pair by pair (scalarAttributes' rule) rather than through its argument array: this runs per event.
  const attributes: JsonObject = {};
  putScalar(attributes, 'segment.type', type);
  putScalar(attributes, 'library.name', library.name);
  putScalar(attributes, 'library.version', library.version);
  putScalar(attributes, 'app.name', app.name);
  putScalar(attributes, 'app.version', app.version);
  putScalar(attributes, 'os.name', os.name);
  putScalar(attributes, 'os.version', os.version);
  putScalar(attributes, 'device.type', device.type);
  putScalar(attributes, 'page.path', page.path);
  putScalar(attributes, 'page.url', page.url);
  putScalar(attributes, 'page.referrer', page.referrer);
  putScalar(attributes, 'locale', ctx.locale);
  putScalar(attributes, 'timezone', ctx.timezone);
  putScalar(attributes, 'group_id', type === 'group' ? message.groupId : ctx.groupId);
  putScalar(attributes, 'previous_id', type === 'alias' ? message.previousId : undefined);

  return ok(
    finishEvent({
      id: eventId('segment', message.messageId),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: sourceOf(app, library),
      action: { name: named.name, type: type === 'identify' ? 'identify' : 'track' },
      actor: { id: userId ?? anonymousId, type: actorType, details: actorDetails },
      entity: entityOf(named.name, properties, type, message),
      context: {
        client: { ip_address: ipOrUndefined(ctx.ip), user_agent: text(ctx.userAgent), session_id: text(ctx.sessionId) },
        domain_specific: { analytics: { properties } },
        attributes,
      },
    }),
  );
}

function eventName(type: string, message: Obj, context: AdapterContext, at: string): { name: string } | ReturnType<typeof adaptFailure> {
  switch (type) {
    case 'track':
      return mapVendorName(message.event, 'analytics', context, `${at}event`);
    case 'identify':
      return { name: 'analytics.user.identified' };
    case 'page':
      return { name: 'analytics.page.viewed' };
    case 'screen':
      return { name: 'analytics.screen.viewed' };
    case 'group':
      return { name: 'analytics.group.joined' };
    default:
      return { name: 'analytics.user.aliased' };
  }
}

/** page/screen `name` and `category` live beside properties in the spec; keep them with the properties. */
function withPageName(message: Obj): unknown {
  const properties = isObject(message.properties) ? { ...message.properties } : {};
  if (typeof message.name === 'string') properties.name ??= message.name;
  if (typeof message.category === 'string') properties.category ??= message.category;
  return properties;
}

/** `segment/<app or library name>`: Segment does not name the producing service otherwise. */
function sourceOf(app: Obj, library: Obj): string {
  const name = text(app.namespace) ?? text(app.name) ?? text(library.name);
  return name === undefined ? 'segment' : namedSource('segment', name);
}

/**
 * The entity, per the matrix (`properties.*_id` / `*_type`): first `<entity segment>_id` (e.g.
 * `order_id` for `analytics.order.completed`), then `object_id`/`object_type`, then the first `*_id`.
 */
export function entityFromProperties(name: string, properties: JsonObject | undefined): CanonicalEvent['entity'] {
  if (properties === undefined) return undefined;
  const keys = entityKeysOf(name);
  const own = text(properties[keys.id]);
  if (own !== undefined) return { id: own, type: text(properties[keys.type]) ?? keys.segment };
  const objectId = text(properties.object_id);
  if (objectId !== undefined) return { id: objectId, type: text(properties.object_type) };
  for (const key in properties) {
    if (key.endsWith('_id') && key.length > 3 && !PERSON_IDS.has(key)) {
      const id = text(properties[key]);
      if (id !== undefined) {
        const prefix = key.slice(0, -3);
        return { id, type: text(properties[`${prefix}_type`]) ?? prefix };
      }
    }
  }
  return undefined;
}

interface EntityKeys {
  readonly segment: string;
  readonly id: string;
  readonly type: string;
}

/**
 * The entity segment of a name and its `<segment>_id` / `<segment>_type` keys, remembered per name:
 * built anew, each key would be a fresh string V8 must hash before every lookup. Bounded.
 */
function entityKeysOf(name: string): EntityKeys {
  let keys = entityKeys.get(name);
  if (keys === undefined) {
    const segment = name.slice(name.indexOf('.') + 1, name.lastIndexOf('.'));
    keys = { segment, id: `${segment}_id`, type: `${segment}_type` };
    if (entityKeys.size >= ENTITY_KEYS_MAX) entityKeys.clear();
    entityKeys.set(name, keys);
  }
  return keys;
}
const entityKeys = new Map<string, EntityKeys>();
const ENTITY_KEYS_MAX = 4096;

/** Ids of people/devices/sessions are actor or client context, never the entity. */
const PERSON_IDS = new Set(['user_id', 'anonymous_id', 'distinct_id', 'device_id', 'session_id', 'insert_id', 'message_id', 'client_id']);

function entityOf(name: string, properties: JsonObject | undefined, type: string, message: Obj): CanonicalEvent['entity'] {
  // The user of identify/alias is the actor itself: its id stays in actor.id only, where the vault finds it.
  if (type === 'identify' || type === 'alias') return { type: 'user' };
  if (type === 'group') return { id: text(message.groupId), type: 'group' };
  return entityFromProperties(name, properties);
}
