/**
 * A Redis outage pauses the feed and loses nothing: the feeds and likes topologies run against a private
 * redis-server that is not running yet; their batches wait (retrying with backoff) until it starts, then
 * complete, and every item and notification is there. The server is a real redis-server process on a
 * free port, stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RedisErasureTombstones,
  RedisFollowGraphStore,
  RedisInboxStore,
  RedisNotificationStore,
} from '../../../connectors/redis/feed-stores.js';
import { FeedReader } from '../../../connectors/redis/feed-reader.js';
import { Serdes } from '../../../streams/serdes.js';
import { TopologyTestDriver } from '../../../streams/test-driver.js';
import { buildFeedsTopology } from '../../../topologies/feeds.js';
import type { CanonicalValue } from '../../../topologies/feeds-shared.js';
import { buildLikesTopology } from '../../../topologies/likes.js';
import { BASE_MS, follow, like, post } from '../../unit/feeds/events.js';
import { pseudonym } from '../../unit/feeds/store-contract.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startRedisServer(port: number): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  );
  return child;
}

describe('feeds during a Redis outage', () => {
  it('wait for Redis and then write everything', async () => {
    const port = await freePort();
    // Fail fast per command, so that the topology's backoff (not ioredis' offline queue) does the waiting.
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 50, lazyConnect: true });
    redis.on('error', () => undefined);
    cleanups.push(() => redis.disconnect());
    const stores = {
      graph: new RedisFollowGraphStore(redis, 1_000),
      inboxes: new RedisInboxStore(redis, 100),
      notifications: new RedisNotificationStore(redis, 100),
      tombstones: new RedisErasureTombstones(redis),
    };
    const retries: number[] = [];
    const storeRetry = { initialDelayMs: 50, maxDelayMs: 200, giveUpAfterMs: 60_000, onRetry: (info: { attempt: number }) => retries.push(info.attempt) };
    const feeds = new TopologyTestDriver(buildFeedsTopology({ canonicalTopic: 'canonical', stores, storeRetry }));
    const likes = new TopologyTestDriver(buildLikesTopology({ canonicalTopic: 'canonical', stores, storeRetry }));
    const [author, fan] = [pseudonym(), pseudonym()];
    const posted = post(author, BASE_MS + 1);
    const events = [follow(fan, author, BASE_MS), posted, like(fan, 'p', author, BASE_MS + 2)];
    const pipe = (driver: TopologyTestDriver) =>
      driver.createInputTopic<string, CanonicalValue>('canonical', Serdes.String(), Serdes.Json<CanonicalValue>()).pipeRecordListAsync(events.map((value) => ({ key: 'k', value })));

    const feedsDone = pipe(feeds);
    const likesDone = pipe(likes);
    // Both are stuck on the missing Redis, retrying.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(retries.length).toBeGreaterThan(2);
    startRedisServer(port);
    await Promise.all([feedsDone, likesDone]);

    const reader = new FeedReader(stores);
    expect((await reader.homeFeed(fan)).entries.map((e) => e.item.id)).toEqual([posted.id]);
    expect((await reader.notifications(author)).entries.map((n) => [n.actors, n.count])).toEqual([[[fan], 1]]);
  });
});
