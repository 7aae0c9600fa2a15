/**
 * The streams serde for Avro on Kafka: canonical envelopes in, Confluent-framed Avro out, subject by
 * TopicNameStrategy, schema ids found once and then served from memory (synchronous calls).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfluentAvroCodec, confluentAvroSerde } from '../../../connectors/schema-registry/index.js';
import { fromAvroRecord, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import { isThenable } from '../../../streams/serdes.js';
import { canonicalEnvelope, canonicalV1, canonicalV2 } from './canonical-fixtures.js';
import { registryConnection, SubjectJanitor } from './registry-support.js';

const NO_HEADERS = {};

function canonicalSerde(schema: object, options: { autoRegister?: boolean } = {}) {
  return confluentAvroSerde<CanonicalEnvelope>(registryConnection(), {
    schema,
    autoRegister: options.autoRegister ?? false,
    compatibility: 'BACKWARD',
    toAvro: toAvroRecord,
    fromAvro: (record) => fromAvroRecord(record as Record<string, unknown>),
  });
}

describe('schema registry: Avro serde for the streams runtime', () => {
  const connection = registryConnection();
  const janitor = new SubjectJanitor(connection);
  afterAll(() => janitor.cleanup());

  it('registers <topic>-value on first use, then serializes and deserializes synchronously', async () => {
    const { topic, subject } = janitor.valueSubject('serde-canonical');
    const serde = canonicalSerde(canonicalV1(), { autoRegister: true });
    const first = canonicalEnvelope();
    const pending = serde.serialize(topic, first, NO_HEADERS);
    expect(isThenable(pending)).toBe(true);
    const bytes = (await pending) as Buffer;

    const id = await connection.latestSchemaId(subject);
    expect(await connection.rest.getCompatibility(subject)).toBe('BACKWARD');
    expect(ConfluentAvroCodec.schemaIdOf(bytes)).toBe(id);

    const second = canonicalEnvelope();
    const syncBytes = serde.serialize(topic, second, NO_HEADERS);
    expect(Buffer.isBuffer(syncBytes)).toBe(true);
    expect(serde.deserialize(topic, bytes, NO_HEADERS)).toEqual(first);
    expect(serde.deserialize(topic, syncBytes as Buffer, NO_HEADERS)).toEqual(second);
    // Any Confluent client reads what the serde wrote.
    expect(fromAvroRecord((await connection.client.decode(bytes)) as Record<string, unknown>)).toEqual(first);
  });

  it('keeps tombstones as null in both directions', async () => {
    const { topic } = janitor.valueSubject('serde-tombstone');
    const serde = canonicalSerde(canonicalV1(), { autoRegister: true });
    expect(serde.serialize(topic, null as unknown as CanonicalEnvelope, NO_HEADERS)).toBeNull();
    expect(serde.deserialize(topic, null, NO_HEADERS)).toBeNull();
  });

  it('without autoRegister, finds a registered schema and refuses an unregistered one', async () => {
    const { topic, subject } = janitor.valueSubject('serde-lookup');
    const id = await connection.registerAvroSchema(subject, canonicalV1(), { compatibility: 'BACKWARD' });
    const serde = canonicalSerde(canonicalV1());
    const bytes = (await serde.serialize(topic, canonicalEnvelope(), NO_HEADERS)) as Buffer;
    expect(ConfluentAvroCodec.schemaIdOf(bytes)).toBe(id);
    expect(await connection.rest.versions(subject)).toEqual([1]);

    const unregistered = canonicalSerde(canonicalV2());
    await expect(Promise.resolve(unregistered.serialize(topic, canonicalEnvelope(), NO_HEADERS))).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
  });

  it('lets a consumer on v1 and a consumer on v2 share a topic written by producers on either version', async () => {
    const { topic } = janitor.valueSubject('serde-mixed');
    const v1 = canonicalSerde(canonicalV1(), { autoRegister: true });
    const v2 = confluentAvroSerde<Record<string, unknown>>(registryConnection(), { schema: canonicalV2(), autoRegister: true });
    const oldEvent = canonicalEnvelope();
    const newEvent = canonicalEnvelope();
    const written = [
      (await v1.serialize(topic, oldEvent, NO_HEADERS)) as Buffer,
      (await v2.serialize(topic, { ...toAvroRecord(newEvent), tenant_id: 'tenant-7' }, NO_HEADERS)) as Buffer,
    ];
    expect(ConfluentAvroCodec.schemaIdOf(written[0] as Buffer)).not.toBe(ConfluentAvroCodec.schemaIdOf(written[1] as Buffer));

    const oldConsumer = canonicalSerde(canonicalV1());
    expect(await oldConsumer.deserialize(topic, written[0] as Buffer, NO_HEADERS)).toEqual(oldEvent);
    expect(await oldConsumer.deserialize(topic, written[1] as Buffer, NO_HEADERS)).toEqual(newEvent);

    const newConsumer = confluentAvroSerde<Record<string, unknown>>(registryConnection(), { schema: canonicalV2() });
    const fromOld = (await newConsumer.deserialize(topic, written[0] as Buffer, NO_HEADERS)) as Record<string, unknown>;
    const fromNew = (await newConsumer.deserialize(topic, written[1] as Buffer, NO_HEADERS)) as Record<string, unknown>;
    expect([fromOld.tenant_id, fromNew.tenant_id]).toEqual([null, 'tenant-7']);
  });
});
