/**
 * The ioredis connection of the PII vault (see connection.ts). Auto-pipelining stays off: the vault
 * pipelines its own batched lookups explicitly.
 */
import type { Redis } from 'ioredis';
import type { QuintetConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { createRedisConnection } from './connection.js';

export function createVaultRedis(config: QuintetConfig, options: { connectionName?: string; logger?: Logger } = {}): Redis {
  return createRedisConnection(config, { connectionName: options.connectionName ?? 'quintet-vault', enableAutoPipelining: false, ...(options.logger === undefined ? {} : { logger: options.logger }) });
}
