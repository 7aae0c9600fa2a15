import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicAdmin, type TopicSpec } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { testConfig, uniqueName } from '../../support/environment.js';

describe('KafkaTopicAdmin on the local broker', () => {
  const admin = new KafkaTopicAdmin(createKafkaClient(testConfig()));
  const made: string[] = [];

  afterAll(async () => {
    await admin.deleteTopics(made).catch(() => undefined);
    await admin.close();
  });

  it('creates missing topics once and accepts them on later calls, including concurrent ones', async () => {
    const compacted = uniqueName('admin-compacted');
    const plain = uniqueName('admin-plain');
    made.push(compacted, plain);
    const specs: TopicSpec[] = [
      { name: compacted, partitions: 3, replicationFactor: 1, config: { 'cleanup.policy': 'compact' } },
      { name: plain, partitions: 2, replicationFactor: 1, config: { 'retention.ms': 3_600_000 } },
    ];
    const [first, second] = await Promise.all([admin.ensureTopics(specs), admin.ensureTopics(specs)]);
    expect([...first.created, ...second.created].sort()).toEqual([compacted, plain].sort());
    const again = await admin.ensureTopics(specs);
    expect(again).toEqual({ created: [], existing: [compacted, plain] });
    expect(await admin.partitionCount(compacted)).toBe(3);
    expect(await admin.partitionCount(plain)).toBe(2);

    const kafkajsAdmin = await admin.kafkajsAdmin();
    const { resources } = await kafkajsAdmin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: compacted, configNames: ['cleanup.policy'] }],
    });
    expect(resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');
  });

  it('refuses an existing topic whose partition count differs', async () => {
    const name = uniqueName('admin-mismatch');
    made.push(name);
    await admin.ensureTopics([{ name, partitions: 2, replicationFactor: 1 }]);
    await expect(admin.ensureTopics([{ name, partitions: 4, replicationFactor: 1 }])).rejects.toMatchObject({
      code: 'KAFKA_TOPIC_PARTITIONS_MISMATCH',
    });
  });

  it('reports a missing topic with a stable code', async () => {
    await expect(admin.partitionCount(uniqueName('admin-absent'))).rejects.toMatchObject({ code: 'KAFKA_TOPIC_NOT_FOUND' });
  });
});
