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
 *
 * `feed.latency_p99_ms` / `_p50_ms`: the whole path as deployed. `quintet run ingest feeds` in a child
 * process (a private deployment: own topics, application id, Redis prefix and secrets); raw events
 * (canonical JSON with raw user ids) produced to the RAW topic, follows first, then posts at a steady
 * 5,000/s; the bench polls a sample of followers' inboxes in Redis and takes, per (post, sampled inbox),
 * the time from the produce call to the first poll that sees the member (polls every 20 ms: up to 20 ms
 * of the figure is polling). `feed.latency_rate_per_s` is the posting rate achieved; `feed.latency_to_canonical_p99_ms`
 * and `feed.latency_to_repartition_p99_ms` split the path (when read_committed consumers first get the post
 * from the canonical topic, then from the feeds repartition topic); `feed.latency_growth_ms` tells whether
 * the rate was sustained (> 0: a queue built during the run, the latency is that queue's). At 1,000 posts/s
 * the latency is measured twice, side by side: both topologies in one process (`feed.latency_p99_ms_at_1000`)
 * and one process per topology (`feed.latency_p99_ms_at_1000_per_topology_process`, ratio to the former).
 *
 * `likes.notifications_per_s`: the likes topology (window aggregation + notification sink) on the
 * TopologyTestDriver with the Redis stores, fed likes and unlikes in consumed batches of 500 (the sink
 * writes a batch with one tombstone lookup and one pipeline), beside `likes.per_record_notifications_per_s`,
 * the same likes in consumed batches of one: two round trips per like, what the sink did for every like
 * before it batched.
 */
// First, so that the bench's producer and probe consumer run kafkajs with the connector's fixes.
import { createKafkaClient } from '../connectors/kafka/client.js';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { privateDeploymentEnv } from '../test/support/private-deployment.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Partitioners } from '../connectors/kafka/kafkajs.js';
import { Redis } from 'ioredis';
import { loadConfig, type QuintetConfig } from '../core/config.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { FeedKeys, feedMember } from '../connectors/redis/keys.js';
import { RedisErasureTombstones, RedisFollowGraphStore, RedisInboxStore, RedisNotificationStore } from '../connectors/redis/feed-stores.js';
import { RedisVaultStore } from '../connectors/redis/vault-store.js';
import type { FeedItem, FeedPosition } from '../processors/feeds/model.js';
import type { FeedKind, InboxStore, InboxWrite } from '../processors/feeds/stores.js';
import { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { KafkaStreams } from '../streams/kafka/index.js';
import { Serdes } from '../streams/serdes.js';
import { TopologyTestDriver } from '../streams/test-driver.js';
import { buildFeedsTopology } from '../topologies/feeds.js';
import type { CanonicalValue } from '../topologies/feeds-shared.js';
import { buildLikesTopology } from '../topologies/likes.js';
import { topicPlan } from '../topologies/topic-plan.js';
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
    // An hour ago, not a fixed date: event time becomes the record timestamp of the feeds repartition topic.
    const t0 = Date.now() - 3_600_000;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


/** A raw event as a producer sends it: canonical JSON naming people by the application's own user ids. */
function rawSocialEvent(name: string, userId: string, atMs: number, entity: CanonicalEvent['entity']): { id: string; key: string; value: string } {
  const id = randomUUID();
  const value = JSON.stringify({ id, event_timestamp: new Date(atMs).toISOString(), source: 'bench://feeds', spec_version: '1.0', action: { name, type: 'social' }, actor: { id: userId, type: 'user' }, entity });
  return { id, key: userId, value };
}

interface EndToEndLatency {
  /** Per (post, sampled inbox): ms from the produce call to the first poll that saw the member, sorted. */
  readonly latencies: number[];
  /** Per post: ms from the produce call until a read_committed consumer got it from the canonical topic, sorted. */
  readonly canonical: number[];
  /** The same for the feeds topology's repartition topic (the hop before the Redis writer), sorted. */
  readonly repartition: number[];
  /** Posts produced per second during the measured phase. */
  readonly rate: number;
  /**
   * Median inbox latency of the posts sent in the last fifth of the measured phase minus that of the first
   * fifth: near 0 when the pipeline keeps up with the rate, growing with the run when a queue builds.
   */
  readonly growthMs: number;
}

/**
 * Watches the topics between the stages with read_committed consumers (what the next stage can see),
 * noting when each post first appears: on the canonical topic by its `ce_id` header, on the repartition
 * topic by the feed command's item id.
 */
async function watchStages(kafka: ReturnType<typeof createKafkaClient>, canonicalTopic: string, repartitionTopic: string, seenAt: { canonical: Map<string, number>; repartition: Map<string, number> }) {
  const consumer = kafka.consumer({ groupId: `${repartitionTopic}-bench-probe`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [canonicalTopic, repartitionTopic], fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        if (batch.topic === canonicalTopic) {
          const id = message.headers?.ce_id?.toString();
          if (id !== undefined && !seenAt.canonical.has(id)) seenAt.canonical.set(id, now);
        } else if (message.value !== null) {
          const command = JSON.parse(message.value.toString()) as { op?: string; item?: { id?: string } };
          const id = command.item?.id;
          if (command.op === 'post' && id !== undefined && !seenAt.repartition.has(id)) seenAt.repartition.set(id, now);
        }
      }
    },
  });
  return consumer;
}

