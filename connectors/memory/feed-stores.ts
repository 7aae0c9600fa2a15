/**
 * In-memory twins of the Redis feed stores (embedded mode and the topology test driver). Same contract,
 * same ordering, trimming and idempotence; checked by the same contract suite as the Redis stores.
 */
import { feedMember, parseFeedMember } from '../redis/keys.js';
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
import { SortedFeed } from './sorted-feed.js';

export const DEFAULT_FEED_CAP = 1_000;
export const DEFAULT_NOTIFICATION_CAP = 500;

/**
 * The stores' contents as JSON-able data, so that the embedded mode can keep them in its data folder
 * (`snapshot()` then `restore()` on a fresh store gives the same answers to every read).
 */
type SortedFeedData = readonly FeedPosition[];
type OwnedFeeds = readonly (readonly [string, SortedFeedData])[];

export interface FollowGraphSnapshot {
  readonly followers: OwnedFeeds;
  readonly followees: OwnedFeeds;
  readonly celebrities: readonly string[];
}

export interface InboxSnapshot {
  /** [`<kind>\u0000<owner>`, entries] */
  readonly feeds: OwnedFeeds;
  readonly items: readonly (readonly [string, readonly FeedItem[]])[];
}

export interface NotificationSnapshot {
  readonly feeds: readonly (readonly [
    string,
    {
      readonly index: SortedFeedData;
      readonly items: readonly NotificationItem[];
      readonly seen: readonly (readonly [string, number])[];
      readonly read: readonly (readonly [string, number])[];
      /** null: no watermark yet (−∞, which JSON cannot hold). */
      readonly watermarks: { readonly seen: number | null; readonly read: number | null };
    },
  ])[];
  readonly countedIn: readonly (readonly [string, readonly string[]])[];
}

export type TombstoneSnapshot = readonly (readonly [string, number])[];

const feedsOf = (map: ReadonlyMap<string, SortedFeed>): OwnedFeeds => [...map].map(([owner, feed]) => [owner, feed.entries()] as const);

function restoreFeeds(map: Map<string, SortedFeed>, data: OwnedFeeds): void {
  map.clear();
  for (const [owner, entries] of data) map.set(owner, SortedFeed.of(entries));
}

const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);

export class MemoryFollowGraphStore implements FollowGraphStore {
  readonly #followers = new Map<string, SortedFeed>();
  readonly #followees = new Map<string, SortedFeed>();
  readonly #celebrities = new Set<string>();

  constructor(readonly celebrityThreshold: number = Number.POSITIVE_INFINITY) {}

