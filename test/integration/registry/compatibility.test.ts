/**
 * Issue 3's schema-evolution contract, against the real registry with the canonical event's own Avro
 * schema, registered under `<topic>-value` with BACKWARD compatibility:
 *   - adding an optional field (default null) is accepted as version 2;
 *   - adding a required field, or retyping a field, is rejected by the registry;
 *   - an old reader (v1) reads data written with v2, and a new reader (v2) reads data written with v1,
 *     through Avro schema resolution from the writer schema (found by the id in each record) into the
 *     reader's own schema, with Quintet's codec and with @kafkajs/confluent-schema-registry alike.
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfluentAvroCodec } from '../../../connectors/schema-registry/index.js';
import { fromAvroRecord, toAvroRecord } from '../../../schemas/avro.js';
import { canonicalEnvelope, canonicalRequiredFieldAdded, canonicalSourceRetyped, canonicalV1, canonicalV2 } from './canonical-fixtures.js';
import { registryConnection, SubjectJanitor } from './registry-support.js';

describe('schema registry: BACKWARD evolution of the canonical event', () => {
  const connection = registryConnection();
  const janitor = new SubjectJanitor(connection);
  let subject: string;
  let v1Id: number;
  let v2Id: number;

  beforeAll(async () => {
    subject = janitor.valueSubject('canonical-evolution').subject;
    v1Id = await connection.registerAvroSchema(subject, canonicalV1(), { compatibility: 'BACKWARD' });
    v2Id = await connection.registerAvroSchema(subject, canonicalV2(), { compatibility: 'BACKWARD' });
  });
  afterAll(() => janitor.cleanup());

  it('accepts a new optional field as version 2 of a BACKWARD subject', async () => {
    expect(v2Id).not.toBe(v1Id);
    expect(await connection.rest.getCompatibility(subject)).toBe('BACKWARD');
    expect(await connection.rest.versions(subject)).toEqual([1, 2]);
    expect(await connection.latestSchemaId(subject)).toBe(v2Id);
  });

  it('rejects a new required field and a retyped field, and keeps the subject at version 2', async () => {
    expect(await connection.rest.isCompatible(subject, canonicalRequiredFieldAdded())).toBe(false);
    await expect(connection.registerAvroSchema(subject, canonicalRequiredFieldAdded(), { compatibility: 'BACKWARD' })).rejects.toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
    });
    expect(await connection.rest.isCompatible(subject, canonicalSourceRetyped())).toBe(false);
    await expect(connection.registerAvroSchema(subject, canonicalSourceRetyped(), { compatibility: 'BACKWARD' })).rejects.toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
    });
    expect(await connection.rest.versions(subject)).toEqual([1, 2]);
    // The same change is accepted once the subject no longer checks compatibility: the registry, not
    // the client, made the decision above.
    const unchecked = janitor.valueSubject('canonical-unchecked').subject;
    await connection.registerAvroSchema(unchecked, canonicalV1(), { compatibility: 'NONE' });
    await expect(connection.registerAvroSchema(unchecked, canonicalRequiredFieldAdded(), { compatibility: 'NONE' })).resolves.toBeGreaterThan(0);
  });

  it('checks BACKWARD on a subject without a level of its own, as Confluent does by default', async () => {
    const inherited = janitor.valueSubject('canonical-inherited').subject;
    await connection.registerAvroSchema(inherited, canonicalV1());
    await expect(connection.registerAvroSchema(inherited, canonicalRequiredFieldAdded())).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
    await expect(connection.registerAvroSchema(inherited, canonicalV2())).resolves.toBeGreaterThan(0);
    expect(await connection.rest.versions(inherited)).toEqual([1, 2]);
  });

  it('lets an old reader (v1) read data written with v2: the new field is skipped', async () => {
    const envelope = canonicalEnvelope();
    const writer = new ConfluentAvroCodec(registryConnection());
    const written = await writer.encode(v2Id, { ...toAvroRecord(envelope), tenant_id: 'tenant-42' });
    expect(ConfluentAvroCodec.schemaIdOf(written)).toBe(v2Id);

    const oldReader = new ConfluentAvroCodec<Record<string, unknown>>(registryConnection(), { readerSchema: canonicalV1() });
    const read = await oldReader.decode(written);
    expect(read).not.toHaveProperty('tenant_id');
    expect(fromAvroRecord(read)).toEqual(envelope);

    const viaLibrary = (await connection.client.decode(written, { [SchemaType.AVRO]: { readerSchema: canonicalV1() as never } })) as Record<string, unknown>;
    expect(fromAvroRecord(viaLibrary)).toEqual(envelope);
  });

  it('lets a new reader (v2) read data written with v1: the new field takes its default', async () => {
    const envelope = canonicalEnvelope();
    const writer = new ConfluentAvroCodec(registryConnection());
    const written = await writer.encode(v1Id, toAvroRecord(envelope));
    expect(ConfluentAvroCodec.schemaIdOf(written)).toBe(v1Id);

    const newReader = new ConfluentAvroCodec<Record<string, unknown>>(registryConnection(), { readerSchema: canonicalV2() });
    const read = await newReader.decode(written);
    expect(read.tenant_id).toBeNull();
    expect(fromAvroRecord(read)).toEqual(envelope);

    const viaLibrary = (await connection.client.decode(written, { [SchemaType.AVRO]: { readerSchema: canonicalV2() as never } })) as Record<string, unknown>;
    expect(viaLibrary.tenant_id).toBeNull();
    expect(fromAvroRecord(viaLibrary)).toEqual(envelope);
  });

  it('reads a topic holding both versions with one reader, and refuses a writer it cannot resolve', async () => {
    const reader = new ConfluentAvroCodec<Record<string, unknown>>(registryConnection(), { readerSchema: canonicalV2() });
    const writer = new ConfluentAvroCodec(registryConnection());
    const a = canonicalEnvelope();
    const b = canonicalEnvelope();
    const records = [await writer.encode(v1Id, toAvroRecord(a)), await writer.encode(v2Id, { ...toAvroRecord(b), tenant_id: 't' })];
    const decoded = [await reader.decode(records[0] as Buffer), await reader.decode(records[1] as Buffer)];
    expect(decoded.map((r) => r.tenant_id)).toEqual([null, 't']);
    expect(decoded.map((r) => fromAvroRecord(r).event.id)).toEqual([a.event.id, b.event.id]);

    // A consumer whose schema requires a field that v1 data lacks cannot resolve it: a typed error, not garbage.
    const strictReader = new ConfluentAvroCodec(registryConnection(), { readerSchema: canonicalRequiredFieldAdded() });
    await expect(Promise.resolve().then(() => strictReader.decode(records[0] as Buffer))).rejects.toMatchObject({ code: 'AVRO_SCHEMAS_INCOMPATIBLE' });
  });
});
