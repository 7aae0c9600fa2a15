/**
 * CloudEvents 1.0 → canonical: structured mode (a JSON object with `specversion`, `id`, `source`,
 * `type`, …) and Kafka binary mode (`ce_*` headers, the record value is `data`). A CloudEvent whose
 * data is itself a canonical event (what Quintet writes) is taken as canonical. Mapping table:
 * docs/adapters.md#cloudevents.
 */
import { ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent, JsonObject, JsonValue } from '../../schemas/canonical-event.js';
import { isValidEventName, toSnakeSegment } from '../../schemas/taxonomy.js';
import { TranslationReason } from '../validation/reasons.js';
import { adaptOne as adaptCanonicalOne, looksCanonical } from './canonical.js';
import {
  actionTypeFromVerb,
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  isObject,
  jsonObject,
  mapVendorName,
  normalizeTimestamp,
  type Obj,
  text,
} from './common.js';
import { hexId } from './otel.js';

/** Context attributes defined by the spec (everything else is an extension). */
const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

export const isStructuredCloudEvent = (value: unknown): boolean =>
  isObject(value) && typeof value.specversion === 'string' && typeof value.type === 'string' && 'source' in value && 'id' in value;

export const hasBinaryCloudEventHeaders = (headers: Readonly<Record<string, string>>): boolean => headers.ce_specversion !== undefined;

/** Binary mode: rebuild the structured form from `ce_*` headers and the (parsed) value as data. */
export function fromBinary(headers: Readonly<Record<string, string>>, data: unknown): Obj {
  const event: Obj = {};
  for (const name in headers) {
    if (name.startsWith('ce_') && name.length > 3) event[name.slice(3)] = headers[name];
  }
  const contentType = headers['content-type'];
  if (contentType !== undefined) event.datacontenttype = contentType;
  if (data !== undefined) event.data = data;
  return event;
}

/**
 * CloudEvents `type` → name. A valid `domain.entity.action` stays; reverse-DNS types keep their last
 * three segments after dropping version segments (`com.github.pull_request.opened` →
 * `github.pull_request.opened`, `google.cloud.storage.object.v1.finalized` → `storage.object.finalized`);
 * shorter types go through the generic vendor normalization with domain `events`.
 */
export function cloudEventTypeToName(type: string, context: AdapterContext): { name: string } | ReturnType<typeof adaptFailure> {
  if (isValidEventName(type)) return { name: type };
  const override = context.nameOverrides.get(type);
  if (override !== undefined) return { name: override };
  const parts = type.split('.').map(toSnakeSegment).filter((p) => p !== '' && !/^v\d+$/.test(p));
  if (parts.length > 3) {
    const name = parts.slice(-3).join('.');
    return isValidEventName(name) ? { name } : adaptFailure(TranslationReason.EVENT_NAME_INVALID, 'CloudEvents type does not map to domain.entity.action', 'type');
  }
  return mapVendorName(parts.length === 3 ? parts.join('.') : type, 'events', context, 'type');
}

/** W3C traceparent (CloudEvents distributed-tracing extension) → ids. */
function traceparent(value: unknown): { trace_id?: string; span_id?: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value.trim());
  if (m === null) return undefined;
  return { trace_id: hexId(m[1], 16) || undefined, span_id: hexId(m[2], 8) || undefined };
}

const ACTOR_KEYS = ['actor_id', 'user_id', 'userId', 'actorId'];

export function adaptCloudEvents(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  const event = hasBinaryCloudEventHeaders(context.headers) ? fromBinary(context.headers, payload) : payload;
  if (Array.isArray(event)) {
    // Batched structured mode (`application/cloudevents-batch+json`).
    if (event.length === 0) return adaptFailure(TranslationReason.EMPTY_BATCH, 'CloudEvents batch is empty');
    const events: CanonicalEvent[] = [];
    for (let i = 0; i < event.length; i++) {
      const one = adaptOne(event[i], context, `[${i}].`);
      if (one.kind !== 'ok') return one;
      events.push(one.value);
    }
    return ok(events);
  }
  const one = adaptOne(event, context, '');
  return one.kind === 'ok' ? ok([one.value]) : one;
}

function adaptOne(event: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isStructuredCloudEvent(event)) return formatMismatch('cloudevents', 'expected specversion, id, source and type');
  return adaptStructured(event as Obj & { specversion: string; type: string }, context, at);
}

function adaptStructured(event: Obj & { specversion: string; type: string }, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!event.specversion.startsWith('1.')) return adaptFailure(TranslationReason.FORMAT_UNKNOWN, 'only CloudEvents 1.x is supported', `${at}specversion`);
  const id = text(event.id);
  const source = text(event.source);
  if (id === undefined || source === undefined) return adaptFailure(TranslationReason.FIELD_INVALID, 'CloudEvents id and source must be non-empty strings', `${at}id`);
  // Quintet's own outward mapping carries the full canonical event as data.
  if (looksCanonical(event.data)) return adaptCanonicalOne(event.data, context, `${at}data.`);

  const named = cloudEventTypeToName(event.type, context);
  if ('kind' in named) return { ...named, path: `${at}type` };
  const timestamp = event.time === undefined ? context.observed : normalizeTimestamp(event.time);
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'CloudEvents time is not RFC 3339', `${at}time`);

  const data = jsonObject(event.data);
  let actorId: string | undefined;
  let actorKey: string | undefined;
  for (const key of ACTOR_KEYS) {
    if (actorId !== undefined) break;
    actorId = text(data?.[key]);
    if (actorId !== undefined) actorKey = key;
  }
  if (actorId === undefined && isObject(data?.actor)) {
    actorId = text((data.actor as Obj).id);
    if (actorId !== undefined) actorKey = 'actor';
  }
  // The actor's raw id lives in actor.id only, where the PII vault finds it; not again in entity details.
  let details = data;
  if (data !== undefined && actorKey !== undefined) {
    details = { ...data };
    delete details[actorKey];
  }
  const entitySegment = named.name.slice(named.name.indexOf('.') + 1, named.name.lastIndexOf('.'));

  const attributes: JsonObject = {};
  for (const key in event) {
    if (!CORE_ATTRIBUTES.has(key)) attributes[`cloudevents.${key}`] = event[key] as JsonValue;
  }
  if (typeof event.datacontenttype === 'string') attributes['cloudevents.datacontenttype'] = event.datacontenttype;
  if (typeof event.dataschema === 'string') attributes['cloudevents.dataschema'] = event.dataschema;
  if (data === undefined && event.data !== undefined && typeof event.data !== 'object') attributes['cloudevents.data'] = event.data as JsonValue;

  return ok(
    finishEvent({
      // CloudEvents ids are unique per source, so the source is part of the derived id.
      id: eventId('cloudevents', /^[0-9a-fA-F-]{36}$/.test(id) ? id : `${source} ${id}`),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source,
      action: { name: named.name, type: actionTypeFromVerb(named.name.slice(named.name.lastIndexOf('.') + 1), 'other') },
      // Without a person in data, the producing source is the actor.
      actor: actorId !== undefined ? { id: actorId, type: 'user' } : { id: source, type: 'service' },
      entity: { id: text(event.subject), type: text(data?.entity_type) ?? entitySegment, details },
      context: { telemetry: traceparent(event.traceparent), attributes },
    }),
  );
}
