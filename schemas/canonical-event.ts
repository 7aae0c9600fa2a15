/**
 * The canonical Actor–Action–Entity–Timestamp–Context event (design Part 3): the contract every
 * processor and every user depends on. This TypeScript type is the in-memory shape; the JSON Schema
 * (validation) and the Avro schema (wire) are derived from / checked against the same field list.
 *
 * Timestamps are ISO-8601 UTC strings with millisecond precision, e.g. `2026-11-28T09:01:03.123Z`.
 */

export const CANONICAL_SPEC_VERSION = '1.0';

/**
 * Categories of action (the design leaves the enum open; docs/canonical-model.md#action-type):
 * - `create` / `read` / `update` / `delete`: CRUD on the entity (audit logs, CloudTrail, GitHub);
 * - `access`: authentication and authorization (logins, token exchanges, role assumption);
 * - `track`: an analytics event (Segment/Mixpanel/Amplitude track, page, screen);
 * - `identify`: a statement about the actor itself (Segment identify, Amplitude $identify);
 * - `log`: an observability log record (OpenTelemetry);
 * - `social`: an activity-stream interaction (like, comment, share, follow);
 * - `system`: emitted by the platform itself (warnings, notifications, erasure);
 * - `other`: none of the above. Readers must accept values added later (the Avro field is a string).
 */
export const ACTION_TYPES = ['create', 'read', 'update', 'delete', 'access', 'track', 'identify', 'log', 'social', 'system', 'other'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export const ACTOR_TYPES = ['user', 'service', 'anonymous', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Outcome of the event: `SUCCESS`, `FAILURE` (then `context.error` says why), `UNKNOWN` when the source does not say. */
export const EVENT_STATUSES = ['SUCCESS', 'FAILURE', 'UNKNOWN'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface CanonicalEvent {
  /** UUID of this event (CloudEvents `id`). */
  id: string;
  /** When the event occurred (OTel Timestamp). */
  event_timestamp: string;
  /** When Quintet observed it, set at ingestion (OTel ObservedTimestamp). */
  observed_timestamp: string;
  /** Producing service/application as a URI-reference (CloudEvents `source`, OTel Resource service.name). */
  source: string;
  spec_version: string;
  action: {
    /** `domain.entity.action`, e.g. `billing.invoice.created`. */
    name: string;
    type: ActionType;
  };
  actor: {
    /** Raw identifier before the vault; removed (or replaced by a non-PII service name) after pseudonymization. */
    id?: string;
    type?: ActorType;
    /** Random pseudonym issued by the PII vault. */
    pseudonym?: string;
    details?: JsonObject;
  };
  entity?: {
    id?: string;
    type?: string;
    details?: JsonObject;
  };
  context?: {
    client?: {
      ip_address?: string;
      user_agent?: string;
      session_id?: string;
    };
    telemetry?: {
      trace_id?: string;
      span_id?: string;
      duration_ms?: number;
    };
    domain_specific?: {
      audit?: {
        request?: JsonObject;
        response?: JsonObject;
      };
      analytics?: {
        properties?: JsonObject;
        user_state_snapshot?: JsonObject;
      };
    };
    attributes?: JsonObject;
    status?: EventStatus;
    error?: {
      code?: string;
      message?: string;
    };
  };
}

/** Hash-chain fields carried beside each canonical event on the canonical topic (design Part 5.2). */
export interface ChainLink {
  /** Partition of the canonical topic: one chain per partition. */
  partition: number;
  /** 0-based sequence number of this entry in its chain. */
  sequence: number;
  /** Hex HMAC-SHA256 of the previous entry (64 zeros for sequence 0). */
  previous_hash: string;
  /** Hex HMAC-SHA256 of this entry. */
  hash: string;
  /** Id of the chain key used. */
  key_id: string;
}
