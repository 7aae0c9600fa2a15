/**
 * The analytics topology on Kafka into ClickHouse 18.16, killed with SIGKILL while it processes and
 * restarted: batches inserted but not committed are redelivered, and the dashboards must still count
 * every event exactly once, none lost. Records are canonical Avro through the schema registry, read
 * with the analytics projection (topologies/analytics.ts); the sink accumulates across consumed
 * batches and writes before each commit.
 */
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseDashboardBackend } from '../../../connectors/clickhouse/analytics-store.js';
import { migrate } from '../../../connectors/clickhouse/migrations.js';
import { ClickHouseServer, connectionOptionsFrom } from '../../../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../../../connectors/clickhouse/sql-literal.js';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { DashboardRunner } from '../../../processors/analytics/dashboards.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { canonicalAvroSerde } from '../../../topologies/deployments.js';
import { testConfig, uniqueIdentifier, uniqueName } from '../../support/environment.js';
import { startFixture } from '../streams/child.js';

const ROUNDS = 2;
const PER_ROUND = 3_000;
const START = Date.UTC(2026, 10, 27);

describe('analytics topology on Kafka under SIGKILL', () => {
  const config = testConfig();
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const canonical = uniqueName('analytics-crash-canonical');
  const applicationId = uniqueName('analytics-crash-app');
  const database = uniqueIdentifier('quintet_test');
  const server = ClickHouseServer.connect(connectionOptionsFrom(config, { database }));
  const serde = canonicalAvroSerde(config);

  afterAll(async () => {
    await admin.deleteTopics([canonical]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
    await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(database)}`).catch(() => undefined);
    await server.close();
  });

  async function produce(events: readonly CanonicalEvent[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < events.length; i += 250) {
        const messages = await Promise.all(events.slice(i, i + 250).map(async (event) => ({ key: event.id, value: await serde.serialize(canonical, { event }, {}) })));
        await producer.send({ topic: canonical, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
  }

  it('counts every event exactly once after crashes and redelivery', { timeout: 420_000 }, async () => {
    await migrate(connectionOptionsFrom(config, { database }));
    await admin.ensureTopics([{ name: canonical, partitions: 3, replicationFactor: 1 }]);
    const events = [...syntheticEvents({ count: ROUNDS * PER_ROUND, startMs: START, spanMs: 86_400_000, seed: 31 })];
    const args = { canonical, applicationId, database };
    let killedWithRows = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const fixture = startFixture('../../analytics/fixtures/analytics-app.ts', args);
      const producing = produce(events.slice(round * PER_ROUND, (round + 1) * PER_ROUND));
      await fixture.waitForState('RUNNING', 120_000);
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(Math.random() * 1_500)));
      expect(await fixture.kill('SIGKILL')).toBeNull();
      await producing;
      const [row] = await server.rows<{ n: string }>('SELECT count() AS n FROM events');
      killedWithRows = Number(row?.n);
    }
    expect(killedWithRows).toBeGreaterThan(0);

    const final = startFixture('../../analytics/fixtures/analytics-app.ts', args);
    try {
      await final.waitForState('RUNNING', 120_000);
      const deadline = Date.now() + 240_000;
      let distinct = 0;
      while (Date.now() < deadline) {
        const [row] = await server.rows<{ n: string }>('SELECT uniqExact(event_id) AS n FROM events');
        distinct = Number(row?.n);
        if (distinct >= events.length) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      expect(distinct).toBe(events.length);
    } finally {
      await final.kill('SIGTERM');
    }
    const runner = new DashboardRunner(new ClickHouseDashboardBackend(server), { now: () => START + 2 * 86_400_000 });
    const range = { from: new Date(START).toISOString(), to: new Date(START + 86_400_000).toISOString() };
    const perMinute = await runner.run('events-per-minute', range);
    expect(perMinute.rows.reduce((sum, r) => sum + (r.events as number), 0)).toBe(events.length);
    const likes = events.filter((e) => e.action.name === 'social.post.liked').length;
    const likesPerPost = await runner.run('likes-per-post', { ...range, limit: '1000' });
    expect(likesPerPost.rows.reduce((sum, r) => sum + (r.likes as number), 0)).toBe(likes);
    const [merged] = await server.rows<{ n: string }>("SELECT count() AS n FROM events FINAL");
    expect(Number(merged?.n)).toBe(events.length);
  });
});
