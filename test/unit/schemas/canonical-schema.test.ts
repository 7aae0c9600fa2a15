import avro from 'avsc';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CanonicalEvent, ChainLink } from '../../../schemas/canonical-event.js';
import { ACTION_TYPES, ACTOR_TYPES, EVENT_STATUSES } from '../../../schemas/canonical-event.js';
import { CANONICAL_EVENT_FIELDS, CHAIN_LINK_FIELDS, type Field, leafPaths, type RecordField } from '../../../schemas/canonical-fields.js';
import { canonicalEventJsonSchema, canonicalEventValidator } from '../../../schemas/json-schema.js';
import {
  CANONICAL_AVRO_FULL_NAME,
  canonicalAvroType,
  canonicalEventAvroSchema,
  decodeCanonicalAvro,
  encodeCanonicalAvro,
  fromAvroRecord,
  toAvroRecord,
} from '../../../schemas/avro.js';

type DeepRequired<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Ctx = NonNullable<CanonicalEvent['context']>;

/** Every field of the TypeScript type, filled. The compiler rejects it if a field is missing or extra. */
const FULL: DeepRequired<CanonicalEvent> = {
  id: '0b8a4f7e-3c9d-4e21-9f6a-2d7c5b1e8a90',
  event_timestamp: '2026-11-28T09:01:03.123Z',
  observed_timestamp: '2026-11-28T09:01:04.000Z',
  source: 'billing-service',
  spec_version: '1.0',
  action: { name: 'billing.invoice.created', type: 'create' },
  actor: { id: 'user-123', type: 'user', pseudonym: 'psn_abc', details: { plan: 'pro', nested: { a: [1, 2, { b: null }] } } },
  entity: { id: 'inv-9', type: 'invoice', details: { amount: 12.5 } },
  context: {
    client: { ip_address: '2001:db8::1', user_agent: 'Mozilla/5.0', session_id: 's-1' },
    telemetry: { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174', duration_ms: 12.25 },
    domain_specific: {
      audit: { request: { bucketName: 'b' }, response: { ok: true } },
      analytics: { properties: { revenue: 9.99, currency: 'EUR' }, user_state_snapshot: { tier: 'gold' } },
    },
    attributes: { 'http.method': 'POST', retries: 2 },
    status: 'FAILURE',
    error: { code: 'E42', message: 'card declined' },
  },
};

const CHAIN: ChainLink = { partition: 3, sequence: 41, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'k1' };

function pathsOf(value: unknown, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    // Free-form objects (json fields) are leaves of the model.
    const field = fieldAt(path);
    if (field?.kind === 'record') out.push(...pathsOf(child, path));
  }
  return out;
}

function fieldAt(path: string): Field | undefined {
  let record: RecordField = CANONICAL_EVENT_FIELDS;
  let field: Field | undefined;
  for (const segment of path.split('.')) {
    field = record.fields[segment];
    if (field === undefined) return undefined;
    if (field.kind === 'record') record = field;
  }
  return field;
}

const optionalNames = (record: RecordField) =>
  Object.entries(record.fields)
    .filter(([, f]) => f.optional)
    .map(([n]) => n)
    .sort();

