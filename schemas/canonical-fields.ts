/**
 * The single field list of the canonical event. The JSON Schema (schemas/json-schema.ts) and the
 * Avro schema (schemas/avro.ts) are both generated from this tree, and test/unit/schemas proves that
 * the TypeScript type in canonical-event.ts has exactly the same fields (name, optionality, kind).
 *
 * To evolve the model: add an OPTIONAL field here and in canonical-event.ts (the Avro schema then
 * stays BACKWARD and FORWARD compatible), bump CANONICAL_SPEC_VERSION's minor, and update docs/canonical-model.md.
 */
import { ACTION_TYPES, ACTOR_TYPES, EVENT_STATUSES } from './canonical-event.js';

/** How a string field is constrained beyond "is a string". */
export type StringFormat =
  | 'uuid'
  /** `YYYY-MM-DDTHH:mm:ss.sssZ`, always UTC, always milliseconds. */
  | 'timestamp'
  | 'uri-reference'
  /** IPv4 or IPv6 literal (the design's `ipv4-or-ipv6`). */
  | 'ip'
  /** `domain.entity.action` (schemas/taxonomy.ts). */
  | 'event-name'
  /** W3C trace id: 32 lowercase hex digits. */
  | 'trace-id'
  /** W3C span id: 16 lowercase hex digits. */
  | 'span-id'
  | 'none';

interface FieldBase {
  readonly optional: boolean;
  readonly doc: string;
}
export interface StringField extends FieldBase {
  readonly kind: 'string';
  readonly format: StringFormat;
}
export interface NumberField extends FieldBase {
  /** `number` is a double; `integer` a 64-bit integer (Avro long) within the safe-integer range. */
  readonly kind: 'number' | 'integer';
}
/** A string restricted to a list of values; carried as a plain string on the wire so the list can grow. */
export interface EnumField extends FieldBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
}
/** A free-form JSON object (no fixed fields). */
export interface JsonObjectField extends FieldBase {
  readonly kind: 'json';
}
export interface RecordField extends FieldBase {
  readonly kind: 'record';
  /** Avro record name (namespace `io.quintet`). */
  readonly avroName: string;
  readonly fields: Readonly<Record<string, Field>>;
}
export type Field = StringField | NumberField | EnumField | JsonObjectField | RecordField;

const string = (optional: boolean, doc: string, format: StringFormat = 'none'): StringField => ({ kind: 'string', optional, doc, format });
const number = (optional: boolean, doc: string): NumberField => ({ kind: 'number', optional, doc });
const integer = (optional: boolean, doc: string): NumberField => ({ kind: 'integer', optional, doc });
const enumeration = (optional: boolean, doc: string, values: readonly string[]): EnumField => ({ kind: 'enum', optional, doc, values });
const json = (doc: string): JsonObjectField => ({ kind: 'json', optional: true, doc });
const record = (optional: boolean, avroName: string, doc: string, fields: Record<string, Field>): RecordField => ({
  kind: 'record',
  optional,
  avroName,
  doc,
  fields,
});

export const AVRO_NAMESPACE = 'io.quintet';

/** The canonical event, field by field (design Part 3.2). */
export const CANONICAL_EVENT_FIELDS: RecordField = record(false, 'CanonicalEvent', 'The canonical Actor–Action–Entity–Timestamp–Context event (Quintet, design Part 3).', {
  id: string(false, 'Unique id of this event (UUID; CloudEvents id).', 'uuid'),
  event_timestamp: string(false, 'When the event occurred, UTC, ms precision (OTel Timestamp).', 'timestamp'),
  observed_timestamp: string(false, 'When Quintet ingested it, UTC, ms precision (OTel ObservedTimestamp).', 'timestamp'),
  source: string(false, 'Producing service or application, a URI-reference (CloudEvents source, OTel service.name).', 'uri-reference'),
  spec_version: string(false, 'Version of the canonical model, "major.minor".'),
  action: record(false, 'Action', 'What happened.', {
    name: string(false, 'domain.entity.action, e.g. billing.invoice.created (CloudEvents type, OTel EventName).', 'event-name'),
    type: enumeration(false, 'Category of action.', ACTION_TYPES),
  }),
  actor: record(false, 'Actor', 'Who performed the action.', {
    id: string(true, 'Raw identifier before the PII vault; absent after pseudonymization.'),
    type: enumeration(true, 'Kind of actor.', ACTOR_TYPES),
    pseudonym: string(true, 'Random pseudonym issued by the PII vault.'),
    details: json('Rich actor context (e.g. AWS userIdentity, Segment traits).'),
  }),
  entity: record(true, 'Entity', 'The resource acted upon.', {
    id: string(true, 'Id of the resource.'),
    type: string(true, 'Type of the resource, e.g. post, invoice, s3-bucket.'),
    details: json('Snapshot of key entity attributes at event time.'),
  }),
  context: record(true, 'Context', 'Environment and payload.', {
    client: record(true, 'Client', 'Originating client device.', {
      ip_address: string(true, 'IPv4 or IPv6 address.', 'ip'),
      user_agent: string(true, 'User-Agent string.'),
      session_id: string(true, 'Session id.'),
    }),
    telemetry: record(true, 'Telemetry', 'Tracing context (OTel TraceId/SpanId).', {
      trace_id: string(true, 'W3C trace id, 32 lowercase hex digits.', 'trace-id'),
      span_id: string(true, 'W3C span id, 16 lowercase hex digits.', 'span-id'),
      duration_ms: number(true, 'Duration of the operation in milliseconds.'),
    }),
    domain_specific: record(true, 'DomainSpecific', 'Full payload, structured by domain.', {
      audit: record(true, 'Audit', 'Audit payload.', {
        request: json('Full request payload (e.g. CloudTrail requestParameters).'),
        response: json('Full response payload (e.g. CloudTrail responseElements).'),
      }),
      analytics: record(true, 'Analytics', 'Analytics payload.', {
        properties: json('Event properties (e.g. Segment/Mixpanel properties).'),
        user_state_snapshot: json('User state at event time (stamped by the ingest topology).'),
      }),
    }),
    attributes: json('Other metadata as key-value pairs (OTel Attributes).'),
    status: enumeration(true, 'Outcome of the event.', EVENT_STATUSES),
    error: record(true, 'Error', 'Error details when status is FAILURE.', {
      code: string(true, 'Error code as the source states it.'),
      message: string(true, 'Error message as the source states it.'),
    }),
  }),
});

/** The hash-chain link carried beside the event on the canonical topic (ChainLink in canonical-event.ts). */
export const CHAIN_LINK_FIELDS: RecordField = record(true, 'ChainLink', 'Hash-chain link of this event (one chain per partition).', {
  partition: integer(false, 'Partition of the canonical topic (one chain each).'),
  sequence: integer(false, '0-based position in the chain.'),
  previous_hash: string(false, 'Hex HMAC-SHA256 of the previous entry (64 zeros for sequence 0).'),
  hash: string(false, 'Hex HMAC-SHA256 of this entry.'),
  key_id: string(false, 'Id of the chain key.'),
});

/** Every leaf path of a field tree, e.g. `context.client.ip_address`, with its field. */
export function leafPaths(root: RecordField, prefix = ''): Array<[string, Field]> {
  const out: Array<[string, Field]> = [];
  for (const [name, field] of Object.entries(root.fields)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    out.push([path, field]);
    if (field.kind === 'record') out.push(...leafPaths(field, path));
  }
  return out;
}
