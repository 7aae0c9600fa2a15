/**
 * The feeds topology on Kafka with the Redis stores, killed with SIGKILL in the middle of processing and
 * restarted: batches whose Redis writes landed but whose offsets were not committed are redelivered, and
 * the idempotent writes must leave exactly one entry per post in every follower's inbox, none lost.
 */
import { randomUUID } from 'node:crypto';
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { RedisFollowGraphStore, RedisInboxStore } from '../../../connectors/redis/feed-stores.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { testConfig, uniqueIdentifier, uniqueName } from '../../support/environment.js';
import { startFixture, type Fixture } from '../streams/child.js';
import { follow, post } from '../../unit/feeds/events.js';
import { deleteByPrefix } from './redis-support.js';

const AUTHORS = 4;
const FOLLOWERS = 12;
const POSTS_PER_ROUND = 600;
const KILLS = 2;
// An hour ago: the feeds topology takes event time as the record timestamp (canonicalEventTime), so these
// times are what its repartition topic holds. A fixed date left records there older than any time
// retention the broker applies (none today only because repartition topics have retention.ms -1).
const T0 = Date.now() - 3_600_000;

async function waitForFollowers(graph: RedisFollowGraphStore, authors: readonly string[], expected: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(authors.map((author) => graph.followerCount(author)));
    if (counts.every((count) => count === expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the follow graph did not reach ${expected} followers per author within 120 s`);
}

describe('feeds topology on Kafka under SIGKILL', () => {
  const config = testConfig();
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const redis = new Redis(config.redis.url);
  const canonical = uniqueName('feeds-crash-canonical');
  const applicationId = uniqueName('feeds-crash-app');
  const keyPrefix = uniqueIdentifier('feeds_crash');
  const started: Fixture[] = [];
  const start = (args: unknown): Fixture => {
    const fixture = startFixture('../../feeds/fixtures/feeds-app.ts', args);
    started.push(fixture);
    return fixture;
  };

  afterAll(async () => {
    // A failed wait leaves its fixture running: never let one outlive the test.
    await Promise.all(started.map((fixture) => fixture.kill('SIGKILL')));
    await admin.deleteTopics([canonical, `${applicationId}-feeds-by-user-repartition`, `${applicationId}-feeds-follow-graph-changelog`]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
    await deleteByPrefix(redis, keyPrefix);
    await redis.quit();
  });

  async function produce(events: readonly CanonicalEvent[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < events.length; i += 200) {
        await producer.send({
          topic: canonical,
          acks: -1,
          messages: events.slice(i, i + 200).map((event) => ({ key: event.actor.pseudonym ?? null, value: JSON.stringify(event) })),
        });
      }
    } finally {
      await producer.disconnect();
    }
  }

  it('leaves exactly one inbox entry per post and follower after crashes and redelivery', { timeout: 420_000 }, async () => {
    await admin.ensureTopics([{ name: canonical, partitions: 3, replicationFactor: 1 }]);
    const authors = Array.from({ length: AUTHORS }, () => `ps_author${randomUUID().slice(0, 8)}`);
    const followers = Array.from({ length: FOLLOWERS }, () => `ps_fan${randomUUID().slice(0, 8)}`);
    await produce(authors.flatMap((author) => followers.map((fan) => follow(fan, author, T0))));
    const args = { canonical, applicationId, keyPrefix, cap: 10_000 };

    let time = T0 + 1_000;
    const posts: CanonicalEvent[] = [];
    const graph = new RedisFollowGraphStore(redis, 10_000, { keyPrefix });
    for (let round = 0; round < KILLS; round += 1) {
      const batch = Array.from({ length: POSTS_PER_ROUND }, (_, i) => post(authors[i % AUTHORS] as string, (time += 3)));
      posts.push(...batch);
      const fixture = start(args);
      await fixture.waitForState('RUNNING', 120_000);
      // Follows are keyed by the fan and posts by the author, so they reach the writer through different
      // source partitions: fan-out on write gives a follower only the posts written after the follow was
      // applied. The graph must be complete before the first post, or a late follow legitimately misses posts.
      if (round === 0) await waitForFollowers(graph, authors, FOLLOWERS);
      const producing = produce(batch);
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(Math.random() * 2_000)));
      expect(await fixture.kill('SIGKILL')).toBeNull();
      await producing;
    }

    const inboxes = new RedisInboxStore(redis, 10_000, { keyPrefix });
    const final = start(args);
    try {
      await final.waitForState('RUNNING', 120_000);
      const deadline = Date.now() + 240_000;
      let sizes: number[] = [];
      while (Date.now() < deadline) {
        sizes = await Promise.all(followers.map((fan) => inboxes.size('inbox', fan)));
        if (sizes.every((size) => size >= posts.length)) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      expect(sizes).toEqual(followers.map(() => posts.length));
      const members = await inboxes.range('inbox', followers[0] as string, 10_000);
      expect(new Set(members.map((m) => m.member)).size).toBe(posts.length);
      expect(members.map((m) => m.member.split('/')[1]).sort()).toEqual(posts.map((p) => p.id).sort());
      const activity = await Promise.all(authors.map((author) => inboxes.size('activity', author)));
      expect(activity).toEqual(authors.map(() => posts.length / AUTHORS));
    } finally {
      await final.kill('SIGTERM');
    }
  });
});
