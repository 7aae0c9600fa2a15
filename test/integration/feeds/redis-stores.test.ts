/**
 * The feed store contract and the feed topologies (on the TopologyTestDriver) against the real Redis of
 * the local stack, each test under a random key prefix
 * that is deleted afterwards.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  RedisErasureTombstones,
  RedisFollowGraphStore,
  RedisInboxStore,
  RedisNotificationStore,
} from '../../../connectors/redis/feed-stores.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';
import { describeFeedStoreContract, type FeedStoreFactory } from '../../unit/feeds/store-contract.js';
import { describeFeedsTopology } from '../../unit/feeds/feeds-topology-suite.js';
import { describeLikesTopology } from '../../unit/feeds/likes-topology-suite.js';
import { deleteByPrefix } from './redis-support.js';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(testConfig().redis.url, { lazyConnect: false });
});

afterAll(async () => {
  await redis.quit();
});

const redisStores: FeedStoreFactory = async (options) => {
  const keyPrefix = uniqueIdentifier('feeds_test');
  return {
    graph: new RedisFollowGraphStore(redis, options.celebrityThreshold, { keyPrefix }),
    inboxes: new RedisInboxStore(redis, options.cap, { keyPrefix }),
    notifications: new RedisNotificationStore(redis, options.notificationCap, { keyPrefix }),
    tombstones: new RedisErasureTombstones(redis, { keyPrefix }),
    cleanup: () => deleteByPrefix(redis, keyPrefix),
  };
};

describeFeedStoreContract('redis', redisStores);
// The same topologies as on the in-memory stores, over real Redis.
describeFeedsTopology('redis', redisStores);
describeLikesTopology('redis', redisStores);
