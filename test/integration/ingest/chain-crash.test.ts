/**
 * Exactly-once of the hash chain under SIGKILL: the ingest topology runs in a child process (exactly_once,
 * Redis vault) and is killed at random moments while raw events keep arriving; then it runs to the end.
 * The committed canonical topic must hold every event exactly once, and every chain must verify against
 * its signed checkpoints: a crash that forked, gapped or repeated a chain would show as `forked`,
 * `deleted` or `inserted`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopicToEnd } from '../../../cli/commands/export.js';
import { verifyTopic } from '../../../cli/commands/verify.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { createVaultRedis } from '../../../connectors/redis/vault-client.js';
import { loadConfig, type QuintetConfig } from '../../../core/config.js';
import { uniqueName } from '../../support/environment.js';
import { startFixture } from '../streams/child.js';

const PARTITIONS = 3;
const KILLS = 3;
const PER_ROUND = 600;
const env: Record<string, string> = {};
let config: QuintetConfig;
let kafka: Kafka;
let admin: Admin;
const keyPrefix = uniqueName('it-crash-vault');

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  Object.assign(env, {
    QUINTET_TOPIC_RAW: uniqueName('it-crash-raw'),
    QUINTET_TOPIC_CANONICAL: uniqueName('it-crash-canonical'),
    QUINTET_TOPIC_DEAD_LETTER: uniqueName('it-crash-dlq'),
    QUINTET_TOPIC_ERASURE_REQUESTS: uniqueName('it-crash-erasure'),
    QUINTET_TOPIC_CHECKPOINTS: uniqueName('it-crash-checkpoints'),
    QUINTET_APPLICATION_ID: uniqueName('it-crash-app'),
    QUINTET_PROCESSING_GUARANTEE: 'exactly_once',
    QUINTET_COMMIT_INTERVAL_MS: '150',
    QUINTET_MASTER_KEYS: `m1:${randomBytes(32).toString('base64')}`,
    QUINTET_CHAIN_KEYS: `c1:${randomBytes(32).toString('base64')}`,
    QUINTET_LOOKUP_KEY: randomBytes(32).toString('base64'),
    QUINTET_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  config = loadConfig({ env: { ...process.env, ...env } });
  kafka = createKafkaClient(config, { clientIdSuffix: 'it-crash' });
  admin = kafka.admin();
  await admin.connect();
  const t = config.topics;
  await admin.createTopics({
    topics: [
      { topic: t.raw, numPartitions: PARTITIONS },
      { topic: t.canonical, numPartitions: PARTITIONS },
      { topic: t.erasureRequests, numPartitions: PARTITIONS },
      { topic: t.deadLetter, numPartitions: 1 },
      { topic: t.checkpoints, numPartitions: 1 },
    ].map((x) => ({ ...x, replicationFactor: 1 })),
    waitForLeaders: true,
  });
});

afterAll(async () => {
  const t = config.topics;
  await admin.deleteTopics({ topics: [t.raw, t.canonical, t.erasureRequests, t.deadLetter, t.checkpoints, `${config.streams.applicationId}-chain-heads-changelog`] }).catch(() => undefined);
  await admin.deleteGroups([config.streams.applicationId]).catch(() => undefined);
  await admin.disconnect();
  const redis = createVaultRedis(config);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
});

async function produce(from: number, count: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  for (let i = from; i < from + count; i += 100) {
    await producer.send({
      topic: config.topics.raw,
      acks: -1,
      messages: Array.from({ length: Math.min(100, from + count - i) }, (_, j) => ({
        key: `user-${(i + j) % 50}`,
        value: JSON.stringify({ type: 'track', event: 'Item Viewed', userId: `user-${(i + j) % 50}`, messageId: `crash-${i + j}`, timestamp: '2026-11-28T09:00:00.000Z', properties: { n: i + j } }),
      })),
    });
  }
  await producer.disconnect();
}

async function canonicalCount(): Promise<number> {
  let n = 0;
  await readTopicToEnd(kafka, config.topics.canonical, () => void (n += 1));
  return n;
}

describe('hash chain under SIGKILL (exactly_once)', () => {
  it('never forks, gaps or repeats a chain across repeated crashes', { timeout: 420_000 }, async () => {
    const args = { keyPrefix, canonicalPartitions: PARTITIONS };
    const killedWhile: string[] = [];
    for (let round = 0; round < KILLS; round += 1) {
      const fixture = startFixture('../../ingest/fixtures/ingest-app.ts', args, env);
      const producing = produce(round * PER_ROUND, PER_ROUND);
      await fixture.waitForState('RUNNING', 90_000);
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(Math.random() * 2_500)));
      killedWhile.push(fixture.states.at(-1) ?? 'starting');
      expect(await fixture.kill('SIGKILL')).toBeNull();
      await producing;
    }
    const total = KILLS * PER_ROUND;
    const final = startFixture('../../ingest/fixtures/ingest-app.ts', args, env);
    try {
      await final.waitForState('RUNNING', 90_000);
      const deadline = Date.now() + 180_000;
      while ((await canonicalCount()) < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Let checkpoints catch up with the final heads.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const report = await verifyTopic(config, config.topics.canonical, config.topics.checkpoints, undefined);
      expect(report.breaks).toEqual([]);
      expect(report).toMatchObject({ intact: true, records: total, truncation_checked: true });
      expect(report.partitions.reduce((n, p) => n + p.verified_through + 1, 0)).toBe(total);
    } finally {
      await final.kill('SIGTERM');
    }
    expect(killedWhile).toHaveLength(KILLS);
  });
});