  async follow(follower: string, followee: string, atMs: number): Promise<number> {
    feedMember(follower, 'x');
    feedMember(followee, 'x');
    addIfAbsent(this.#followers, followee, follower, atMs);
    addIfAbsent(this.#followees, follower, followee, atMs);
    return this.#recount(followee);
  }

  async unfollow(follower: string, followee: string): Promise<number> {
    this.#followers.get(followee)?.remove(follower);
    this.#followees.get(follower)?.remove(followee);
    return this.#recount(followee);
  }

  async followers(user: string, options: { offset?: number; limit?: number } = {}): Promise<string[]> {
    return slice(this.#followers.get(user), options);
  }

  async followees(user: string, options: { offset?: number; limit?: number } = {}): Promise<string[]> {
    return slice(this.#followees.get(user), options);
  }

  async followerCount(user: string): Promise<number> {
    return this.#followers.get(user)?.size ?? 0;
  }

  async followeeCount(user: string): Promise<number> {
    return this.#followees.get(user)?.size ?? 0;
  }

  async celebritiesAmong(users: readonly string[]): Promise<Set<string>> {
    return new Set(users.filter((u) => this.#celebrities.has(u)));
  }

  async markCelebrity(user: string): Promise<void> {
    feedMember(user, 'x');
    this.#celebrities.add(user);
  }

  snapshot(): FollowGraphSnapshot {
    return { followers: feedsOf(this.#followers), followees: feedsOf(this.#followees), celebrities: [...this.#celebrities] };
  }

  /** Replaces the contents with a snapshot's. */
  restore(snapshot: FollowGraphSnapshot): void {
    restoreFeeds(this.#followers, snapshot.followers);
    restoreFeeds(this.#followees, snapshot.followees);
    this.#celebrities.clear();
    for (const user of snapshot.celebrities) this.#celebrities.add(user);
  }

  async removeUser(user: string): Promise<void> {
    for (const followee of this.#followees.get(user)?.members() ?? []) this.#followers.get(followee)?.remove(user);
    for (const follower of this.#followers.get(user)?.members() ?? []) this.#followees.get(follower)?.remove(user);
    this.#followers.delete(user);
    this.#followees.delete(user);
    this.#celebrities.delete(user);
  }

  /** Celebrity status is sticky: set when the count passes the threshold, cleared only by removeUser. */
  #recount(user: string): number {
    const count = this.#followers.get(user)?.size ?? 0;
    if (count > this.celebrityThreshold) this.#celebrities.add(user);
    return count;
  }
}

function addIfAbsent(map: Map<string, SortedFeed>, owner: string, member: string, score: number): void {
  let set = map.get(owner);
  if (set === undefined) {
    set = new SortedFeed();
    map.set(owner, set);
  }
  // ZADD NX: re-following keeps the original follow time.
  if (set.score(member) === undefined) set.add(score, member);
}

/** Oldest first (ascending score), like ZRANGE offset offset+limit-1. */
function slice(set: SortedFeed | undefined, options: { offset?: number; limit?: number }): string[] {
  if (set === undefined) return [];
  const offset = options.offset ?? 0;
  return set.members().slice(offset, options.limit === undefined ? undefined : offset + options.limit);
}

export class MemoryInboxStore implements InboxStore {
  readonly #feeds = new Map<string, SortedFeed>();
  /** author → eventId → item body. */
  readonly #items = new Map<string, Map<string, FeedItem>>();

  constructor(readonly cap: number = DEFAULT_FEED_CAP) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError('feed cap must be a positive integer');
  }

  async writeBatch(writes: readonly InboxWrite[]): Promise<void> {
    for (const { item, inboxes } of writes) {
      const member = feedMember(item.actor, item.id);
      let bodies = this.#items.get(item.actor);
      if (bodies === undefined) {
        bodies = new Map();
        this.#items.set(item.actor, bodies);
      }
      bodies.set(item.id, item);
      const activity = this.#feed('activity', item.actor, true);
      activity.add(item.timestamp, member);
      // The body lives as long as the item stays in its author's activity feed.
      for (const trimmed of activity.trim(this.cap)) {
        const parsed = parseFeedMember(trimmed);
        if (parsed !== undefined) bodies.delete(parsed.eventId);
      }
      for (const owner of inboxes) {
        const inbox = this.#feed('inbox', owner, true);
        inbox.add(item.timestamp, member);
        inbox.trim(this.cap);
      }
    }
  }

  async range(kind: FeedKind, owner: string, limit: number, after?: FeedPosition): Promise<FeedPosition[]> {
    return this.#feed(kind, owner, false)?.range(limit, after) ?? [];
  }

  async items(members: readonly string[]): Promise<(FeedItem | undefined)[]> {
    return members.map((member) => {
      const parsed = parseFeedMember(member);
      return parsed === undefined ? undefined : this.#items.get(parsed.author)?.get(parsed.eventId);
    });
  }

  async size(kind: FeedKind, owner: string): Promise<number> {
    return this.#feed(kind, owner, false)?.size ?? 0;
  }

  async removeAuthorFromInbox(owner: string, author: string): Promise<number> {
    const inbox = this.#feed('inbox', owner, false);
    if (inbox === undefined) return 0;
    const prefix = `${author}/`;
    let removed = 0;
    for (const member of inbox.members()) if (member.startsWith(prefix) && inbox.remove(member)) removed += 1;
    return removed;
  }

  snapshot(): InboxSnapshot {
    return { feeds: feedsOf(this.#feeds), items: [...this.#items].map(([author, bodies]) => [author, [...bodies.values()]] as const) };
  }

  /** Replaces the contents with a snapshot's. */
  restore(snapshot: InboxSnapshot): void {
    restoreFeeds(this.#feeds, snapshot.feeds);
    this.#items.clear();
    for (const [author, items] of snapshot.items) this.#items.set(author, new Map(items.map((item) => [item.id, item])));
  }

  async eraseSubject(subject: string, followers: readonly string[]): Promise<void> {
    this.#feeds.delete(`inbox\u0000${subject}`);
    this.#feeds.delete(`activity\u0000${subject}`);
    this.#items.delete(subject);
    for (const follower of followers) await this.removeAuthorFromInbox(follower, subject);
  }

  #feed(kind: FeedKind, owner: string, create: true): SortedFeed;
  #feed(kind: FeedKind, owner: string, create: false): SortedFeed | undefined;
  #feed(kind: FeedKind, owner: string, create: boolean): SortedFeed | undefined {
    const key = `${kind}\u0000${owner}`;
    let feed = this.#feeds.get(key);
    if (feed === undefined && create) {
      feedMember(owner, 'x');
      feed = new SortedFeed();
      this.#feeds.set(key, feed);
    }
    return feed;
  }
}

export class MemoryErasureTombstones implements ErasureTombstones {
  readonly #erased = new Map<string, number>();

  async add(pseudonyms: readonly string[], atMs: number): Promise<void> {
    for (const p of pseudonyms) this.#erased.set(p, Math.max(atMs, this.#erased.get(p) ?? atMs));
  }

  async erasedAmong(pseudonyms: readonly string[]): Promise<Set<string>> {
    return new Set(pseudonyms.filter((p) => this.#erased.has(p)));
  }

  snapshot(): TombstoneSnapshot {
    return [...this.#erased];
  }

  /** Replaces the contents with a snapshot's. */
  restore(snapshot: TombstoneSnapshot): void {
    this.#erased.clear();
    for (const [pseudonym, at] of snapshot) this.#erased.set(pseudonym, at);
  }

  async expire(beforeMs: number): Promise<number> {
    let removed = 0;
    for (const [p, at] of this.#erased) {
      if (at < beforeMs) {
        this.#erased.delete(p);
        removed += 1;
      }
    }
    return removed;
  }
}

interface NotificationFeedState {
  readonly index: SortedFeed;
  readonly items: Map<string, NotificationItem>;
  readonly seen: Map<string, number>;
  readonly read: Map<string, number>;
  watermarks: { seen: number; read: number };
}

export class MemoryNotificationStore implements NotificationStore {
  readonly #feeds = new Map<string, NotificationFeedState>();
  /** actor → `<owner>/<notification id>` of the aggregates counting it. */
  readonly #countedIn = new Map<string, Set<string>>();

  constructor(readonly cap: number = DEFAULT_NOTIFICATION_CAP) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError('notification cap must be a positive integer');
  }

  async upsertBatch(upserts: readonly NotificationUpsert[]): Promise<void> {
    for (const { owner, item, counted = [], uncounted = [] } of upserts) {
      const feed = this.#feed(owner, true);
      if (item.count <= 0) {
        this.#removeItem(feed, item.id);
      } else {
        feed.items.set(item.id, item);
        feed.index.add(item.updatedAt, item.id);
        for (const trimmed of feed.index.trim(this.cap)) this.#removeItem(feed, trimmed);
      }
      const ref = `${owner}/${item.id}`;
      for (const actor of counted) {
        feedMember(actor, 'x');
        let refs = this.#countedIn.get(actor);
        if (refs === undefined) {
          refs = new Set();
          this.#countedIn.set(actor, refs);
        }
        refs.add(ref);
      }
      for (const actor of uncounted) this.#countedIn.get(actor)?.delete(ref);
    }
  }

  async list(owner: string, limit: number, after?: FeedPosition): Promise<NotificationView[]> {
    const feed = this.#feed(owner, false);
    if (feed === undefined) return [];
    return feed.index.range(limit, after).flatMap(({ member }) => {
      const item = feed.items.get(member);
      return item === undefined ? [] : [viewOf(feed, item)];
    });
  }

  async counts(owner: string): Promise<NotificationCounts> {
    const feed = this.#feed(owner, false);
    if (feed === undefined) return { total: 0, unseen: 0, unread: 0 };
    let unseen = 0;
    let unread = 0;
    for (const item of feed.items.values()) {
      const view = viewOf(feed, item);
      if (!view.seen) unseen += 1;
      if (!view.read) unread += 1;
    }
    return { total: feed.index.size, unseen, unread };
  }

  async markSeen(owner: string, target: MarkTarget): Promise<void> {
    this.#mark(owner, target, ['seen']);
  }

  async markRead(owner: string, target: MarkTarget): Promise<void> {
    this.#mark(owner, target, ['seen', 'read']);
  }

  snapshot(): NotificationSnapshot {
    return {
      feeds: [...this.#feeds].map(
        ([owner, feed]) =>
          [
            owner,
            {
              index: feed.index.entries(),
              items: [...feed.items.values()],
              seen: [...feed.seen],
              read: [...feed.read],
              watermarks: { seen: finiteOrNull(feed.watermarks.seen), read: finiteOrNull(feed.watermarks.read) },
            },
          ] as const,
      ),
      countedIn: [...this.#countedIn].map(([actor, refs]) => [actor, [...refs]] as const),
    };
  }

  /** Replaces the contents with a snapshot's. */
  restore(snapshot: NotificationSnapshot): void {
    this.#feeds.clear();
    for (const [owner, data] of snapshot.feeds) {
      this.#feeds.set(owner, {
        index: SortedFeed.of(data.index),
        items: new Map(data.items.map((item) => [item.id, item])),
        seen: new Map(data.seen),
        read: new Map(data.read),
        watermarks: { seen: data.watermarks.seen ?? Number.NEGATIVE_INFINITY, read: data.watermarks.read ?? Number.NEGATIVE_INFINITY },
      });
    }
    this.#countedIn.clear();
    for (const [actor, refs] of snapshot.countedIn) this.#countedIn.set(actor, new Set(refs));
  }

  async eraseSubject(subject: string): Promise<void> {
    for (const ref of this.#countedIn.get(subject) ?? []) {
      const slash = ref.indexOf('/');
      const feed = this.#feed(ref.slice(0, slash), false);
      const id = ref.slice(slash + 1);
      const item = feed?.items.get(id);
      if (feed === undefined || item === undefined) continue;
      const count = item.count - 1;
      if (count <= 0) this.#removeItem(feed, id);
      else feed.items.set(id, { ...item, actors: item.actors.filter((a) => a !== subject), count });
    }
    this.#countedIn.delete(subject);
    this.#feeds.delete(subject);
  }

  #mark(owner: string, target: MarkTarget, states: readonly ('seen' | 'read')[]): void {
    const feed = this.#feed(owner, true);
    for (const state of states) {
      if ('itemId' in target) {
        const score = feed.index.score(target.itemId);
        if (score !== undefined) feed[state].set(target.itemId, score);
      } else {
        feed.watermarks[state] = Math.max(feed.watermarks[state], target.upTo);
        // Per-item marks at or below the watermark say nothing more.
        for (const [id, at] of feed[state]) if (at <= feed.watermarks[state]) feed[state].delete(id);
      }
    }
  }

  #removeItem(feed: NotificationFeedState, id: string): void {
    feed.index.remove(id);
    feed.items.delete(id);
    feed.seen.delete(id);
    feed.read.delete(id);
  }

  #feed(owner: string, create: true): NotificationFeedState;
  #feed(owner: string, create: false): NotificationFeedState | undefined;
  #feed(owner: string, create: boolean): NotificationFeedState | undefined {
    let feed = this.#feeds.get(owner);
    if (feed === undefined && create) {
      feedMember(owner, 'x');
      feed = { index: new SortedFeed(), items: new Map(), seen: new Map(), read: new Map(), watermarks: { seen: Number.NEGATIVE_INFINITY, read: Number.NEGATIVE_INFINITY } };
      this.#feeds.set(owner, feed);
    }
    return feed;
  }
}

function viewOf(feed: NotificationFeedState, item: NotificationItem): NotificationView {
  const at = item.updatedAt;
  const seen = at <= feed.watermarks.seen || (feed.seen.get(item.id) ?? Number.NEGATIVE_INFINITY) >= at;
  const read = at <= feed.watermarks.read || (feed.read.get(item.id) ?? Number.NEGATIVE_INFINITY) >= at;
  return { ...item, seen: seen || read, read };
}
