/**
 * Feeds benchmark: inbox writes per second of the fan-out sink against real Redis.
 *
 * `fanout.inbox_writes_per_s`: consumed batches of feed items, each fanned out to its author's followers,
 * written through RedisInboxStore.writeBatch (one pipeline per batch: per item one Lua call for body +
 * activity feed + trim; per inbox one ZADD and one ZREMRANGEBYRANK). One inbox write = one item landing
 * in one follower's inbox. Measured beside, in the same run: a naive loop (one awaited ZADD and one awaited
 * trim per inbox write: the baseline and ratio), and the same ZADD + trim commands pipelined per batch
 * (`fanout.pipelined_commands_inbox_writes_per_s`, the reference of the issue, ~115k/s on an idle machine),
 * which tells how loaded the machine was during the run.
 *
 * `fanout.canonical_to_inbox_p99_ms` / `_p50_ms`: the feeds topology running on Kafka (exactly-once) with the
 * Redis stores, fed posts at a steady 5,000/s; latency from the produce call to the inbox writes of the post
 * being acknowledged by Redis. Needs the local stack (Kafka and Redis).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { Redis } from 'ioredis';
import { loadConfig, type QuintetConfig } from '../core/config.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { FeedKeys, feedMember } from '../connectors/redis/keys.js';
import { RedisErasureTombstones, RedisFollowGraphStore, RedisInboxStore } from '../connectors/redis/feed-stores.js';
import type { FeedItem, FeedPosition } from '../processors/feeds/model.js';
import type { FeedKind, InboxStore, InboxWrite } from '../processors/feeds/stores.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { KafkaStreams } from '../streams/kafka/index.js';
import { buildFeedsTopology } from '../topologies/feeds.js';
import { summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';

const USERS = 20_000;
const FOLLOWERS_PER_AUTHOR = 50;
const BATCH_EVENTS = 200;
const CAP = 1_000;

function makeBatches(batches: number, seed: number): InboxWrite[][] {
  const out: InboxWrite[][] = [];
  let state = seed;
  // A small deterministic generator: the same workload for the store and the baseline.
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state;
  };
  const user = (n: number): string => `ps_bench${n.toString(36)}`;
  let time = Date.UTC(2026, 10, 28);
  for (let b = 0; b < batches; b += 1) {
    const batch: InboxWrite[] = [];
    for (let e = 0; e < BATCH_EVENTS; e += 1) {
      const author = user(next() % USERS);
      const followers = new Set<string>();
      while (followers.size < FOLLOWERS_PER_AUTHOR) followers.add(user(next() % USERS));
      followers.delete(author);
      time += 7;
      batch.push({
        item: { id: randomBytes(8).toString('hex'), actor: author, action: 'social.post.created', timestamp: time, entity: { type: 'post', id: `p${b}-${e}` } },
        inboxes: [...followers],
      });
    }
    out.push(batch);
  }
  return out;
}

const inboxWrites = (batches: readonly InboxWrite[][]): number => batches.reduce((n, batch) => n + batch.reduce((m, w) => m + w.inboxes.length, 0), 0);

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function pipelined(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const store = new RedisInboxStore(redis, CAP, { keyPrefix: prefix });
  try {
    const started = performance.now();
    for (const batch of batches) await store.writeBatch(batch);
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

/** The reference of the issue: per inbox write one ZADD and one ZREMRANGEBYRANK, pipelined per batch. */
async function pipelinedCommands(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const keys = new FeedKeys(prefix);
  try {
    const started = performance.now();
    for (const batch of batches) {
      const pipeline = redis.pipeline();
      for (const { item, inboxes } of batch) {
        const member = feedMember(item.actor, item.id);
        for (const owner of inboxes) {
          const key = keys.inbox(owner);
          pipeline.zadd(key, item.timestamp, member);
          pipeline.zremrangebyrank(key, 0, -(CAP + 1));
        }
      }
      await pipeline.exec();
    }
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

async function naive(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const keys = new FeedKeys(prefix);
  try {
    const started = performance.now();
    for (const batch of batches) {
      for (const { item, inboxes } of batch) {
        const member = feedMember(item.actor, item.id);
        for (const owner of inboxes) {
          const key = keys.inbox(owner);
          await redis.zadd(key, item.timestamp, member);
          await redis.zremrangebyrank(key, 0, -(CAP + 1));
        }
      }
    }
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

/** Records when each item's inbox writes completed (a measuring decorator over the real Redis store). */
class TimedInboxStore implements InboxStore {
  readonly writtenAt = new Map<string, number>();
  constructor(readonly inner: InboxStore) {}
  get cap(): number {
    return this.inner.cap;
  }
  async writeBatch(writes: readonly InboxWrite[]): Promise<void> {
    await this.inner.writeBatch(writes);
    const now = performance.now();
    for (const { item } of writes) if (!this.writtenAt.has(item.id)) this.writtenAt.set(item.id, now);
  }
  range(kind: FeedKind, owner: string, limit: number, after?: FeedPosition): Promise<FeedPosition[]> {
    return this.inner.range(kind, owner, limit, after);
  }
  items(members: readonly string[]): Promise<(FeedItem | undefined)[]> {
    return this.inner.items(members);
  }
  size(kind: FeedKind, owner: string): Promise<number> {
    return this.inner.size(kind, owner);
  }
  removeAuthorFromInbox(owner: string, author: string): Promise<number> {
    return this.inner.removeAuthorFromInbox(owner, author);
  }
  eraseSubject(subject: string, followers: readonly string[]): Promise<void> {
    return this.inner.eraseSubject(subject, followers);
  }
}

function canonicalEvent(name: string, actor: string, atMs: number, entity: CanonicalEvent['entity']): CanonicalEvent {
  const iso = new Date(atMs).toISOString();
  return { id: randomUUID(), event_timestamp: iso, observed_timestamp: iso, source: 'bench://feeds', spec_version: '1.0', action: { name, type: 'social' }, actor: { type: 'user', pseudonym: actor }, entity };
}

/**
 * Latency from producing a post to the canonical topic to its items being in the followers' inboxes, with
 * the feeds topology running on Kafka (exactly-once, the configured commit interval) at a steady rate.
 */
async function canonicalToInboxLatency(config: QuintetConfig, redis: Redis, rate: number, seconds: number): Promise<number[]> {
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const id = randomBytes(4).toString('hex');
  const topic = `bench-feeds-canonical-${id}`;
  const applicationId = `bench-feeds-${id}`;
  const keyPrefix = `bench_feeds_${id}`;
  const inboxes = new TimedInboxStore(new RedisInboxStore(redis, CAP, { keyPrefix }));
  const graph = new RedisFollowGraphStore(redis, 10_000, { keyPrefix });
  const streams = new KafkaStreams(
    buildFeedsTopology({ canonicalTopic: topic, stores: { graph, inboxes, tombstones: new RedisErasureTombstones(redis, { keyPrefix }) } }),
    { config, applicationId },
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  try {
    await admin.ensureTopics([{ name: topic, partitions: 4, replicationFactor: 1 }]);
    await producer.connect();
    const authors = Array.from({ length: 200 }, (_, i) => `ps_lat${id}${i.toString(36)}`);
    const t0 = Date.UTC(2026, 10, 28);
    const follows = authors.flatMap((author, a) =>
      Array.from({ length: FOLLOWERS_PER_AUTHOR / 2 }, (_, f) => canonicalEvent('social.user.followed', `ps_fan${id}${((a * 31 + f * 7) % 2000).toString(36)}`, t0, { type: 'user', id: author })),
    );
    for (let i = 0; i < follows.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: follows.slice(i, i + 1000).map((e) => ({ key: e.actor.pseudonym ?? null, value: JSON.stringify(e) })) });
    }
    await streams.start();
    // The follow graph is in place before the measured posts start.
    const settleBy = Date.now() + 120_000;
    const settled = async (): Promise<boolean> => (await Promise.all(authors.map((a) => graph.followerCount(a)))).every((n) => n >= FOLLOWERS_PER_AUTHOR / 2);
    while (!(await settled())) {
      if (Date.now() > settleBy) throw new Error('the follow graph did not settle within 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }

    const sentAt = new Map<string, number>();
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const started = performance.now();
    let sent = 0;
    let time = t0 + 1_000;
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate) - sent;
      if (due > 0) {
        const batch = Array.from({ length: Math.min(due, perTick * 5) }, (_, i) => canonicalEvent('social.post.created', authors[(sent + i) % authors.length] as string, (time += 1), { type: 'post', id: `p${sent + i}` }));
        const now = performance.now();
        for (const e of batch) sentAt.set(e.id, now);
        await producer.send({ topic, acks: 1, messages: batch.map((e) => ({ key: e.actor.pseudonym ?? null, value: JSON.stringify(e) })) });
        sent += batch.length;
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    const drainBy = Date.now() + 60_000;
    while ([...sentAt.keys()].some((k) => !inboxes.writtenAt.has(k)) && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 200));
    const latencies: number[] = [];
    for (const [eventId, at] of sentAt) {
      const written = inboxes.writtenAt.get(eventId);
      if (written === undefined) throw new Error(`post ${eventId} never reached the inboxes within 60 s after the run`);
      latencies.push(written - at);
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await streams.close().catch(() => undefined);
    await admin.deleteTopics([topic, `${applicationId}-feeds-by-user-repartition`, `${applicationId}-feeds-follow-graph-changelog`]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
    await deletePrefix(redis, keyPrefix);
  }
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

export const suite: BenchSuite = {
  name: 'feeds',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    const config = loadConfig({ env: process.env });
    const redis = new Redis(config.redis.url, { password: config.redis.password?.reveal(), maxRetriesPerRequest: 2 });
    try {
      const runs = options.quick ? 3 : 5;
      const storeBatches = options.quick ? 20 : 50;
      // The naive loop is ~one round trip per command: a smaller workload keeps the run short.
      const naiveBatches = options.quick ? 2 : 4;
      const commandBatches = options.quick ? 5 : 10;
      const fast: number[] = [];
      const slow: number[] = [];
      const commands: number[] = [];
      await pipelined(redis, makeBatches(2, 7)); // warm-up: script load, connection
      for (let run = 0; run < runs; run += 1) {
        fast.push(await pipelined(redis, makeBatches(storeBatches, 11 + run)));
        slow.push(await naive(redis, makeBatches(naiveBatches, 101 + run)));
        commands.push(await pipelinedCommands(redis, makeBatches(commandBatches, 201 + run)));
      }
      const baseline = summarize('fanout.naive_inbox_writes_per_s', 'writes/s', slow, {
        notes: 'one awaited ZADD + one awaited ZREMRANGEBYRANK per inbox write',
      });
      const figure = summarize('fanout.inbox_writes_per_s', 'writes/s', fast, {
        baseline: { name: baseline.name, value: baseline.value },
        notes: `RedisInboxStore.writeBatch, ${BATCH_EVENTS} events/batch × ${FOLLOWERS_PER_AUTHOR} followers, cap ${CAP}, one pipeline per batch`,
      });
      const reference = summarize('fanout.pipelined_commands_inbox_writes_per_s', 'writes/s', commands, {
        notes: 'ZADD + ZREMRANGEBYRANK per inbox write, pipelined per batch (no bodies, no activity feeds): the machine reference',
      });
      const figures: Figure[] = [{ ...figure, ratio: figure.value / baseline.value }, baseline, { ...reference, baseline: { name: figure.name, value: figure.value }, ratio: reference.value / figure.value }];
      const rate = 5_000;
      const p99: number[] = [];
      const p50: number[] = [];
      for (let run = 0; run < (options.quick ? 1 : 3); run += 1) {
        const latencies = await canonicalToInboxLatency(config, redis, rate, options.quick ? 8 : 15);
        p99.push(percentile(latencies, 99));
        p50.push(percentile(latencies, 50));
      }
      const notes = `feeds topology on Kafka (${config.streams.processingGuarantee}, commit ${config.streams.commitIntervalMs} ms), ${rate} posts/s, 25 followers each, canonical topic → inbox writes acknowledged by Redis`;
      figures.push(summarize('fanout.canonical_to_inbox_p99_ms', 'ms', p99, { notes }), summarize('fanout.canonical_to_inbox_p50_ms', 'ms', p50, { notes }));
      return figures;
    } finally {
      await redis.quit();
    }
  },
};
