/**
 * ioredis against both local Redis instances, and the durability promise of the AOF instance:
 * an acknowledged write survives a crash (SIGKILL) of the server.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { durableRedisUrl, testConfig, uniqueName } from '../../support/environment.js';

const run = promisify(execFile);
const stackScript = fileURLToPath(new URL('../../../deploy/local/stack', import.meta.url));

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe('local Redis', () => {
  it.each([
    ['shared (QUINTET_REDIS_URL)', () => testConfig().redis.url],
    ['durable (QUINTET_TEST_REDIS_DURABLE_URL)', durableRedisUrl],
  ])('round-trips strings, hashes and sorted sets on the %s instance', async (_name, url) => {
    await withRedis(url(), async (redis) => {
      const key = uniqueName('stack-test');
      try {
        await redis.set(`${key}:s`, 'value', 'EX', 60);
        await redis.hset(`${key}:h`, { a: '1', b: '2' });
        await redis.zadd(`${key}:z`, 2, 'second', 1, 'first');
        expect(await redis.get(`${key}:s`)).toBe('value');
        expect(await redis.hgetall(`${key}:h`)).toEqual({ a: '1', b: '2' });
        expect(await redis.zrange(`${key}:z`, 0, -1)).toEqual(['first', 'second']);
      } finally {
        await redis.del(`${key}:s`, `${key}:h`, `${key}:z`);
      }
    });
  });

  it('has AOF with fsync on every write on the durable instance', async () => {
    await withRedis(durableRedisUrl(), async (redis) => {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    });
  });

  it('keeps an acknowledged write on the durable instance across a crash (deploy/local/stack crash-restart redis-durable)', async (context) => {
    const { stdout } = await run('bash', [stackScript, 'status', 'redis-durable']).catch((error: { stdout: string }) => error);
    // Only the checkout that started the instance may crash it; another checkout's stack is not ours to kill.
    if (!stdout.startsWith('redis-durable up')) {
      context.skip(`redis-durable on 6380 was not started by this checkout (${stdout.trim()}); cannot crash it from here`);
    }
    const key = uniqueName('stack-test-durable');
    await withRedis(durableRedisUrl(), async (redis) => {
      await redis.hset(key, { written: 'before-crash' });
    });
    await run('bash', [stackScript, 'crash-restart', 'redis-durable']);
    await withRedis(durableRedisUrl(), async (redis) => {
      try {
        expect(await redis.hget(key, 'written')).toBe('before-crash');
      } finally {
        await redis.del(key);
      }
    });
  });
});
