/**
 * FeedReader: the typed client applications use to read what the feed topologies wrote.
 *
 * - `homeFeed(user)`: the user's inbox merged, at read time, with the recent items of the celebrities they
 *   follow (hybrid push/pull: celebrities are not fanned out on write). Paged with an opaque cursor
 *   = (score, member) of the last entry, so pages stay stable while new items arrive.
 * - `activity(user)`: the user's own flat "my activity" feed.
 * - `notifications(user)`, `notificationCounts(user)`, `markSeen`, `markRead`.
 *
 * Works over any implementation of the store contracts: `FeedReader.redis(client)` in Kafka mode, or the
 * in-memory stores of the embedded mode.
 */
import type { Redis } from 'ioredis';
import { decodeCursor, encodeCursor, feedOrder } from '../../processors/feeds/cursor.js';
import type { FeedEntry, FeedPosition, NotificationCounts, NotificationView } from '../../processors/feeds/model.js';
import type { FeedKind, FollowGraphStore, InboxStore, MarkTarget, NotificationStore } from '../../processors/feeds/stores.js';
import { RedisFollowGraphStore, RedisInboxStore, RedisNotificationStore } from './feed-stores.js';

export interface FeedPage<T> {
  readonly entries: readonly T[];
  /** Pass back to get the next page; undefined when the feed is exhausted. */
  readonly cursor: string | undefined;
}

export interface PageOptions {
  /** Page size (default 20, at most 200). */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface FeedReaderStores {
  readonly graph: FollowGraphStore;
  readonly inboxes: InboxStore;
  readonly notifications: NotificationStore;
}

const MAX_PAGE = 200;

export class FeedReader {
  constructor(readonly stores: FeedReaderStores) {}

  /** A reader over Redis (key prefix and caps as the writing topology uses them). */
  static redis(redis: Redis, options: { keyPrefix?: string; cap?: number; notificationCap?: number } = {}): FeedReader {
    const keyOptions = options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix };
    return new FeedReader({
      graph: new RedisFollowGraphStore(redis, undefined, keyOptions),
      inboxes: new RedisInboxStore(redis, options.cap, keyOptions),
      notifications: new RedisNotificationStore(redis, options.notificationCap, keyOptions),
    });
  }

  /** The home feed of `user`: inbox plus followed celebrities' recent items, newest first. */
  async homeFeed(user: string, options: PageOptions = {}): Promise<FeedPage<FeedEntry>> {
    const followees = await this.stores.graph.followees(user);
    const celebrities = [...(await this.stores.graph.celebritiesAmong(followees))];
    return this.#page([{ kind: 'inbox', owner: user }, ...celebrities.map((c) => ({ kind: 'activity' as const, owner: c }))], options);
  }

  /** The flat "my activity" feed of `user`, newest first. */
  async activity(user: string, options: PageOptions = {}): Promise<FeedPage<FeedEntry>> {
    return this.#page([{ kind: 'activity', owner: user }], options);
  }

  async notifications(user: string, options: PageOptions = {}): Promise<FeedPage<NotificationView>> {
    const limit = pageLimit(options.limit);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const views = await this.stores.notifications.list(user, limit, after);
    const last = views[views.length - 1];
    return { entries: views, cursor: views.length < limit || last === undefined ? undefined : encodeCursor({ score: last.updatedAt, member: last.id }) };
  }

  notificationCounts(user: string): Promise<NotificationCounts> {
    return this.stores.notifications.counts(user);
  }

  markSeen(user: string, target: MarkTarget): Promise<void> {
    return this.stores.notifications.markSeen(user, target);
  }

  markRead(user: string, target: MarkTarget): Promise<void> {
    return this.stores.notifications.markRead(user, target);
  }

  /**
   * k-way merge of sorted sources after the cursor. Members whose body is gone (trimmed from the author's
   * activity feed, or erased) are skipped, and reading continues until the page is full or the sources run dry.
   */
  async #page(sources: readonly { kind: FeedKind; owner: string }[], options: PageOptions): Promise<FeedPage<FeedEntry>> {
    const limit = pageLimit(options.limit);
    let after: FeedPosition | undefined = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const entries: FeedEntry[] = [];
    for (;;) {
      const want = limit - entries.length;
      const batches = await Promise.all(sources.map((s) => this.stores.inboxes.range(s.kind, s.owner, want, after)));
      // An item can sit in two sources (fanned out before its author became a celebrity): keep one.
      const unique = new Map<string, FeedPosition>();
      for (const position of batches.flat()) unique.set(position.member, position);
      const merged = [...unique.values()].sort(feedOrder).slice(0, want);
      const bodies = await this.stores.inboxes.items(merged.map((p) => p.member));
      merged.forEach((position, i) => {
        const item = bodies[i];
        if (item !== undefined) entries.push({ position, item });
      });
      // Fewer than asked from the union of all sources: every source is exhausted.
      if (merged.length < want) return { entries, cursor: undefined };
      after = merged[merged.length - 1];
      if (entries.length >= limit) return { entries, cursor: after === undefined ? undefined : encodeCursor(after) };
    }
  }
}

function pageLimit(limit: number | undefined): number {
  const value = limit ?? 20;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError('page limit must be a positive integer');
  return Math.min(value, MAX_PAGE);
}
