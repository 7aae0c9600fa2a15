/**
 * Redis implementations of the feed stores (Kafka mode), over ioredis. Key names come from FeedKeys
 * (keys.ts); the layout is documented in docs/feeds.md. Multi-step updates that must not interleave run
 * as Lua scripts (scripts/feed-scripts.ts); batches go out as one pipeline per consumed batch.
 *
 * The caller owns the ioredis client (connection, retry and offline-queue policy): while Redis is
 * unreachable, commands wait in ioredis' offline queue or fail, and a failed batch throws
 * QuintetError `FEED_STORE_UNAVAILABLE` so that the topology retries the batch without committing offsets.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { QuintetError } from '../../core/errors.js';
import type { FeedItem, FeedPosition, NotificationCounts, NotificationItem, NotificationView } from '../../processors/feeds/model.js';
import type {
  ErasureTombstones,
  FeedKind,
  FollowGraphStore,
  InboxStore,
  InboxWrite,
  MarkTarget,
  NotificationStore,
  NotificationUpsert,
} from '../../processors/feeds/stores.js';
import { DEFAULT_KEY_PREFIX, feedMember, FeedKeys, parseFeedMember } from './keys.js';
import {
  FEED_SCRIPTS,
  feedWriteBatch,
  feedRange,
  inboxRemoveAuthor,
  notificationCounts,
  notificationMark,
  notificationReplace,
  notificationUpsert,
  type FeedScript,
} from './scripts/feed-scripts.js';

export const DEFAULT_FEED_CAP = 1_000;
export const DEFAULT_NOTIFICATION_CAP = 500;

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** Registers the feed scripts on a client (EVALSHA with automatic script loading; also in pipelines). */
export function defineFeedScripts(redis: Redis): void {
  const commands = redis as unknown as Record<string, unknown>;
  for (const s of FEED_SCRIPTS) {
    if (typeof commands[s.name] === 'function') continue;
    // numberOfKeys -1: the caller passes the key count first (scripts with a variable number of keys).
    redis.defineCommand(s.name, s.numberOfKeys >= 0 ? { numberOfKeys: s.numberOfKeys, lua: s.lua } : { lua: s.lua });
  }
}

function call(target: Redis | ChainableCommander, s: FeedScript): ScriptCall {
  const fn = (target as unknown as Record<string, ScriptCall | undefined>)[s.name];
  if (fn === undefined) throw new QuintetError('FEED_SCRIPTS_MISSING', `script ${s.name} is not defined on this client`);
  return fn.bind(target);
}

/** Runs a pipeline and throws on the first failed command (a failed batch is retried whole: writes are idempotent). */
async function execOrThrow(pipeline: ChainableCommander, what: string): Promise<unknown[]> {
  let results: [Error | null, unknown][] | null;
  try {
    results = await pipeline.exec();
  } catch (error) {
    throw new QuintetError('FEED_STORE_UNAVAILABLE', `${what}: Redis pipeline failed`, { cause: error });
  }
  if (results === null) throw new QuintetError('FEED_STORE_UNAVAILABLE', `${what}: Redis pipeline was discarded`);
  return results.map(([error, value]) => {
    if (error !== null) throw new QuintetError('FEED_STORE_UNAVAILABLE', `${what}: ${error.message}`, { cause: error });
    return value;
  });
}

function positions(flat: unknown): FeedPosition[] {
  const values = flat as string[];
  const out: FeedPosition[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) out.push({ member: values[i] as string, score: Number(values[i + 1]) });
  return out;
}

export interface RedisFeedStoreOptions {
  /** Key prefix (default `quintet`); tests use a random one. */
  readonly keyPrefix?: string;
  /** RedisInboxStore only: inbox writes per script call. */
  readonly chunkWrites?: number;
}

export class RedisFollowGraphStore implements FollowGraphStore {
  readonly keys: FeedKeys;

  constructor(
    readonly redis: Redis,
    readonly celebrityThreshold: number = Number.POSITIVE_INFINITY,
    options: RedisFeedStoreOptions = {},
  ) {
    this.keys = new FeedKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  }

  async follow(follower: string, followee: string, atMs: number): Promise<number> {
    const pipeline = this.redis.pipeline();
    // NX: re-following keeps the original follow time, so redelivery changes nothing.
    pipeline.zadd(this.keys.followers(followee), 'NX', atMs, follower);
    pipeline.zadd(this.keys.followees(follower), 'NX', atMs, followee);
    pipeline.zcard(this.keys.followers(followee));
    const [, , count] = await execOrThrow(pipeline, 'follow');
    await this.#classify(followee, count as number);
    return count as number;
  }

