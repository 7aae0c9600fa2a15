/**
 * Avro on Kafka end to end: producers on schema v1 and v2 of the canonical event write through the
 * streams serde (Confluent wire format, subject `<topic>-value`, BACKWARD) to a real topic; a consumer
 * built for v1 and the unchanged @kafkajs/confluent-schema-registry read every record back.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfluentAvroCodec, confluentAvroSerde } from '../../../connectors/schema-registry/index.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { fromAvroRecord, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { canonicalEnvelope, canonicalV1, canonicalV2 } from './canonical-fixtures.js';
import { registryConnection, SubjectJanitor } from './registry-support.js';

async function readAll(kafka: Kafka, topic: string, count: number): Promise<Buffer[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('registry-read'), maxWaitTimeInMs: 200 });
  const values: Buffer[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${count} records from ${topic}`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }: { message: KafkaMessage }) => {
            values.push(message.value as Buffer);
            if (values.length === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('schema registry: canonical Avro on a Kafka topic', () => {
  const connection = registryConnection();
  const janitor = new SubjectJanitor(connection);
  const kafka = createKafkaClient(testConfig());
  const topics: string[] = [];
  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await janitor.cleanup();
  });

  it('carries records of two schema versions that old and new readers both decode', async () => {
    const { topic, subject } = janitor.valueSubject('registry-kafka');
    topics.push(topic);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const v1Producer = confluentAvroSerde<CanonicalEnvelope>(registryConnection(), { schema: canonicalV1(), autoRegister: true, toAvro: toAvroRecord });
    const v2Producer = confluentAvroSerde<Record<string, unknown>>(registryConnection(), { schema: canonicalV2(), autoRegister: true });
    const events = [canonicalEnvelope(), canonicalEnvelope(), canonicalEnvelope()];
    const values = [
      (await v1Producer.serialize(topic, events[0] as CanonicalEnvelope, {})) as Buffer,
      (await v2Producer.serialize(topic, { ...toAvroRecord(events[1] as CanonicalEnvelope), tenant_id: 'tenant-1' }, {})) as Buffer,
      (await v1Producer.serialize(topic, events[2] as CanonicalEnvelope, {})) as Buffer,
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: values.map((value, i) => ({ key: events[i]?.event.id ?? null, value })) });
    await producer.disconnect();

    expect(await connection.rest.versions(subject)).toEqual([1, 2]);
    expect(await connection.rest.getCompatibility(subject)).toBe('BACKWARD');

    const consumed = await readAll(kafka, topic, 3);
    expect(consumed.map((b) => b[0])).toEqual([0, 0, 0]);
    const ids = consumed.map((b) => ConfluentAvroCodec.schemaIdOf(b));
    expect(ids[0]).toBe(ids[2]);
    expect(ids[1]).not.toBe(ids[0]);

    const v1Consumer = confluentAvroSerde<CanonicalEnvelope>(registryConnection(), {
      schema: canonicalV1(),
      fromAvro: (record) => fromAvroRecord(record as Record<string, unknown>),
    });
    const read: CanonicalEnvelope[] = [];
    for (const value of consumed) read.push(await v1Consumer.deserialize(topic, value, {}));
    expect(read).toEqual(events);

    const library = registryConnection().client;
    const viaLibrary = await Promise.all(consumed.map((value) => library.decode(value) as Promise<Record<string, unknown>>));
    expect(viaLibrary.map((r) => r.tenant_id)).toEqual([undefined, 'tenant-1', undefined]);
    expect(viaLibrary.map((r) => fromAvroRecord(r))).toEqual(events);
  });
});
