/**
 * The canonical event's Avro schema (schemas/avro.ts) and evolutions of it, for the compatibility tests:
 * v2 adds an optional field (the kind of change the canonical model promises to stay BACKWARD
 * compatible), and two changes a BACKWARD subject must refuse.
 */
import { randomUUID } from 'node:crypto';
import type { CanonicalEnvelope } from '../../../schemas/avro.js';
import { canonicalEventAvroSchema } from '../../../schemas/avro.js';
import { CANONICAL_SPEC_VERSION } from '../../../schemas/canonical-event.js';

type AvroRecordSchema = { fields: Array<Record<string, unknown>> } & Record<string, unknown>;

function withFields(extra: Array<Record<string, unknown>>): AvroRecordSchema {
  const v1 = canonicalEventAvroSchema() as AvroRecordSchema;
  return { ...v1, fields: [...v1.fields, ...extra] };
}

export const canonicalV1 = (): AvroRecordSchema => canonicalEventAvroSchema() as AvroRecordSchema;

/** v2: a new optional field with default null. */
export const canonicalV2 = (): AvroRecordSchema =>
  withFields([{ name: 'tenant_id', type: ['null', 'string'], default: null, doc: 'Tenant that owns the event (added in v2).' }]);

/** A new required field without a default: v1 data has no value for it, so a v2 reader cannot read v1 data. */
export const canonicalRequiredFieldAdded = (): AvroRecordSchema => withFields([{ name: 'tenant_id', type: 'string', doc: 'Required tenant.' }]);

/** `source` changed from string to long: no Avro promotion exists from string to long. */
export const canonicalSourceRetyped = (): AvroRecordSchema => {
  const v1 = canonicalV1();
  return { ...v1, fields: v1.fields.map((field) => (field.name === 'source' ? { ...field, type: 'long' } : field)) };
};

export function canonicalEnvelope(): CanonicalEnvelope {
  return {
    event: {
      id: randomUUID(),
      event_timestamp: '2026-11-28T09:00:00.125Z',
      observed_timestamp: '2026-11-28T09:00:00.250Z',
      source: 'https://billing.example.com',
      spec_version: CANONICAL_SPEC_VERSION,
      action: { name: 'billing.invoice.created', type: 'create' },
      actor: { type: 'user', pseudonym: 'psn_5b0c6a' },
      entity: { id: 'inv_1042', type: 'invoice', details: { amount_cents: 1250, currency: 'EUR' } },
      context: {
        client: { session_id: 'sess_9' },
        telemetry: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', duration_ms: 12.5 },
        attributes: { plan: 'pro', seats: 3 },
        status: 'SUCCESS',
      },
    },
    chain: { partition: 0, sequence: 7, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'k1' },
  };
}
