/**
 * The ioredis connection of the feed read models, from configuration (URL, password kept out of the
 * URL, TLS). Commands fail after a few retries instead of queueing forever: a feed batch then fails and
 * the runtime retries it without committing its offsets, so an outage pauses the feed and loses nothing.
 */
import { Redis } from 'ioredis';
import type { QuintetConfig } from '../../core/config.js';

export function createFeedRedis(config: QuintetConfig, options: { connectionName?: string } = {}): Redis {
  const tls = config.redis.tls || config.redis.url.startsWith('rediss:');
  return new Redis(config.redis.url, {
    ...(config.redis.password === undefined ? {} : { password: config.redis.password.reveal() }),
    ...(tls ? { tls: {} } : {}),
    connectionName: options.connectionName ?? 'quintet-feeds',
    maxRetriesPerRequest: 3,
  });
}