describe('one field list, three schemas', () => {
  it('TypeScript type and field tree have the same fields', () => {
    expect(pathsOf(FULL).sort()).toEqual(leafPaths(CANONICAL_EVENT_FIELDS).map(([p]) => p).sort());
  });

  it('optionality agrees between the TypeScript type and the field tree, record by record', () => {
    // Compile-time half: these fail `tsc` when the type changes.
    expectTypeOf<OptionalKeys<CanonicalEvent>>().toEqualTypeOf<'entity' | 'context'>();
    expectTypeOf<OptionalKeys<CanonicalEvent['action']>>().toEqualTypeOf<never>();
    expectTypeOf<OptionalKeys<CanonicalEvent['actor']>>().toEqualTypeOf<'id' | 'type' | 'pseudonym' | 'details'>();
    expectTypeOf<OptionalKeys<NonNullable<CanonicalEvent['entity']>>>().toEqualTypeOf<'id' | 'type' | 'details'>();
    expectTypeOf<OptionalKeys<Ctx>>().toEqualTypeOf<'client' | 'telemetry' | 'domain_specific' | 'attributes' | 'status' | 'error'>();
    expectTypeOf<OptionalKeys<ChainLink>>().toEqualTypeOf<never>();
    // Runtime half: the same lists against the field tree.
    const record = (path: string) => fieldAt(path) as RecordField;
    expect(optionalNames(CANONICAL_EVENT_FIELDS)).toEqual(['context', 'entity']);
    expect(optionalNames(record('action'))).toEqual([]);
    expect(optionalNames(record('actor'))).toEqual(['details', 'id', 'pseudonym', 'type']);
    expect(optionalNames(record('entity'))).toEqual(['details', 'id', 'type']);
    expect(optionalNames(record('context'))).toEqual(['attributes', 'client', 'domain_specific', 'error', 'status', 'telemetry']);
    for (const path of ['context.client', 'context.telemetry', 'context.domain_specific', 'context.domain_specific.audit', 'context.domain_specific.analytics', 'context.error']) {
      expect(optionalNames(record(path))).toEqual(Object.keys(record(path).fields).sort());
    }
    expect(optionalNames(CHAIN_LINK_FIELDS)).toEqual([]);
  });

  it('enumerations in the field tree are the exported TypeScript enumerations', () => {
    expect(fieldAt('action.type')).toMatchObject({ kind: 'enum', values: ACTION_TYPES });
    expect(fieldAt('actor.type')).toMatchObject({ kind: 'enum', values: ACTOR_TYPES });
    expect(fieldAt('context.status')).toMatchObject({ kind: 'enum', values: EVENT_STATUSES });
  });

  it('JSON Schema has every field, the same required lists, and closed records', () => {
    const schema = canonicalEventJsonSchema() as Record<string, unknown>;
    const walk = (node: Record<string, unknown>, record: RecordField) => {
      const properties = node.properties as Record<string, Record<string, unknown>>;
      expect(Object.keys(properties).sort()).toEqual(Object.keys(record.fields).sort());
      expect([...((node.required as string[] | undefined) ?? [])].sort()).toEqual(
        Object.entries(record.fields)
          .filter(([, f]) => !f.optional)
          .map(([n]) => n)
          .sort(),
      );
      expect(node.additionalProperties).toBe(false);
      for (const [name, field] of Object.entries(record.fields)) {
        const child = properties[name] as Record<string, unknown>;
        if (field.kind === 'record') walk(child, field);
        else expect(child.type).toBe({ string: 'string', enum: 'string', json: 'object', number: 'number', integer: 'integer' }[field.kind]);
      }
    };
    walk(schema, CANONICAL_EVENT_FIELDS);
    expect(schema.required).toEqual(['id', 'event_timestamp', 'observed_timestamp', 'source', 'spec_version', 'action', 'actor']);
  });

  it('Avro schema has every field; optional ones are nullable with default null; free-form objects are strings', () => {
    const schema = canonicalEventAvroSchema() as { name: string; namespace: string; fields: Array<{ name: string; type: unknown; default?: unknown }> };
    expect(`${schema.namespace}.${schema.name}`).toBe(CANONICAL_AVRO_FULL_NAME);
    expect(CANONICAL_AVRO_FULL_NAME).toBe('io.quintet.CanonicalEvent');
    const walk = (fields: Array<{ name: string; type: unknown; default?: unknown }>, record: RecordField) => {
      expect(fields.map((f) => f.name)).toEqual(Object.keys(record.fields));
      for (const avroField of fields) {
        const field = record.fields[avroField.name] as Field;
        let type = avroField.type;
        if (field.optional) {
          expect(Array.isArray(type) && type[0] === 'null').toBe(true);
          expect(avroField.default).toBeNull();
          type = (type as unknown[])[1];
        }
        if (field.kind === 'record') walk((type as { fields: typeof fields }).fields, field);
        else expect(type).toBe({ string: 'string', enum: 'string', json: 'string', number: 'double', integer: 'long' }[field.kind]);
      }
    };
    walk(schema.fields.filter((f) => f.name !== 'chain'), CANONICAL_EVENT_FIELDS);
    const chain = schema.fields.find((f) => f.name === 'chain');
    expect(chain?.default).toBeNull();
    walk(((chain?.type as unknown[])[1] as { fields: typeof schema.fields }).fields, CHAIN_LINK_FIELDS);
  });
});

