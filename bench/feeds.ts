/**
 * Feeds benchmark: inbox writes per second of the fan-out sink against real Redis.
 *
 * `fanout.inbox_writes_per_s`: consumed batches of feed items, each fanned out to its author's followers,
 * written through RedisInboxStore.writeBatch (one pipeline per batch: per item one Lua call for body +
 * activity feed + trim; per inbox one ZADD and one ZREMRANGEBYRANK). One inbox write = one item landing
 * in one follower's inbox. Measured beside, in the same run: a naive loop (one awaited ZADD and one awaited
 * trim per inbox write: the baseline and ratio), and the same ZADD + trim commands pipelined per batch
 * (`fanout.pipelined_commands_inbox_writes_per_s`, the reference of the issue, ~115k/s on an idle machine),
 * which tells how loaded the machine was during the run.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/config.js';
import { FeedKeys, feedMember } from '../connectors/redis/keys.js';
import { RedisInboxStore } from '../connectors/redis/feed-stores.js';
import type { InboxWrite } from '../processors/feeds/stores.js';
import { summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';

const USERS = 20_000;
const FOLLOWERS_PER_AUTHOR = 50;
const BATCH_EVENTS = 200;
const CAP = 1_000;

function makeBatches(batches: number, seed: number): InboxWrite[][] {
  const out: InboxWrite[][] = [];
  let state = seed;
  // A small deterministic generator: the same workload for the store and the baseline.
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state;
  };
  const user = (n: number): string => `ps_bench${n.toString(36)}`;
  let time = Date.UTC(2026, 10, 28);
  for (let b = 0; b < batches; b += 1) {
    const batch: InboxWrite[] = [];
    for (let e = 0; e < BATCH_EVENTS; e += 1) {
      const author = user(next() % USERS);
      const followers = new Set<string>();
      while (followers.size < FOLLOWERS_PER_AUTHOR) followers.add(user(next() % USERS));
      followers.delete(author);
      time += 7;
      batch.push({
        item: { id: randomBytes(8).toString('hex'), actor: author, action: 'social.post.created', timestamp: time, entity: { type: 'post', id: `p${b}-${e}` } },
        inboxes: [...followers],
      });
    }
    out.push(batch);
  }
  return out;
}

const inboxWrites = (batches: readonly InboxWrite[][]): number => batches.reduce((n, batch) => n + batch.reduce((m, w) => m + w.inboxes.length, 0), 0);

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function pipelined(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const store = new RedisInboxStore(redis, CAP, { keyPrefix: prefix });
  try {
    const started = performance.now();
    for (const batch of batches) await store.writeBatch(batch);
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

/** The reference of the issue: per inbox write one ZADD and one ZREMRANGEBYRANK, pipelined per batch. */
async function pipelinedCommands(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const keys = new FeedKeys(prefix);
  try {
    const started = performance.now();
    for (const batch of batches) {
      const pipeline = redis.pipeline();
      for (const { item, inboxes } of batch) {
        const member = feedMember(item.actor, item.id);
        for (const owner of inboxes) {
          const key = keys.inbox(owner);
          pipeline.zadd(key, item.timestamp, member);
          pipeline.zremrangebyrank(key, 0, -(CAP + 1));
        }
      }
      await pipeline.exec();
    }
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

async function naive(redis: Redis, batches: readonly InboxWrite[][]): Promise<number> {
  const prefix = `bench_feeds_${randomBytes(4).toString('hex')}`;
  const keys = new FeedKeys(prefix);
  try {
    const started = performance.now();
    for (const batch of batches) {
      for (const { item, inboxes } of batch) {
        const member = feedMember(item.actor, item.id);
        for (const owner of inboxes) {
          const key = keys.inbox(owner);
          await redis.zadd(key, item.timestamp, member);
          await redis.zremrangebyrank(key, 0, -(CAP + 1));
        }
      }
    }
    return inboxWrites(batches) / ((performance.now() - started) / 1000);
  } finally {
    await deletePrefix(redis, prefix);
  }
}

export const suite: BenchSuite = {
  name: 'feeds',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    const config = loadConfig({ env: process.env });
    const redis = new Redis(config.redis.url, { password: config.redis.password?.reveal(), maxRetriesPerRequest: 2 });
    try {
      const runs = options.quick ? 3 : 5;
      const storeBatches = options.quick ? 20 : 50;
      // The naive loop is ~one round trip per command: a smaller workload keeps the run short.
      const naiveBatches = options.quick ? 2 : 4;
      const commandBatches = options.quick ? 5 : 10;
      const fast: number[] = [];
      const slow: number[] = [];
      const commands: number[] = [];
      await pipelined(redis, makeBatches(2, 7)); // warm-up: script load, connection
      for (let run = 0; run < runs; run += 1) {
        fast.push(await pipelined(redis, makeBatches(storeBatches, 11 + run)));
        slow.push(await naive(redis, makeBatches(naiveBatches, 101 + run)));
        commands.push(await pipelinedCommands(redis, makeBatches(commandBatches, 201 + run)));
      }
      const baseline = summarize('fanout.naive_inbox_writes_per_s', 'writes/s', slow, {
        notes: 'one awaited ZADD + one awaited ZREMRANGEBYRANK per inbox write',
      });
      const figure = summarize('fanout.inbox_writes_per_s', 'writes/s', fast, {
        baseline: { name: baseline.name, value: baseline.value },
        notes: `RedisInboxStore.writeBatch, ${BATCH_EVENTS} events/batch × ${FOLLOWERS_PER_AUTHOR} followers, cap ${CAP}, one pipeline per batch`,
      });
      const reference = summarize('fanout.pipelined_commands_inbox_writes_per_s', 'writes/s', commands, {
        notes: 'ZADD + ZREMRANGEBYRANK per inbox write, pipelined per batch (no bodies, no activity feeds): the machine reference',
      });
      return [{ ...figure, ratio: figure.value / baseline.value }, baseline, { ...reference, baseline: { name: figure.name, value: figure.value }, ratio: reference.value / figure.value }];
    } finally {
      await redis.quit();
    }
  },
};