  async unfollow(follower: string, followee: string): Promise<number> {
    const pipeline = this.redis.pipeline();
    pipeline.zrem(this.keys.followers(followee), follower);
    pipeline.zrem(this.keys.followees(follower), followee);
    pipeline.zcard(this.keys.followers(followee));
    const [, , count] = await execOrThrow(pipeline, 'unfollow');
    return count as number;
  }

  async followers(user: string, options: { offset?: number; limit?: number } = {}): Promise<string[]> {
    const offset = options.offset ?? 0;
    return this.redis.zrange(this.keys.followers(user), offset, options.limit === undefined ? -1 : offset + options.limit - 1);
  }

  async followees(user: string, options: { offset?: number; limit?: number } = {}): Promise<string[]> {
    const offset = options.offset ?? 0;
    return this.redis.zrange(this.keys.followees(user), offset, options.limit === undefined ? -1 : offset + options.limit - 1);
  }

  async followerCount(user: string): Promise<number> {
    return this.redis.zcard(this.keys.followers(user));
  }

  async followeeCount(user: string): Promise<number> {
    return this.redis.zcard(this.keys.followees(user));
  }

  async celebritiesAmong(users: readonly string[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const flags = await this.redis.smismember(this.keys.celebrities(), ...users);
    return new Set(users.filter((_, i) => flags[i] === 1));
  }

  async removeUser(user: string): Promise<void> {
    const [followees, followers] = await Promise.all([this.followees(user), this.followers(user)]);
    const pipeline = this.redis.pipeline();
    for (const followee of followees) pipeline.zrem(this.keys.followers(followee), user);
    for (const follower of followers) pipeline.zrem(this.keys.followees(follower), user);
    pipeline.del(this.keys.followers(user), this.keys.followees(user));
    pipeline.srem(this.keys.celebrities(), user);
    await execOrThrow(pipeline, 'remove user from follow graph');
  }

  async markCelebrity(user: string): Promise<void> {
    await this.redis.sadd(this.keys.celebrities(), user);
  }

  /** Celebrity status is sticky: set when the count passes the threshold, cleared only by removeUser. */
  async #classify(user: string, followerCount: number): Promise<void> {
    if (followerCount > this.celebrityThreshold) await this.redis.sadd(this.keys.celebrities(), user);
  }
}

export class RedisInboxStore implements InboxStore {
  readonly keys: FeedKeys;
  /** Inbox writes per script call (default 4,000): bounds how long one call holds Redis (a few ms). */
  readonly chunkWrites: number;

