/**
 * The ioredis connection of the feed read models (see connection.ts). A store outage makes a feed
 * batch fail; the topology retries it without committing its offsets, so the feed pauses and loses nothing.
 */
import type { Redis } from 'ioredis';
import type { QuintetConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { createRedisConnection } from './connection.js';

export function createFeedRedis(config: QuintetConfig, options: { connectionName?: string; logger?: Logger } = {}): Redis {
  return createRedisConnection(config, { connectionName: options.connectionName ?? 'quintet-feeds', ...(options.logger === undefined ? {} : { logger: options.logger }) });
}
