/**
 * Canonical → OpenTelemetry LogRecord in OTLP/JSON (design Part 4.2):
 *   action.name → EventName, context.attributes → Attributes, telemetry trace/span → TraceId/SpanId,
 *   source → Resource["service.name"], event_timestamp → Timestamp, observed_timestamp → ObservedTimestamp,
 *   status FAILURE → severity ERROR (17), otherwise INFO (9).
 * The rest of the event travels in semantic-convention attributes (`log.record.uid`, `user.id`,
 * `entity.id`, `entity.type`, `client.address`, `user_agent.original`, `session.id`, `error.type`) and
 * in `quintet.*` attributes and a kvlist body, so processors/adapters/otel.ts reads it back unchanged.
 */
import type { CanonicalEvent, JsonObject, JsonValue } from '../../../schemas/canonical-event.js';
import { OTEL_KEYS } from '../otel.js';

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;
export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body?: AnyValue;
  attributes: KeyValue[];
  traceId?: string;
  spanId?: string;
}

export interface OtlpLogsPayload {
  resourceLogs: Array<{
    resource: { attributes: KeyValue[] };
    scopeLogs: Array<{ scope: { name: string; version: string }; logRecords: OtlpLogRecord[] }>;
  }>;
}

/** JSON → OTLP AnyValue; integers as decimal strings (int64 in the protobuf JSON mapping). */
export function toAnyValue(value: JsonValue): AnyValue {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  return { kvlistValue: { values: toKeyValues(value) } };
}

export function toKeyValues(object: JsonObject): KeyValue[] {
  const out: KeyValue[] = [];
  for (const key in object) out.push({ key, value: toAnyValue(object[key] as JsonValue) });
  return out;
}

const nanos = (iso: string): string => `${Date.parse(iso)}000000`;

export const OTEL_SCOPE = { name: 'quintet', version: '1.0' } as const;

/** One canonical event → one OTLP LogRecord. */
export function toOtelLogRecord(event: CanonicalEvent): OtlpLogRecord {
  const context = event.context ?? {};
  const attributes: JsonObject = { ...(context.attributes ?? {}) };
  const put = (key: string, value: string | number | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  put(OTEL_KEYS.recordUid, event.id);
  put(OTEL_KEYS.actionType, event.action.type);
  put(OTEL_KEYS.userId, event.actor.id);
  put(OTEL_KEYS.actorType, event.actor.type);
  put(OTEL_KEYS.actorPseudonym, event.actor.pseudonym);
  put(OTEL_KEYS.entityId, event.entity?.id);
  put(OTEL_KEYS.entityType, event.entity?.type);
  put(OTEL_KEYS.clientAddress, context.client?.ip_address);
  put(OTEL_KEYS.userAgent, context.client?.user_agent);
  put(OTEL_KEYS.sessionId, context.client?.session_id);
  put(OTEL_KEYS.durationMs, context.telemetry?.duration_ms);
  put(OTEL_KEYS.status, context.status);
  put(OTEL_KEYS.errorType, context.error?.code);
  put(OTEL_KEYS.errorMessage, context.error?.message);

  const body: JsonObject = {};
  if (context.domain_specific !== undefined) body.domain_specific = context.domain_specific as JsonObject;
  if (event.actor.details !== undefined) body.actor_details = event.actor.details;
  if (event.entity?.details !== undefined) body.entity_details = event.entity.details;

  const failure = context.status === 'FAILURE';
  const record: OtlpLogRecord = {
    timeUnixNano: nanos(event.event_timestamp),
    observedTimeUnixNano: nanos(event.observed_timestamp),
    severityNumber: failure ? 17 : 9,
    severityText: failure ? 'ERROR' : 'INFO',
    eventName: event.action.name,
    attributes: toKeyValues(attributes),
  };
  for (const _ in body) {
    record.body = toAnyValue(body);
    break;
  }
  if (context.telemetry?.trace_id !== undefined) record.traceId = context.telemetry.trace_id;
  if (context.telemetry?.span_id !== undefined) record.spanId = context.telemetry.span_id;
  return record;
}

/** Many canonical events → one OTLP/JSON logs payload, one ResourceLogs per source (service.name). */
export function toOtlpLogs(events: readonly CanonicalEvent[]): OtlpLogsPayload {
  const bySource = new Map<string, OtlpLogRecord[]>();
  for (const event of events) {
    let records = bySource.get(event.source);
    if (records === undefined) bySource.set(event.source, (records = []));
    records.push(toOtelLogRecord(event));
  }
  return {
    resourceLogs: [...bySource].map(([source, logRecords]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: source } }] },
      scopeLogs: [{ scope: { ...OTEL_SCOPE }, logRecords }],
    })),
  };
}
