/**
 * kafkajs against the local Kafka 4.x broker: plain produce/consume with a consumer group, and the
 * transactional consume-transform-produce loop that exactly-once topologies rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { uniqueName } from '../../support/environment.js';
import { collectValues, kafkaClient } from './kafka-clients.js';

describe('local Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: string[] = [];

  async function createTopic(prefix: string, numPartitions = 1): Promise<string> {
    const topic = uniqueName(prefix);
    const ok = await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    expect(ok).toBe(true);
    created.push(topic);
    return topic;
  }

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (created.length > 0) await admin.deleteTopics({ topics: created });
    await admin.disconnect();
  });

  it('creates a topic, produces keyed records and consumes them back in a consumer group', async () => {
    const topic = await createTopic('stack-roundtrip', 3);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 5}`, value: `event-${i}` }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(30);

    const received = await collectValues(kafka, { topic, readUncommitted: false, until: (values) => values.length === 30 });
    expect([...received].sort()).toEqual(sent.map((m) => m.value).sort());
    // Per key, order is kept (same key → same partition).
    const forUser0 = received.filter((value) => Number(value.slice(6)) % 5 === 0);
    expect(forUser0).toEqual(['event-0', 'event-5', 'event-10', 'event-15', 'event-20', 'event-25']);
  });

  it('rejects producing to a topic that does not exist (auto creation is off)', async () => {
    const producer = kafka.producer({ retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: uniqueName('stack-missing'), messages: [{ value: 'x' }], acks: -1 })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });

  it('runs a transactional consume-transform-produce loop whose output read_committed sees exactly once', async () => {
    const input = await createTopic('stack-tx-in');
    const output = await createTopic('stack-tx-out');
    const groupId = uniqueName('stack-tx-group');

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    await producer.disconnect();

    const transactional = kafka.producer({ transactionalId: uniqueName('stack-tx'), idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let transformed = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              // Output record and input offset commit in one transaction: both or neither.
              const transaction = await transactional.transaction();
              try {
                await transaction.send({ topic: output, messages: [{ value: (message.value?.toString() ?? '').toUpperCase() }] });
                await transaction.sendOffsets({
                  consumerGroupId: groupId,
                  topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }],
                });
                await transaction.commit();
              } catch (error) {
                await transaction.abort();
                throw error;
              }
              transformed += 1;
              if (transformed === 3) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }

    // An aborted transaction, then a committed marker so that the reader knows when to stop.
    const aborted = await transactional.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'ABORTED' }] });
    await aborted.abort();
    const marker = await transactional.transaction();
    await marker.send({ topic: output, messages: [{ value: 'END' }] });
    await marker.commit();
    await transactional.disconnect();

    const committed = await collectValues(kafka, { topic: output, readUncommitted: false, until: (values) => values.includes('END') });
    expect(committed).toEqual(['A', 'B', 'C', 'END']);

    // The aborted record was written to the log: read_uncommitted sees it, read_committed did not.
    const uncommitted = await collectValues(kafka, { topic: output, readUncommitted: true, until: (values) => values.includes('END') });
    expect(uncommitted).toEqual(['A', 'B', 'C', 'ABORTED', 'END']);

    // The input offsets were committed by the transactions, not by the consumer.
    const groupOffsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(groupOffsets[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '3' })]);
  });
});
