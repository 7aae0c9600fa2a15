import { Redis } from 'ioredis';
import { RedisVaultStore } from '../../../connectors/redis/vault-store.js';
import { vaultPattern } from '../../../connectors/redis/keys.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { describeVaultStoreContract } from '../../unit/pseudonymization/vault-store.contract.js';

async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

describeVaultStoreContract('Redis (Kafka mode)', async () => {
  const url = testConfig().redis.url;
  const prefix = uniqueName('vault-test');
  const clients: Redis[] = [new Redis(url)];
  const main = clients[0] as Redis;
  return {
    // scanCount 1 exercises SCAN paging in rewrap.
    store: new RedisVaultStore(main, { prefix, scanCount: 1 }),
    another: async () => {
      const client = new Redis(url);
      clients.push(client);
      return new RedisVaultStore(client, { prefix });
    },
    dump: async () => {
      const out: string[] = [];
      for (const key of await keysMatching(main, vaultPattern(prefix))) out.push(key, ...Object.entries(await main.hgetall(key)).flat());
      return out;
    },
    cleanup: async () => {
      const keys = await keysMatching(main, `${prefix}:*`);
      if (keys.length > 0) await main.del(...keys);
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
});
