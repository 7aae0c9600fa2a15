/**
 * `--self-check`: proof that the invariants can fail. After a passing run, one fault of each kind is
 * planted in the outputs — a copy of a canonical record appended to its partition, a second inbox entry
 * for an event already in that inbox, a notification with a wrong count, an extra ClickHouse row —
 * and the invariants are measured again: each planted fault must show.
 */
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { readTopicToEnd, type TopicRecord } from '../../cli/commands/export.js';
import { parseFeedMember } from '../../connectors/redis/keys.js';
import type { QuintetConfig } from '../../core/config.js';
import { failedInvariants, measureInvariants, scanKeys } from './invariants.js';

export const PLANTED = ['canonical_duplicates', 'chains_verified', 'clickhouse_count_delta', 'inbox_duplicates', 'notification_count_errors'] as const;

export async function selfCheck(config: QuintetConfig, kafka: Kafka): Promise<{ detected: string[]; missed: string[] }> {
  let first: TopicRecord | undefined;
  await readTopicToEnd(kafka, config.topics.canonical, (record) => void (first ??= record));
  if (first === undefined) throw new Error('self-check: the canonical topic is empty');
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: config.topics.canonical, acks: -1, messages: [{ partition: first.partition, key: first.key, value: first.value, headers: { ...first.headers } }] });
  await producer.disconnect();

  const redis = new Redis(config.redis.url);
  try {
    const prefix = config.redis.keyPrefix;
    const [inbox] = await scanKeys(redis, `${prefix}:feed:*:inbox`);
    if (inbox === undefined) throw new Error('self-check: no inbox');
    const [member, score] = await redis.zrange(inbox, 0, 0, 'WITHSCORES');
    const parsed = member === undefined ? undefined : parseFeedMember(member);
    if (parsed === undefined || score === undefined) throw new Error('self-check: no inbox entry to copy');
    await redis.zadd(inbox, score, `self-check/${parsed.eventId}`);
    const [items] = await scanKeys(redis, `${prefix}:notif:*:items`);
    const notifications = items === undefined ? {} : await redis.hgetall(items);
    const [id, json] = Object.entries(notifications)[0] ?? [];
    if (items === undefined || id === undefined || json === undefined) throw new Error('self-check: no notification to alter');
    const item = JSON.parse(json) as { count: number };
    await redis.hset(items, id, JSON.stringify({ ...item, count: item.count + 1 }));
  } finally {
    redis.disconnect();
  }

  const sql = `INSERT INTO events (event_id, event_time, action_name) VALUES ('self-check', now(), 'chaos.self.check')`;
  const inserted = await fetch(`${config.clickhouse.url}/?database=${encodeURIComponent(config.clickhouse.database)}`, { method: 'POST', body: sql });
  if (!inserted.ok) throw new Error(`self-check: ClickHouse answered ${inserted.status}: ${(await inserted.text()).slice(0, 200)}`);

  const failed = failedInvariants((await measureInvariants(config, kafka)).invariants);
  return { detected: PLANTED.filter((name) => failed.includes(name)), missed: PLANTED.filter((name) => !failed.includes(name)) };
}
