/**
 * OpenTelemetry logs in OTLP/JSON (`{"resourceLogs": [{resource, scopeLogs: [{scope, logRecords}]}]}`,
 * the body of an OTLP/HTTP `/v1/logs` request or a file exporter line) → canonical, one event per
 * LogRecord. Mapping table: docs/adapters.md#otel. The outward mapping is processors/adapters/outbound/otel.ts;
 * records written by it come back unchanged (round trip), through the `quintet.*` attribute keys below.
 */
import { ok, type StepResult } from '../../core/result.js';
import { ACTION_TYPES, ACTOR_TYPES, EVENT_STATUSES, type ActionType, type ActorType, type CanonicalEvent, type EventStatus, type JsonObject, type JsonValue } from '../../schemas/canonical-event.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  isoFromUnixNano,
  jsonObject,
  mapVendorName,
  type Obj,
  text,
  toWellFormed,
} from './common.js';

/** Attribute keys the mapping consumes (semantic conventions first, then Quintet's own). */
export const OTEL_KEYS = {
  userId: 'user.id',
  enduserId: 'enduser.id',
  entityId: 'entity.id',
  entityType: 'entity.type',
  eventName: 'event.name',
  recordUid: 'log.record.uid',
  clientAddress: 'client.address',
  userAgent: 'user_agent.original',
  sessionId: 'session.id',
  exceptionType: 'exception.type',
  exceptionMessage: 'exception.message',
  errorType: 'error.type',
  actorType: 'quintet.actor.type',
  actorPseudonym: 'quintet.actor.pseudonym',
  actionType: 'quintet.action.type',
  status: 'quintet.status',
  errorMessage: 'quintet.error.message',
  durationMs: 'quintet.duration_ms',
} as const;
const CONSUMED = new Set<string>(Object.values(OTEL_KEYS));

/** OTLP AnyValue → JSON value. Recursion is bounded: the input already passed the depth limit. */
export function fromAnyValue(value: unknown): JsonValue | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (value.intValue !== undefined) {
    // int64 travels as a decimal string in OTLP/JSON; keep it exact when it does not fit a double.
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) {
    const n = Number(value.doubleValue);
    return Number.isFinite(n) ? n : String(value.doubleValue);
  }
  if (typeof value.bytesValue === 'string') return value.bytesValue;
  if (isObject(value.arrayValue)) {
    const values = Array.isArray(value.arrayValue.values) ? value.arrayValue.values : [];
    return values.map((v) => fromAnyValue(v) ?? null);
  }
  if (isObject(value.kvlistValue)) return fromKeyValues(value.kvlistValue.values) ?? {};
  // An empty AnyValue is OTLP's null.
  for (const _ in value) return undefined;
  return null;
}

/** OTLP `[{key, value: AnyValue}]` → object. */
export function fromKeyValues(list: unknown): JsonObject | undefined {
  if (!Array.isArray(list)) return undefined;
  let out: JsonObject | undefined;
  for (const item of list) {
    if (!isObject(item) || typeof item.key !== 'string' || item.key === '__proto__') continue;
    const value = fromAnyValue(item.value);
    if (value !== undefined) (out ??= {})[item.key] = value;
  }
  return out;
}

const SEVERITY_BUCKETS = ['unspecified', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** severityNumber 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal. */
export const severityBucket = (n: number): string => (n >= 1 && n <= 24 ? (SEVERITY_BUCKETS[Math.ceil(n / 4)] as string) : 'unspecified');

/** Hex (OTLP/JSON) or base64 (protobuf JSON mapping) trace/span id → lowercase hex; '' for none; undefined if invalid. */
export function hexId(value: unknown, bytes: number): string | undefined {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string') return undefined;
  let hex: string;
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) hex = value.toLowerCase();
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes) hex = Buffer.from(value, 'base64').toString('hex');
  else return undefined;
  return /^0+$/.test(hex) ? '' : hex;
}

