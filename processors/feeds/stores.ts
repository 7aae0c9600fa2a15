/**
 * The contracts of the feed stores. Each has two implementations with identical behaviour: Redis
 * (connectors/redis/feed-*.ts, Kafka mode) and in-memory (connectors/memory/feed-*.ts, embedded mode);
 * one contract test suite (test/unit/feeds/store-contract.ts) runs against both.
 *
 * Identifiers passed in are pseudonyms or entity ids, never raw PII.
 */
import type { FeedItem, FeedPosition, NotificationCounts, NotificationItem, NotificationView } from './model.js';

/** The follow graph mirror: who follows whom, for fan-out and for readers. */
export interface FollowGraphStore {
  /** Adds the edge follower → followee (idempotent). Returns the followee's follower count afterwards. */
  follow(follower: string, followee: string, atMs: number): Promise<number>;
  /** Removes the edge (idempotent). Returns the followee's follower count afterwards. */
  unfollow(follower: string, followee: string): Promise<number>;
  /** Followers of `user`, oldest first, from `offset` (at most `limit`). */
  followers(user: string, options?: { offset?: number; limit?: number }): Promise<string[]>;
  /** Whom `user` follows, oldest first, from `offset` (at most `limit`). */
  followees(user: string, options?: { offset?: number; limit?: number }): Promise<string[]>;
  followerCount(user: string): Promise<number>;
  followeeCount(user: string): Promise<number>;
  /**
   * Of `users`, the celebrities: served by pull at read time instead of fan-out. A user becomes one when
   * their follower count passes the threshold (or markCelebrity), and stays one until erased, so that the
   * items they posted while pulled never drop out of their followers' home feeds.
   */
  celebritiesAmong(users: readonly string[]): Promise<Set<string>>;
  markCelebrity(user: string): Promise<void>;
  /** Removes every edge of `user` in both directions (erasure). */
  removeUser(user: string): Promise<void>;
}

/** One fan-out: the item goes to its author's activity feed and to each listed inbox. */
export interface InboxWrite {
  readonly item: FeedItem;
  /** Owners of the inboxes that receive the item (followers of the author); may be empty. */
  readonly inboxes: readonly string[];
}

/** Where to read: a home feed (inbox) or an author's flat "my activity" feed. */
export type FeedKind = 'inbox' | 'activity';

export interface InboxStore {
  /** Inbox and activity cap (items kept per feed, newest by event time). */
  readonly cap: number;
  /**
   * Writes a consumed batch at once. Idempotent: writing the same item again (a redelivery) never adds
   * a second entry. Every touched feed is trimmed to `cap` newest items.
   */
  writeBatch(writes: readonly InboxWrite[]): Promise<void>;
  /** Entries strictly after `after` (or from the newest), newest first, at most `limit`. */
  range(kind: FeedKind, owner: string, limit: number, after?: FeedPosition): Promise<FeedPosition[]>;
  /** Item bodies of the given members (`<author>/<eventId>`), undefined where the body is gone. */
  items(members: readonly string[]): Promise<(FeedItem | undefined)[]>;
  /** Number of entries in a feed. */
  size(kind: FeedKind, owner: string): Promise<number>;
  /** Removes every item authored by `author` from `owner`'s inbox (unfollow with removal). Returns how many. */
  removeAuthorFromInbox(owner: string, author: string): Promise<number>;
  /**
   * Erasure of `subject`: deletes its inbox, activity feed and item bodies (so its items vanish from every
   * inbox at read time) and removes its items eagerly from the inboxes of `followers`.
   */
  eraseSubject(subject: string, followers: readonly string[]): Promise<void>;
}

/** Erased pseudonyms, kept for a while so that in-flight events and open windows cannot bring them back. */
export interface ErasureTombstones {
  add(pseudonyms: readonly string[], atMs: number): Promise<void>;
  /** Of `pseudonyms`, those erased (and not yet expired). */
  erasedAmong(pseudonyms: readonly string[]): Promise<Set<string>>;
  /** Forgets tombstones older than `beforeMs` (called periodically). Returns how many. */
  expire(beforeMs: number): Promise<number>;
}

/** One aggregate change for a notification feed. */
export interface NotificationUpsert {
  readonly owner: string;
  /** The aggregate as it now stands; `count` 0 removes the notification (e.g. every like was taken back). */
  readonly item: NotificationItem;
  /** Actors newly counted in / no longer counted in this aggregate (kept for erasure). */
  readonly counted?: readonly string[];
  readonly uncounted?: readonly string[];
}

export type MarkTarget = { readonly itemId: string } | { readonly upTo: number };

export interface NotificationStore {
  /** Notifications kept per owner (oldest updates trimmed). */
  readonly cap: number;
  /** Applies aggregate updates in place (one notification per aggregate id), batched. */
  upsertBatch(upserts: readonly NotificationUpsert[]): Promise<void>;
  /** Notifications of `owner` with its seen/read state, most recently updated first. */
  list(owner: string, limit: number, after?: FeedPosition): Promise<NotificationView[]>;
  counts(owner: string): Promise<NotificationCounts>;
  /**
   * Marks as seen one notification (at its current version: a later update makes it unseen again) or every
   * notification updated at or before `upTo` (ms).
   */
  markSeen(owner: string, target: MarkTarget): Promise<void>;
  /** Marks as read (and seen) one notification or everything updated at or before `upTo`. */
  markRead(owner: string, target: MarkTarget): Promise<void>;
  /**
   * Erasure of `subject`: rewrites every aggregate that counts it without it (count − 1, removed from the
   * recent actors; deleted when nothing is left) and deletes the subject's own notifications and state.
   */
  eraseSubject(subject: string): Promise<void>;
}