  constructor(
    readonly redis: Redis,
    readonly cap: number = DEFAULT_FEED_CAP,
    options: RedisFeedStoreOptions = {},
  ) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError('feed cap must be a positive integer');
    this.keys = new FeedKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.chunkWrites = options.chunkWrites ?? 4_000;
    defineFeedScripts(redis);
  }

  /**
   * One pipeline for the whole batch, carrying one script call per chunk of about `chunkWrites` inbox
   * writes (feedWriteBatch: bodies, activity feeds, inbox ZADDs and trims all inside Redis). Chunks bound
   * how long one script holds Redis. A redelivered batch re-adds the same members with the same scores:
   * no duplicates.
   */
  async writeBatch(writes: readonly InboxWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const pipeline = this.redis.pipeline();
    const write = call(pipeline, feedWriteBatch);
    let chunk: InboxWrite[] = [];
    let chunkWrites = 0;
    const flush = (): void => {
      if (chunk.length > 0) void write(...this.#chunkArguments(chunk));
      chunk = [];
      chunkWrites = 0;
    };
    for (const w of writes) {
      chunk.push(w);
      chunkWrites += w.inboxes.length + 1;
      if (chunkWrites >= this.chunkWrites) flush();
    }
    flush();
    await execOrThrow(pipeline, 'feed write batch');
  }

  #chunkArguments(chunk: readonly InboxWrite[]): (string | number)[] {
    const keys: string[] = [];
    const itemArgs: (string | number)[] = [];
    const perInbox = new Map<string, (string | number)[]>();
    for (const { item, inboxes } of chunk) {
      const member = feedMember(item.actor, item.id);
      keys.push(this.keys.activity(item.actor), this.keys.items(item.actor));
      itemArgs.push(item.timestamp, member, item.id, JSON.stringify(item));
      for (const owner of inboxes) {
        let pairs = perInbox.get(owner);
        if (pairs === undefined) {
          pairs = [];
          perInbox.set(owner, pairs);
        }
        pairs.push(item.timestamp, member);
      }
    }
    const inboxArgs: (string | number)[] = [];
    for (const [owner, pairs] of perInbox) {
      keys.push(this.keys.inbox(owner));
      inboxArgs.push(pairs.length / 2, ...pairs);
    }
    return [keys.length, ...keys, this.cap, chunk.length, ...itemArgs, ...inboxArgs];
  }

  async range(kind: FeedKind, owner: string, limit: number, after?: FeedPosition): Promise<FeedPosition[]> {
    const key = kind === 'inbox' ? this.keys.inbox(owner) : this.keys.activity(owner);
    return positions(await call(this.redis, feedRange)(key, limit, after === undefined ? '' : after.score, after?.member ?? ''));
  }

  async items(members: readonly string[]): Promise<(FeedItem | undefined)[]> {
    if (members.length === 0) return [];
    const pipeline = this.redis.pipeline();
    const parsed = members.map(parseFeedMember);
    for (const ref of parsed) {
      if (ref !== undefined) pipeline.hget(this.keys.items(ref.author), ref.eventId);
    }
    const bodies = await execOrThrow(pipeline, 'read feed items');
    let next = 0;
    return parsed.map((ref) => {
      if (ref === undefined) return undefined;
      const body = bodies[next++] as string | null;
      return body === null ? undefined : (JSON.parse(body) as FeedItem);
    });
  }

  async size(kind: FeedKind, owner: string): Promise<number> {
    return this.redis.zcard(kind === 'inbox' ? this.keys.inbox(owner) : this.keys.activity(owner));
  }

  async removeAuthorFromInbox(owner: string, author: string): Promise<number> {
    feedMember(author, 'x');
    return (await call(this.redis, inboxRemoveAuthor)(this.keys.inbox(owner), author)) as number;
  }

  async eraseSubject(subject: string, followers: readonly string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    // Bodies first: from here on the subject's items are unreadable in every inbox, even in inboxes of
    // former followers that still hold a dangling member (readers skip members without a body).
    pipeline.del(this.keys.items(subject), this.keys.activity(subject), this.keys.inbox(subject));
    const remove = call(pipeline, inboxRemoveAuthor);
    for (const follower of followers) void remove(this.keys.inbox(follower), subject);
    await execOrThrow(pipeline, 'erase feed subject');
  }
}

export class RedisErasureTombstones implements ErasureTombstones {
  readonly keys: FeedKeys;

  constructor(
    readonly redis: Redis,
    options: RedisFeedStoreOptions = {},
  ) {
    this.keys = new FeedKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  }

  async add(pseudonyms: readonly string[], atMs: number): Promise<void> {
    if (pseudonyms.length === 0) return;
    await this.redis.zadd(this.keys.erased(), 'GT', ...pseudonyms.flatMap((p) => [atMs, p]));
  }

  async erasedAmong(pseudonyms: readonly string[]): Promise<Set<string>> {
    if (pseudonyms.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.keys.erased(), ...pseudonyms);
    return new Set(pseudonyms.filter((_, i) => scores[i] !== null));
  }

  async expire(beforeMs: number): Promise<number> {
    return this.redis.zremrangebyscore(this.keys.erased(), '-inf', `(${beforeMs}`);
  }
}

export class RedisNotificationStore implements NotificationStore {
  readonly keys: FeedKeys;

