/**
 * The feed store contract against the real Redis of the local stack, each test under a random key prefix
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
import { describeFeedStoreContract } from '../../unit/feeds/store-contract.js';
import { deleteByPrefix } from './redis-support.js';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(testConfig().redis.url, { lazyConnect: false });
});

afterAll(async () => {
  await redis.quit();
});

describeFeedStoreContract('redis', async (options) => {
  const keyPrefix = uniqueIdentifier('feeds_test');
  return {
    graph: new RedisFollowGraphStore(redis, options.celebrityThreshold, { keyPrefix }),
    inboxes: new RedisInboxStore(redis, options.cap, { keyPrefix }),
    notifications: new RedisNotificationStore(redis, options.notificationCap, { keyPrefix }),
    tombstones: new RedisErasureTombstones(redis, { keyPrefix }),
    cleanup: () => deleteByPrefix(redis, keyPrefix),
  };
});