/**
 * Raw topic → follower inbox, with `quintet run ingest feeds` in a child process. `warmupSeconds` of posts
 * are sent at the same rate first and not counted (first transactions, JIT).
 */
export async function rawToInboxLatency(redis: Redis, rate: number, seconds: number, warmupSeconds: number, processes: 'one' | 'per-topology' = 'one'): Promise<EndToEndLatency> {
  const name = `bench_e2e_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'quintet-bench-feeds-'));
  const env = { ...process.env, ...privateDeploymentEnv(name, { partitions: 4, dataDir }) };
  const config = loadConfig({ env });
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  const vault = PiiVault.fromConfig(new RedisVaultStore(redis, { prefix: name }), config);
  const graph = new RedisFollowGraphStore(redis, 10_000, { keyPrefix: name });
  const keys = new FeedKeys(name);
  const root = fileURLToPath(new URL('..', import.meta.url));
  let stderr = '';
  // One process running both topologies, or one process per topology (each with its own event loop).
  const children = (processes === 'one' ? [['ingest', 'feeds']] : [['ingest'], ['feeds']]).map((topologies) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', ...topologies], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    return { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  });
  let probe: Awaited<ReturnType<typeof watchStages>> | undefined;
  try {
    await admin.ensureTopics(topicPlan(config).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config })));
    await producer.connect();
    const AUTHORS = 200;
    const FANS = 2_000;
    const PER_AUTHOR = FOLLOWERS_PER_AUTHOR / 2;
    const author = (a: number): string => `author-${a}`;
    const fan = (f: number): string => `fan-${f}`;
    const followersOf: number[][] = Array.from({ length: AUTHORS }, (_, a) => [...new Set(Array.from({ length: PER_AUTHOR }, (_, j) => (a * 31 + j * 7) % FANS))]);
    const follows = followersOf.flatMap((fans, a) => fans.map((f) => rawSocialEvent('social.user.followed', fan(f), Date.now(), { type: 'user', id: author(a) })));
    for (let i = 0; i < follows.length; i += 500) {
      await producer.send({ topic: config.topics.raw, acks: -1, messages: follows.slice(i, i + 500).map((e) => ({ key: e.key, value: e.value })) });
    }

    // The follow graph is complete (as pseudonyms in Redis) before the first post.
    const settleBy = Date.now() + 180_000;
    for (;;) {
      if (children.some(({ child }) => child.exitCode !== null)) throw new Error(`quintet run exited: ${stderr}`);
      const pseudonyms = await Promise.all(followersOf.map((_, a) => vault.lookup({ kind: 'user', id: author(a) })));
      const counts = await Promise.all(pseudonyms.map((p) => (p === undefined ? 0 : graph.followerCount(p))));
      if (counts.every((n, a) => n === (followersOf[a] as number[]).length)) break;
      if (Date.now() > settleBy) throw new Error(`the follow graph did not settle within 180 s; quintet run said: ${stderr}`);
      await sleep(250);
    }

    const seenAt = { canonical: new Map<string, number>(), repartition: new Map<string, number>() };
    const repartitionTopic = `${name}-feeds-feeds-by-user-repartition`;
    probe = await watchStages(kafka, config.topics.canonical, repartitionTopic, seenAt);
    // The probe has joined and fetches from the end before the first post.
    await sleep(3_000);

    // Sampled inboxes: the first fans; per inbox, the posts it should receive in produce (= event time) order.
    const SAMPLED = 16;
    const authorsOf = new Map<number, number[]>();
    followersOf.forEach((fans, a) => fans.forEach((f) => f < SAMPLED && authorsOf.set(f, [...(authorsOf.get(f) ?? []), a])));
    const inboxes = await Promise.all(
      [...authorsOf.keys()].map(async (f) => {
        const pseudonym = await vault.lookup({ kind: 'user', id: fan(f) });
        if (pseudonym === undefined) throw new Error('a sampled fan has no pseudonym after the follow graph settled');
        return { key: keys.inbox(pseudonym), follows: new Set(authorsOf.get(f)), expected: [] as { id: string; score: number }[], head: 0, unseen: new Set<string>() };
      }),
    );

    const sentAt = new Map<string, number>();
    const measured = new Set<string>();
    const latencies: number[] = [];
    const bySend: [number, number][] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const open = inboxes.filter((inbox) => inbox.unseen.size > 0);
        if (open.length > 0) {
          const pipeline = redis.pipeline();
          for (const inbox of open) {
            while (!inbox.unseen.has((inbox.expected[inbox.head] as { id: string }).id)) inbox.head += 1;
            pipeline.zrangebyscore(inbox.key, (inbox.expected[inbox.head] as { score: number }).score, '+inf');
          }
          const results = (await pipeline.exec()) ?? [];
          const now = Date.now();
          open.forEach((inbox, i) => {
            for (const member of (results[i]?.[1] ?? []) as string[]) {
              const eventId = member.slice(member.indexOf('/') + 1);
              if (!inbox.unseen.delete(eventId)) continue;
              if (measured.has(eventId)) {
                latencies.push(now - (sentAt.get(eventId) as number));
                bySend.push([sentAt.get(eventId) as number, now - (sentAt.get(eventId) as number)]);
              }
            }
          });
        }
        await sleep(20);
      }
    })();

    const post = async (phaseSeconds: number, count: boolean): Promise<number> => {
      const started = Date.now();
      let sent = 0;
      while (Date.now() - started < phaseSeconds * 1000) {
        const due = Math.min(500, Math.floor(((Date.now() - started) / 1000) * rate) - sent);
        if (due > 0) {
          const now = Date.now();
          const batch = Array.from({ length: due }, (_, i) => {
            const a = (sent + i) % AUTHORS;
            const event = rawSocialEvent('social.post.created', author(a), now, { type: 'post', id: `p${sent + i}` });
            sentAt.set(event.id, now);
            if (count) measured.add(event.id);
            for (const inbox of inboxes) {
              if (!inbox.follows.has(a)) continue;
              inbox.expected.push({ id: event.id, score: now });
              inbox.unseen.add(event.id);
            }
            return event;
          });
          await producer.send({ topic: config.topics.raw, acks: 1, messages: batch.map((e) => ({ key: e.key, value: e.value })) });
          sent += batch.length;
        }
        await sleep(10);
      }
      return sent / ((Date.now() - started) / 1000);
    };
    await post(warmupSeconds, false);
    const achieved = await post(seconds, true);
    // Above what the machine sustains, a backlog builds: let it drain (its latency is the figure).
    const drainBy = Date.now() + 180_000;
    while (inboxes.some((inbox) => inbox.unseen.size > 0) && Date.now() < drainBy) await sleep(100);
    polling = false;
    await poller;
    const missing = inboxes.reduce((n, inbox) => n + inbox.unseen.size, 0);
    if (missing > 0) throw new Error(`${missing} (post, inbox) pairs never appeared within 180 s after the run; quintet run said: ${stderr}`);
    const stage = (seen: Map<string, number>): number[] => [...measured].flatMap((id) => (seen.has(id) ? [(seen.get(id) as number) - (sentAt.get(id) as number)] : [])).sort((x, y) => x - y);
    bySend.sort((x, y) => x[0] - y[0]);
    const fifth = Math.floor(bySend.length / 5);
    const median = (part: [number, number][]): number => percentile(part.map(([, ms]) => ms).sort((x, y) => x - y), 50);
    const growthMs = median(bySend.slice(-fifth)) - median(bySend.slice(0, fifth));
    return { latencies: latencies.sort((x, y) => x - y), canonical: stage(seenAt.canonical), repartition: stage(seenAt.repartition), rate: achieved, growthMs };
  } finally {
    await probe?.disconnect().catch(() => undefined);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([Promise.all(children.map((c) => c.exited)), sleep(20_000)]);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    await producer.disconnect().catch(() => undefined);
    const kafkajsAdmin = await admin.kafkajsAdmin();
    const topics = (await kafkajsAdmin.listTopics()).filter((t) => t.startsWith(name));
    await admin.deleteTopics(topics).catch(() => undefined);
    await admin.deleteGroups([`${name}-ingest`, `${name}-feeds`, `${name}-feeds-feeds-by-user-repartition-bench-probe`]).catch(() => undefined);
    await admin.close();
    await deletePrefix(redis, name);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Likes and unlikes of many posts within one hour, as canonical events after ingestion (pseudonyms). */
export function likeEvents(count: number, seed: number): CanonicalEvent[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state;
  };
  const t0 = Date.UTC(2026, 10, 28, 9);
  const events: CanonicalEvent[] = [];
  const liked: [string, number, number][] = [];
  for (let i = 0; i < count; i += 1) {
    const at = t0 + Math.floor((i * 3_000_000) / count);
    // One in ten takes back an earlier like.
    const undo = i % 10 === 9 && liked.length > 0 ? liked[next() % liked.length] : undefined;
    const [liker, owner, postNo] = undo ?? [`ps_liker${next() % 20_000}`, next() % 200, next() % 20];
    if (undo === undefined) liked.push([liker, owner, postNo]);
    const entity = { type: 'post', id: `post-${owner}-${postNo}`, details: { owner_pseudonym: `ps_owner${owner}` } };
    events.push(canonicalEvent(undo === undefined ? 'social.post.liked' : 'social.post.unliked', liker, at, entity));
  }
  return events;
}

/** Likes processed per second by the likes topology with Redis stores, in consumed batches of `batchSize`. */
export async function likesPerSecond(redis: Redis, events: readonly CanonicalEvent[], batchSize: number): Promise<number> {
  const keyPrefix = `bench_likes_${randomBytes(4).toString('hex')}`;
  const stores = { notifications: new RedisNotificationStore(redis, undefined, { keyPrefix }), tombstones: new RedisErasureTombstones(redis, { keyPrefix }) };
  // One partition: every consumed batch reaches the aggregation and the sink whole.
  const driver = new TopologyTestDriver(buildLikesTopology({ canonicalTopic: 'canonical', stores }), { capture: 'none' });
  const input = driver.createInputTopic<string, CanonicalValue>('canonical', Serdes.String(), Serdes.Json<CanonicalValue>());
  try {
    const started = performance.now();
    for (let i = 0; i < events.length; i += batchSize) {
      await input.pipeRecordListAsync(events.slice(i, i + batchSize).map((value) => ({ key: value.actor.pseudonym as string, value })));
    }
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    await driver.close();
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

      const e2e = { p99: [] as number[], p50: [] as number[], rate: [] as number[], canonicalP99: [] as number[], repartitionP99: [] as number[], growth: [] as number[] };
      const low = { rate: 1_000, p99: [] as number[], p50: [] as number[], split: [] as number[], splitP50: [] as number[] };
      for (let run = 0; run < (options.quick ? 1 : 3); run += 1) {
        const measured = await rawToInboxLatency(redis, rate, options.quick ? 10 : 20, 3);
        e2e.p99.push(percentile(measured.latencies, 99));
        e2e.p50.push(percentile(measured.latencies, 50));
        e2e.rate.push(measured.rate);
        e2e.canonicalP99.push(percentile(measured.canonical, 99));
        e2e.repartitionP99.push(percentile(measured.repartition, 99));
        e2e.growth.push(measured.growthMs);
        // A lower rate, with both topologies in one process (as `quintet run ingest feeds`) and with one
        // process per topology: how much the feeds topology waits behind ingest on a shared event loop.
        const shared = await rawToInboxLatency(redis, low.rate, 10, 10, 'one');
        low.p99.push(percentile(shared.latencies, 99));
        low.p50.push(percentile(shared.latencies, 50));
        const split = await rawToInboxLatency(redis, low.rate, 10, 10, 'per-topology');
        low.split.push(percentile(split.latencies, 99));
        low.splitP50.push(percentile(split.latencies, 50));
      }
      const e2eNotes = `quintet run ingest feeds (${config.streams.processingGuarantee}, commit ${config.streams.commitIntervalMs} ms), raw topic → member seen in a sampled follower's Redis inbox (20 ms polls), ${rate} posts/s target, 25 followers each`;
      figures.push(
        summarize('feed.latency_p99_ms', 'ms', e2e.p99, { notes: e2eNotes }),
        summarize('feed.latency_p50_ms', 'ms', e2e.p50, { notes: e2eNotes }),
        summarize('feed.latency_rate_per_s', 'posts/s', e2e.rate, { notes: 'posting rate achieved during the measured phase' }),
        summarize('feed.latency_to_canonical_p99_ms', 'ms', e2e.canonicalP99, { notes: 'same runs: raw produce → post readable (read_committed) on the canonical topic (the ingest topology\'s share)' }),
        summarize('feed.latency_to_repartition_p99_ms', 'ms', e2e.repartitionP99, { notes: 'same runs: raw produce → feed command readable on the feeds repartition topic' }),
        summarize('feed.latency_growth_ms', 'ms', e2e.growth, { notes: 'same runs: median latency of the last fifth of the posts minus the first fifth (> 0: a queue builds, the rate is not sustained)' }),
      );
      const splitFigure = summarize(`feed.latency_p99_ms_at_${low.rate}_per_topology_process`, 'ms', low.split, {
        notes: `as feed.latency_p99_ms at ${low.rate} posts/s, quintet run ingest and quintet run feeds in two processes (p50 ${low.splitP50.map(Math.round).join(', ')} ms)`,
      });
      const sharedFigure = summarize(`feed.latency_p99_ms_at_${low.rate}`, 'ms', low.p99, {
        notes: `as feed.latency_p99_ms at ${low.rate} posts/s, both topologies in one process (p50 ${low.p50.map(Math.round).join(', ')} ms)`,
      });
      figures.push({ ...splitFigure, baseline: { name: sharedFigure.name, value: sharedFigure.value }, ratio: splitFigure.value / sharedFigure.value }, sharedFigure);

      const likes = likeEvents(options.quick ? 6_000 : 20_000, 17);
      const batched: number[] = [];
      const perRecord: number[] = [];
      await likesPerSecond(redis, likes.slice(0, 1_000), 500); // warm-up: scripts, JIT
      for (let run = 0; run < runs; run += 1) {
        batched.push(await likesPerSecond(redis, likes, 500));
        perRecord.push(await likesPerSecond(redis, likes.slice(0, likes.length / 3), 1));
      }
      const likesBaseline = summarize('likes.per_record_notifications_per_s', 'likes/s', perRecord, {
        notes: 'likes topology (driver, Redis stores), consumed batches of 1: tombstone lookup + upsert round trips per like',
      });
      const likesFigure = summarize('likes.notifications_per_s', 'likes/s', batched, {
        baseline: { name: likesBaseline.name, value: likesBaseline.value },
        notes: 'likes topology (driver, Redis stores), consumed batches of 500: one tombstone lookup + one upsert pipeline per batch; 10% unlikes',
      });
      figures.push({ ...likesFigure, ratio: likesFigure.value / likesBaseline.value }, likesBaseline);
      return figures;
    } finally {
      await redis.quit();
    }
  },
};