describe('JSON Schema validation', () => {
  const validate = canonicalEventValidator();
  const minimal = (): CanonicalEvent => ({
    id: '0b8a4f7e-3c9d-4e21-9f6a-2d7c5b1e8a90',
    event_timestamp: '2026-11-28T09:01:03.123Z',
    observed_timestamp: '2026-11-28T09:01:04.000Z',
    source: 'svc',
    spec_version: '1.0',
    action: { name: 'billing.invoice.created', type: 'create' },
    actor: { id: 'u', type: 'user' },
  });

  it('accepts the full and the minimal event', () => {
    expect(validate(FULL)).toBe(true);
    expect(validate(minimal())).toBe(true);
  });

  it.each([
    ['uppercase uuid', (e: CanonicalEvent) => (e.id = e.id.toUpperCase())],
    ['timestamp without ms', (e: CanonicalEvent) => (e.event_timestamp = '2026-11-28T09:01:03Z')],
    ['timestamp with offset', (e: CanonicalEvent) => (e.event_timestamp = '2026-11-28T09:01:03.123+01:00')],
    ['impossible date', (e: CanonicalEvent) => (e.event_timestamp = '2026-02-30T09:01:03.123Z')],
    ['unknown action type', (e: CanonicalEvent) => ((e.action as { type: string }).type = 'frobnicate')],
    ['unknown top-level field', (e: CanonicalEvent) => ((e as unknown as Record<string, unknown>).extra = 1)],
    ['unknown actor field', (e: CanonicalEvent) => ((e.actor as Record<string, unknown>).email = 'x')],
    ['user actor without id or pseudonym', (e: CanonicalEvent) => delete e.actor.id],
    ['not an IP', (e: CanonicalEvent) => (e.context = { client: { ip_address: '999.1.1.1' } })],
    ['trace id not hex', (e: CanonicalEvent) => (e.context = { telemetry: { trace_id: 'zz' } })],
    ['status not in enum', (e: CanonicalEvent) => (e.context = { status: 'OK' as 'SUCCESS' })],
    ['details not an object', (e: CanonicalEvent) => ((e.actor as Record<string, unknown>).details = 'x')],
    ['empty source', (e: CanonicalEvent) => (e.source = '')],
  ])('rejects %s', (_, mutate) => {
    const event = minimal();
    mutate(event);
    expect(validate(event)).toBe(false);
  });

  it('accepts an anonymous actor without id, and a pseudonymized actor without raw id', () => {
    expect(validate({ ...minimal(), actor: { type: 'anonymous' } })).toBe(true);
    expect(validate({ ...minimal(), actor: { type: 'user', pseudonym: 'psn_1' } })).toBe(true);
  });
});

describe('Avro', () => {
  it('round-trips the full event with and without its chain link', () => {
    expect(decodeCanonicalAvro(encodeCanonicalAvro({ event: FULL }))).toEqual({ event: FULL });
    expect(decodeCanonicalAvro(encodeCanonicalAvro({ event: FULL, chain: CHAIN }))).toEqual({ event: FULL, chain: CHAIN });
  });

  it('omits absent fields on decode instead of turning them into null', () => {
    const minimal: CanonicalEvent = { ...FULL, entity: undefined, context: { status: 'SUCCESS' } } as CanonicalEvent;
    delete minimal.entity;
    const decoded = decodeCanonicalAvro(encodeCanonicalAvro({ event: minimal })).event;
    expect(decoded).toEqual(minimal);
    expect('entity' in decoded).toBe(false);
    expect(Object.keys(decoded.context ?? {})).toEqual(['status']);
  });

  it('keeps free-form objects as JSON text on the wire', () => {
    const record = toAvroRecord({ event: FULL }) as Record<string, Record<string, unknown>>;
    expect(typeof record.actor?.details).toBe('string');
    expect(JSON.parse(record.actor?.details as string)).toEqual(FULL.actor.details);
    expect(canonicalAvroType().isValid(record)).toBe(true);
    expect(fromAvroRecord(record).event).toEqual(FULL);
  });

  it('evolves with a new optional field: old readers read new data and new readers read old data', () => {
    const oldType = canonicalAvroType();
    const newSchema = canonicalEventAvroSchema() as { fields: unknown[] };
    newSchema.fields.push({ name: 'tenant', type: ['null', 'string'], default: null });
    const newType = avro.Type.forSchema(newSchema as avro.Schema);
    const oldBytes = encodeCanonicalAvro({ event: FULL });
    const newBytes = newType.toBuffer({ ...toAvroRecord({ event: FULL, chain: CHAIN }), tenant: 'acme' });
    const newReadsOld = newType.fromBuffer(oldBytes, newType.createResolver(oldType)) as Record<string, unknown>;
    expect(newReadsOld.tenant).toBeNull();
    expect(fromAvroRecord(newReadsOld).event).toEqual(FULL);
    const oldReadsNew = oldType.fromBuffer(newBytes, oldType.createResolver(newType)) as Record<string, unknown>;
    expect(fromAvroRecord(oldReadsNew)).toEqual({ event: FULL, chain: CHAIN });
  });
});
