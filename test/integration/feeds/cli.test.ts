/** `quintet feed` and `quintet notifications` against real Redis, in-process. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { RedisInboxStore, RedisNotificationStore } from '../../../connectors/redis/feed-stores.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';
import { item, notification, pseudonym } from '../../unit/feeds/store-contract.js';
import { deleteByPrefix } from './redis-support.js';

const T0 = Date.UTC(2026, 10, 28, 9);
let redis: Redis;
const prefix = uniqueIdentifier('feeds_cli');

async function run(...argv: string[]): Promise<{ code: number; out: unknown }> {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli(argv);
    return { code, out: writes.length === 0 ? undefined : JSON.parse(writes.join('')) };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(() => {
  redis = new Redis(testConfig().redis.url);
});
afterEach(async () => {
  await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

describe('quintet feed / notifications', () => {
  it('pages a home feed with the printed cursor', async () => {
    const [author, reader] = [pseudonym(), pseudonym()];
    await new RedisInboxStore(redis, 100, { keyPrefix: prefix }).writeBatch([1, 2, 3].map((n) => ({ item: item(author, `e${n}`, T0 + n), inboxes: [reader] })));
    const first = await run('feed', reader, '--limit', '2', '--key-prefix', prefix);
    expect(first.code).toBe(0);
    const page1 = first.out as { items: { id: string }[]; cursor: string };
    expect(page1.items.map((i) => i.id)).toEqual(['e3', 'e2']);
    const page2 = (await run('feed', reader, '--limit', '2', '--cursor', page1.cursor, '--key-prefix', prefix)).out as { items: { id: string }[]; cursor: null };
    expect(page2).toEqual({ items: [expect.objectContaining({ id: 'e1' })], cursor: null });
    expect(((await run('feed', author, '--activity', '--key-prefix', prefix)).out as { items: unknown[] }).items).toHaveLength(3);
  });

  it('lists, counts and marks notifications; refuses a raw identifier', async () => {
    const [owner, x] = [pseudonym(), pseudonym()];
    await new RedisNotificationStore(redis, 50, { keyPrefix: prefix }).upsertBatch([1, 2].map((n) => ({ owner, item: notification(`n${n}`, [x], 1, T0 + n) })));
    expect((await run('notifications', 'counts', owner, '--key-prefix', prefix)).out).toEqual({ total: 2, unseen: 2, unread: 2 });
    expect((await run('notifications', 'mark-seen', owner, '--up-to', new Date(T0 + 1).toISOString(), '--key-prefix', prefix)).out).toEqual({ total: 2, unseen: 1, unread: 2 });
    expect((await run('notifications', 'mark-read', owner, '--item', 'n2', '--key-prefix', prefix)).out).toEqual({ total: 2, unseen: 0, unread: 1 });
    const listed = (await run('notifications', 'list', owner, '--key-prefix', prefix)).out as { notifications: { id: string; read: boolean }[] };
    expect(listed.notifications.map((n) => [n.id, n.read])).toEqual([
      ['n2', true],
      ['n1', false],
    ]);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((await run('feed', 'jane@example.com')).code).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });
});
