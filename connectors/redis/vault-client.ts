/**
 * The ioredis connection of the PII vault, from configuration: URL, password (kept out of the URL) and
 * TLS. Commands fail fast (a few retries) instead of queueing forever, so that an ingest batch errors
 * and is retried by the runtime rather than hanging on a dead Redis.
 */
import { Redis } from 'ioredis';
import type { QuintetConfig } from '../../core/config.js';

export function createVaultRedis(config: QuintetConfig, options: { connectionName?: string } = {}): Redis {
  const tls = config.redis.tls || config.redis.url.startsWith('rediss:');
  return new Redis(config.redis.url, {
    ...(config.redis.password === undefined ? {} : { password: config.redis.password.reveal() }),
    ...(tls ? { tls: {} } : {}),
    connectionName: options.connectionName ?? 'quintet-vault',
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
  });
}
