/**
 * One ioredis connection from configuration: URL, password (kept out of the URL), TLS, and commands
 * that fail after a few retries instead of queueing forever, so that a batch errors and the runtime
 * retries it without committing its offsets (an outage pauses the stream and loses nothing).
 *
 * Connection errors are listened to here: without a listener ioredis prints every failed reconnect
 * as an "Unhandled error event" to stderr. The failures that matter reach the callers of commands;
 * the connection itself is only reported once per outage (an error code and the connection name,
 * never the URL or password).
 */
import { Redis } from 'ioredis';
import type { QuintetConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

export interface RedisConnectionOptions {
  readonly connectionName: string;
  readonly enableAutoPipelining?: boolean;
  readonly logger?: Logger;
}

export function createRedisConnection(config: QuintetConfig, options: RedisConnectionOptions): Redis {
  const tls = config.redis.tls || config.redis.url.startsWith('rediss:');
  const redis = new Redis(config.redis.url, {
    ...(config.redis.password === undefined ? {} : { password: config.redis.password.reveal() }),
    ...(tls ? { tls: {} } : {}),
    connectionName: options.connectionName,
    maxRetriesPerRequest: 3,
    ...(options.enableAutoPipelining === undefined ? {} : { enableAutoPipelining: options.enableAutoPipelining }),
  });
  let down = false;
  redis.on('error', (error: Error & { code?: string }) => {
    if (down) return;
    down = true;
    options.logger?.warn({ connection: options.connectionName, code: error.code ?? 'UNKNOWN' }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info({ connection: options.connectionName }, 'redis connection back');
  });
  return redis;
}