const safeSource = (name: string): string => (/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(name) ? name : encodeURIComponent(toWellFormed(name)));

export function adaptOtel(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  if (!isObject(payload) || !Array.isArray(payload.resourceLogs)) return formatMismatch('otel', 'expected OTLP/JSON {"resourceLogs": [...]}');
  const events: CanonicalEvent[] = [];
  for (let r = 0; r < payload.resourceLogs.length; r++) {
    const resourceLogs = payload.resourceLogs[r];
    if (!isObject(resourceLogs)) return adaptFailure(TranslationReason.FIELD_INVALID, 'resourceLogs entry is not an object', `resourceLogs[${r}]`);
    const resource = fromKeyValues(isObject(resourceLogs.resource) ? resourceLogs.resource.attributes : undefined) ?? {};
    const scopeLogs = Array.isArray(resourceLogs.scopeLogs) ? resourceLogs.scopeLogs : [];
    for (let s = 0; s < scopeLogs.length; s++) {
      const scopeLog = scopeLogs[s];
      if (!isObject(scopeLog)) return adaptFailure(TranslationReason.FIELD_INVALID, 'scopeLogs entry is not an object', `resourceLogs[${r}].scopeLogs[${s}]`);
      const scope = isObject(scopeLog.scope) ? scopeLog.scope : {};
      const records = Array.isArray(scopeLog.logRecords) ? scopeLog.logRecords : [];
      for (let l = 0; l < records.length; l++) {
        const at = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${l}]`;
        const one = adaptRecord(records[l], resource, scope, context, at);
        if (one.kind !== 'ok') return one;
        events.push(one.value);
      }
    }
  }
  if (events.length === 0) return adaptFailure(TranslationReason.EMPTY_BATCH, 'OTLP payload holds no log records', 'resourceLogs');
  return ok(events);
}

const unknownUnixNano = (value: unknown): boolean => value === undefined || value === null || value === 0 || (typeof value === 'string' && /^0+$/.test(value));

function oneOf<T extends string>(allowed: readonly T[], value: JsonValue | undefined): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function adaptRecord(record: unknown, resource: JsonObject, scope: Obj, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(record)) return adaptFailure(TranslationReason.FIELD_INVALID, 'logRecord is not an object', at);
  const attrs = fromKeyValues(record.attributes) ?? {};
  // Written by Quintet's outward mapping: restore exactly, without adding OTel-only attributes.
  const fromQuintet = typeof attrs[OTEL_KEYS.actionType] === 'string';

  const severity = typeof record.severityNumber === 'number' ? record.severityNumber : 0;
  const rawName = text(record.eventName) ?? text(attrs[OTEL_KEYS.eventName]);
  const named = rawName === undefined ? { name: `otel.log.${severityBucket(severity)}` } : mapVendorName(rawName, 'otel', context, `${at}.eventName`);
  if ('kind' in named) return named;

  // Absent or 0 means "unknown" in OTLP (then the observed time stands in); anything else that is not
  // an instant is broken input, dead-lettered like every other adapter's bad timestamp.
  for (const field of ['timeUnixNano', 'observedTimeUnixNano'] as const) {
    if (!unknownUnixNano(record[field]) && isoFromUnixNano(record[field]) === undefined) {
      return adaptFailure(TranslationReason.TIMESTAMP_INVALID, `${field} is not a time in nanoseconds since the epoch`, `${at}.${field}`);
    }
  }
  const timestamp = isoFromUnixNano(record.timeUnixNano) ?? isoFromUnixNano(record.observedTimeUnixNano) ?? context.observed;
  const traceId = hexId(record.traceId, 16);
  const spanId = hexId(record.spanId, 8);
  if (traceId === undefined) return adaptFailure(TranslationReason.FIELD_INVALID, 'traceId is not 16 bytes of hex', `${at}.traceId`);
  if (spanId === undefined) return adaptFailure(TranslationReason.FIELD_INVALID, 'spanId is not 8 bytes of hex', `${at}.spanId`);

  const serviceName = text(resource['service.name']);
  const source = serviceName === undefined ? (text(scope.name) ?? 'otel') : safeSource(serviceName);
  const body = fromAnyValue(record.body);
  const bodyObject = fromQuintet && isObject(body) ? body : undefined;

  const userId = text(attrs[OTEL_KEYS.userId]) ?? text(attrs[OTEL_KEYS.enduserId]);
  const pseudonym = text(attrs[OTEL_KEYS.actorPseudonym]);
  const declaredActorType = oneOf<ActorType>(ACTOR_TYPES, attrs[OTEL_KEYS.actorType]);
  let actor: CanonicalEvent['actor'];
  if (userId !== undefined || pseudonym !== undefined || declaredActorType !== undefined) {
    actor = { id: userId, type: declaredActorType ?? 'user', pseudonym, details: jsonObject(bodyObject?.actor_details) };
  } else {
    // No user: the emitting service is the actor (matrix: actor context = Resource).
    const details: JsonObject = { ...resource };
    delete details['service.name'];
    actor = { id: serviceName ?? source, type: 'service', details };
  }

  const attributes: JsonObject = {};
  for (const key in attrs) if (!CONSUMED.has(key)) attributes[key] = attrs[key] as JsonValue;
  if (!fromQuintet) {
    if (severity > 0) attributes['otel.severity_number'] = severity;
    if (typeof record.severityText === 'string' && record.severityText !== '') attributes['otel.severity_text'] = record.severityText;
    if (text(scope.name) !== undefined) attributes['otel.scope.name'] = scope.name as string;
    if (text(scope.version) !== undefined) attributes['otel.scope.version'] = scope.version as string;
    if (body !== undefined) attributes['otel.body'] = body;
  }

  const exceptionType = text(attrs[OTEL_KEYS.errorType]) ?? text(attrs[OTEL_KEYS.exceptionType]);
  const errorMessage = text(attrs[OTEL_KEYS.errorMessage]) ?? text(attrs[OTEL_KEYS.exceptionMessage]);
  const declaredStatus = oneOf<EventStatus>(EVENT_STATUSES, attrs[OTEL_KEYS.status]);
  // A record written by Quintet states its status (or has none); others are inferred from severity and exceptions.
  const status: EventStatus | undefined = fromQuintet ? declaredStatus : (declaredStatus ?? (severity >= 17 || exceptionType !== undefined ? 'FAILURE' : 'UNKNOWN'));
  const duration = attrs[OTEL_KEYS.durationMs];
  const domainSpecific = jsonObject(bodyObject?.domain_specific) as NonNullable<CanonicalEvent['context']>['domain_specific'];

  return ok(
    finishEvent({
      id: eventId('otel', attrs[OTEL_KEYS.recordUid]),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source,
      action: { name: named.name, type: oneOf<ActionType>(ACTION_TYPES, attrs[OTEL_KEYS.actionType]) ?? 'log' },
      actor,
      entity: {
        id: text(attrs[OTEL_KEYS.entityId]),
        type: text(attrs[OTEL_KEYS.entityType]),
        details: jsonObject(bodyObject?.entity_details),
      },
      context: {
        client: { ip_address: ipOrUndefined(attrs[OTEL_KEYS.clientAddress]), user_agent: text(attrs[OTEL_KEYS.userAgent]), session_id: text(attrs[OTEL_KEYS.sessionId]) },
        telemetry: { trace_id: traceId || undefined, span_id: spanId || undefined, duration_ms: typeof duration === 'number' ? duration : undefined },
        domain_specific: domainSpecific,
        attributes,
        status,
        error: exceptionType !== undefined || errorMessage !== undefined ? { code: exceptionType, message: errorMessage } : undefined,
      },
    }),
  );
}
