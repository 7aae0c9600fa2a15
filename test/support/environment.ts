/**
 * Endpoints of the real services for integration tests. They default to the local stack
 * (deploy/local/stack) and can be pointed elsewhere with the same QUINTET_* variables users set.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, type QuintetConfig } from '../../core/config.js';

export function testConfig(overrides: Record<string, string> = {}): QuintetConfig {
  return loadConfig({ env: process.env, overrides });
}

/** Redis instance with AOF on, for tests that restart Redis and check durability. */
export function durableRedisUrl(): string {
  return process.env.QUINTET_TEST_REDIS_DURABLE_URL ?? 'redis://127.0.0.1:6380/0';
}

/** A unique name per test so that no test depends on another's leftovers (topics, tables, keys). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A unique SQL identifier (letters, digits and underscores only). */
export function uniqueIdentifier(prefix: string): string {
  return uniqueName(prefix).replace(/[^A-Za-z0-9_]/g, '_');
}