  constructor(
    readonly redis: Redis,
    readonly cap: number = DEFAULT_NOTIFICATION_CAP,
    options: RedisFeedStoreOptions = {},
  ) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError('notification cap must be a positive integer');
    this.keys = new FeedKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    defineFeedScripts(redis);
  }

  #feedKeys(owner: string): [string, string, string, string] {
    const k = this.keys;
    return [k.notificationIndex(owner), k.notificationItems(owner), k.notificationSeen(owner), k.notificationRead(owner)];
  }

  async upsertBatch(upserts: readonly NotificationUpsert[]): Promise<void> {
    if (upserts.length === 0) return;
    const pipeline = this.redis.pipeline();
    const upsert = call(pipeline, notificationUpsert);
    for (const { owner, item, counted = [], uncounted = [] } of upserts) {
      void upsert(...this.#feedKeys(owner), item.id, item.count, item.updatedAt, JSON.stringify(item), this.cap);
      const ref = `${owner}/${item.id}`;
      for (const actor of counted) pipeline.sadd(this.keys.notificationsByActor(actor), ref);
      for (const actor of uncounted) pipeline.srem(this.keys.notificationsByActor(actor), ref);
    }
    await execOrThrow(pipeline, 'notification upsert batch');
  }

  async list(owner: string, limit: number, after?: FeedPosition): Promise<NotificationView[]> {
    const [index, items, seen, read] = this.#feedKeys(owner);
    const page = positions(await call(this.redis, feedRange)(index, limit, after === undefined ? '' : after.score, after?.member ?? ''));
    if (page.length === 0) return [];
    const ids = page.map((p) => p.member);
    const pipeline = this.redis.pipeline();
    pipeline.hmget(items, ...ids);
    pipeline.hmget(seen, ...ids);
    pipeline.hmget(read, ...ids);
    pipeline.hmget(this.keys.notificationWatermarks(owner), 'seen', 'read');
    const [bodies, seenMarks, readMarks, watermarks] = (await execOrThrow(pipeline, 'list notifications')) as (string | null)[][];
    const seenWatermark = numberOr(watermarks?.[0]);
    const readWatermark = numberOr(watermarks?.[1]);
    const views: NotificationView[] = [];
    page.forEach((position, i) => {
      const body = bodies?.[i];
      if (body === null || body === undefined) return;
      const item = JSON.parse(body) as NotificationItem;
      const at = item.updatedAt;
      const read = at <= readWatermark || numberOr(readMarks?.[i]) >= at;
      const isSeen = read || at <= seenWatermark || numberOr(seenMarks?.[i]) >= at;
      views.push({ ...item, seen: isSeen, read });
    });
    return views;
  }

  async counts(owner: string): Promise<NotificationCounts> {
    const [index, , seen, read] = this.#feedKeys(owner);
    const [total, unseen, unread] = (await call(this.redis, notificationCounts)(index, this.keys.notificationWatermarks(owner), seen, read)) as number[];
    return { total: total ?? 0, unseen: unseen ?? 0, unread: unread ?? 0 };
  }

  async markSeen(owner: string, target: MarkTarget): Promise<void> {
    await this.#mark(owner, target, ['seen']);
  }

  async markRead(owner: string, target: MarkTarget): Promise<void> {
    await this.#mark(owner, target, ['seen', 'read']);
  }

  async eraseSubject(subject: string): Promise<void> {
    const byActor = this.keys.notificationsByActor(subject);
    const refs = await this.redis.smembers(byActor);
    for (const ref of refs) {
      const slash = ref.indexOf('/');
      if (slash <= 0) continue;
      await this.#rewriteWithout(ref.slice(0, slash), ref.slice(slash + 1), subject);
    }
    const [index, items, seen, read] = this.#feedKeys(subject);
    await this.redis.del(byActor, index, items, seen, read, this.keys.notificationWatermarks(subject));
  }

  /** Compare-and-set loop: an aggregator update racing the rewrite makes us re-read and retry. */
  async #rewriteWithout(owner: string, id: string, subject: string): Promise<void> {
    const keys = this.#feedKeys(owner);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const body = await this.redis.hget(keys[1], id);
      if (body === null) return;
      const item = JSON.parse(body) as NotificationItem;
      const count = item.count - 1;
      const next = count <= 0 ? '' : JSON.stringify({ ...item, actors: item.actors.filter((a) => a !== subject), count });
      if ((await call(this.redis, notificationReplace)(...keys, id, body, next)) === 1) return;
    }
    throw new QuintetError('FEED_ERASURE_CONTENDED', 'a notification kept changing during erasure; retry the erasure');
  }

  async #mark(owner: string, target: MarkTarget, fields: readonly ('seen' | 'read')[]): Promise<void> {
    const pipeline = this.redis.multi();
    const mark = call(pipeline, notificationMark);
    for (const field of fields) {
      const marks = field === 'seen' ? this.keys.notificationSeen(owner) : this.keys.notificationRead(owner);
      const args = 'itemId' in target ? ['item', field, target.itemId] : ['upto', field, target.upTo];
      void mark(this.keys.notificationIndex(owner), this.keys.notificationWatermarks(owner), marks, ...args);
    }
    await execOrThrow(pipeline, 'mark notifications');
  }
}

function numberOr(value: string | null | undefined): number {
  return value === null || value === undefined ? Number.NEGATIVE_INFINITY : Number(value);
}
