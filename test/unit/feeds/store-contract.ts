/**
 * The one contract suite of the feed stores, run against the in-memory stores (test/unit/feeds) and the
 * Redis stores (test/integration/feeds). Both must behave identically.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedReader } from '../../../connectors/redis/feed-reader.js';
import type { FeedItem, NotificationItem } from '../../../processors/feeds/model.js';
import type { ErasureTombstones, FollowGraphStore, InboxStore, NotificationStore } from '../../../processors/feeds/stores.js';

export interface FeedStores {
  readonly graph: FollowGraphStore;
  readonly inboxes: InboxStore;
  readonly notifications: NotificationStore;
  readonly tombstones: ErasureTombstones;
  /** Deletes whatever the stores created. */
  cleanup(): Promise<void>;
}

export interface FeedStoreOptions {
  readonly cap: number;
  readonly notificationCap: number;
  readonly celebrityThreshold: number;
}

export type FeedStoreFactory = (options: FeedStoreOptions) => Promise<FeedStores>;

/** A random pseudonym shaped like the vault's. */
export const pseudonym = (): string => `ps_${randomBytes(8).toString('hex')}`;

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);

export const item = (actor: string, id: string, timestamp: number): FeedItem => ({
  id,
  actor,
  action: 'social.post.created',
  timestamp,
  entity: { type: 'post', id: `post-${id}` },
});

export const notification = (id: string, actors: string[], count: number, updatedAt: number): NotificationItem => ({
  id,
  kind: 'like',
  action: 'social.post.liked',
  target: { type: 'post', id },
  window: { start: T0, end: T0 + 3_600_000 },
  actors,
  count,
  updatedAt,
});

export function describeFeedStoreContract(name: string, factory: FeedStoreFactory): void {
  describe(`feed stores contract: ${name}`, () => {
    let stores: FeedStores;
    const options: FeedStoreOptions = { cap: 5, notificationCap: 4, celebrityThreshold: 2 };

    beforeEach(async () => {
      stores = await factory(options);
    });
    afterEach(async () => {
      await stores.cleanup();
    });

    describe('follow graph', () => {
      it('keeps both directions, counts, and ignores a repeated follow', async () => {
        const [a, b, c] = [pseudonym(), pseudonym(), pseudonym()];
        expect(await stores.graph.follow(b, a, T0)).toBe(1);
        expect(await stores.graph.follow(b, a, T0 + 5)).toBe(1);
        expect(await stores.graph.follow(c, a, T0 + 1)).toBe(2);
        await stores.graph.follow(b, c, T0 + 2);
        expect(await stores.graph.followers(a)).toEqual([b, c]);
        expect(await stores.graph.followees(b)).toEqual([a, c]);
        expect(await stores.graph.followerCount(a)).toBe(2);
        expect(await stores.graph.followeeCount(b)).toBe(2);
        expect(await stores.graph.followers(a, { offset: 1, limit: 1 })).toEqual([c]);
        expect(await stores.graph.unfollow(b, a)).toBe(1);
        expect(await stores.graph.unfollow(b, a)).toBe(1);
        expect(await stores.graph.followers(a)).toEqual([c]);
        expect(await stores.graph.followees(b)).toEqual([c]);
      });

      it('makes users above the celebrity threshold celebrities for good, until removed', async () => {
        const [star, rising] = [pseudonym(), pseudonym()];
        const fans = [pseudonym(), pseudonym(), pseudonym()];
        for (const fan of fans.slice(0, 2)) await stores.graph.follow(fan, star, T0);
        expect(await stores.graph.celebritiesAmong([star])).toEqual(new Set());
        await stores.graph.follow(fans[2] as string, star, T0);
        expect(await stores.graph.celebritiesAmong([star, fans[0] as string])).toEqual(new Set([star]));
        // Sticky: the items posted while pulled must stay visible, so falling below does not demote.
        await stores.graph.unfollow(fans[0] as string, star);
        expect(await stores.graph.celebritiesAmong([star])).toEqual(new Set([star]));
        await stores.graph.markCelebrity(rising);
        expect(await stores.graph.celebritiesAmong([star, rising])).toEqual(new Set([star, rising]));
        await stores.graph.removeUser(star);
        expect(await stores.graph.celebritiesAmong([star])).toEqual(new Set());
      });

      it('removes every edge of a user in both directions', async () => {
        const [a, b, c] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.graph.follow(a, b, T0);
        await stores.graph.follow(c, a, T0);
        await stores.graph.removeUser(a);
        expect(await stores.graph.followers(b)).toEqual([]);
        expect(await stores.graph.followees(c)).toEqual([]);
        expect(await stores.graph.followerCount(a)).toBe(0);
        expect(await stores.graph.followeeCount(a)).toBe(0);
      });
    });

    describe('inboxes', () => {
      it('writes the item to every listed inbox and to the author activity feed, newest first', async () => {
        const [author, f1, f2] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.inboxes.writeBatch([
          { item: item(author, 'e1', T0 + 1), inboxes: [f1, f2] },
          { item: item(author, 'e2', T0 + 2), inboxes: [f1] },
        ]);
        expect((await stores.inboxes.range('inbox', f1, 10)).map((p) => p.member)).toEqual([`${author}/e2`, `${author}/e1`]);
        expect((await stores.inboxes.range('inbox', f2, 10)).map((p) => p.member)).toEqual([`${author}/e1`]);
        expect((await stores.inboxes.range('activity', author, 10)).map((p) => p.score)).toEqual([T0 + 2, T0 + 1]);
        expect(await stores.inboxes.items([`${author}/e1`, `${author}/missing`])).toEqual([item(author, 'e1', T0 + 1), undefined]);
      });

      it('is idempotent: the same batch delivered twice leaves one entry per item', async () => {
        const [author, follower] = [pseudonym(), pseudonym()];
        const batch = [1, 2, 3].map((n) => ({ item: item(author, `e${n}`, T0 + n), inboxes: [follower] }));
        await stores.inboxes.writeBatch(batch);
        await stores.inboxes.writeBatch(batch);
        await stores.inboxes.writeBatch(batch.slice(1));
        expect(await stores.inboxes.size('inbox', follower)).toBe(3);
        expect(await stores.inboxes.size('activity', author)).toBe(3);
      });

      it('caps every feed at the newest items by event time, whatever the arrival order', async () => {
        const [author, follower] = [pseudonym(), pseudonym()];
        const times = [7, 1, 8, 3, 2, 6, 4, 5];
        await stores.inboxes.writeBatch(times.slice(0, 4).map((t) => ({ item: item(author, `e${t}`, T0 + t), inboxes: [follower] })));
        await stores.inboxes.writeBatch(times.slice(4).map((t) => ({ item: item(author, `e${t}`, T0 + t), inboxes: [follower] })));
        const newest = [8, 7, 6, 5, 4].map((t) => `${author}/e${t}`);
        expect((await stores.inboxes.range('inbox', follower, 10)).map((p) => p.member)).toEqual(newest);
        expect((await stores.inboxes.range('activity', author, 10)).map((p) => p.member)).toEqual(newest);
        // Bodies of items trimmed from the author's activity feed are gone with them.
        expect(await stores.inboxes.items([`${author}/e1`, `${author}/e8`])).toEqual([undefined, item(author, 'e8', T0 + 8)]);
      });

      it('pages strictly after a (score, member) cursor, ties included', async () => {
        const [a, b, follower] = [pseudonym(), pseudonym(), pseudonym()].sort();
        await stores.inboxes.writeBatch([
          { item: item(a as string, 'x', T0), inboxes: [follower as string] },
          { item: item(b as string, 'x', T0), inboxes: [follower as string] },
          { item: item(a as string, 'y', T0), inboxes: [follower as string] },
          { item: item(a as string, 'z', T0 - 1), inboxes: [follower as string] },
        ]);
        const all = await stores.inboxes.range('inbox', follower as string, 10);
        expect(all.map((p) => p.member)).toEqual([`${b}/x`, `${a}/y`, `${a}/x`, `${a}/z`]);
        const first = await stores.inboxes.range('inbox', follower as string, 2);
        const rest = await stores.inboxes.range('inbox', follower as string, 2, first[1]);
        expect([...first, ...rest]).toEqual(all);
      });

      it('removes one author from an inbox', async () => {
        const [a, b, follower] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.inboxes.writeBatch([
          { item: item(a, 'a1', T0 + 1), inboxes: [follower] },
          { item: item(b, 'b1', T0 + 2), inboxes: [follower] },
          { item: item(a, 'a2', T0 + 3), inboxes: [follower] },
        ]);
        expect(await stores.inboxes.removeAuthorFromInbox(follower, a)).toBe(2);
        expect((await stores.inboxes.range('inbox', follower, 10)).map((p) => p.member)).toEqual([`${b}/b1`]);
      });

      it('erases a subject: its bodies, feeds, and its items in followers inboxes', async () => {
        const [subject, other, f1, f2] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
        await stores.inboxes.writeBatch([
          { item: item(subject, 's1', T0 + 1), inboxes: [f1, f2] },
          { item: item(other, 'o1', T0 + 2), inboxes: [f1, subject] },
        ]);
        await stores.inboxes.eraseSubject(subject, [f1]);
        expect((await stores.inboxes.range('inbox', f1, 10)).map((p) => p.member)).toEqual([`${other}/o1`]);
        // f2 (not passed as a follower) keeps a dangling member whose body is gone.
        expect(await stores.inboxes.items([`${subject}/s1`])).toEqual([undefined]);
        expect(await stores.inboxes.size('inbox', subject)).toBe(0);
        expect(await stores.inboxes.size('activity', subject)).toBe(0);
      });
    });

    describe('erasure tombstones', () => {
      it('remembers erased pseudonyms until they expire', async () => {
        const [a, b] = [pseudonym(), pseudonym()];
        await stores.tombstones.add([a], T0);
        await stores.tombstones.add([b], T0 + 10);
        expect(await stores.tombstones.erasedAmong([a, b, pseudonym()])).toEqual(new Set([a, b]));
        expect(await stores.tombstones.expire(T0 + 5)).toBe(1);
        expect(await stores.tombstones.erasedAmong([a, b])).toEqual(new Set([b]));
      });
    });

    describe('notifications', () => {
      it('updates an aggregate in place and removes it when its count drops to zero', async () => {
        const [owner, x, y] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.notifications.upsertBatch([{ owner, item: notification('n1', [x], 1, T0 + 1), counted: [x] }]);
        await stores.notifications.upsertBatch([{ owner, item: notification('n1', [y, x], 2, T0 + 2), counted: [y] }]);
        const listed = await stores.notifications.list(owner, 10);
        expect(listed).toEqual([{ ...notification('n1', [y, x], 2, T0 + 2), seen: false, read: false }]);
        await stores.notifications.upsertBatch([{ owner, item: notification('n1', [], 0, T0 + 2), uncounted: [x] }]);
        expect(await stores.notifications.list(owner, 10)).toEqual([]);
        expect(await stores.notifications.counts(owner)).toEqual({ total: 0, unseen: 0, unread: 0 });
      });

      it('orders by last update and keeps only the newest `cap`', async () => {
        const [owner, x] = [pseudonym(), pseudonym()];
        const upserts = [5, 1, 4, 2, 3].map((t) => ({ owner, item: notification(`n${t}`, [x], 1, T0 + t) }));
        await stores.notifications.upsertBatch(upserts);
        expect((await stores.notifications.list(owner, 10)).map((n) => n.id)).toEqual(['n5', 'n4', 'n3', 'n2']);
        const page1 = await stores.notifications.list(owner, 2);
        const page2 = await stores.notifications.list(owner, 2, { score: (page1[1] as NotificationItem).updatedAt, member: 'n4' });
        expect(page2.map((n) => n.id)).toEqual(['n3', 'n2']);
      });

      it('keeps seen and read as the reader state, with counts', async () => {
        const [owner, x, y] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.notifications.upsertBatch([1, 2, 3].map((t) => ({ owner, item: notification(`n${t}`, [x], 1, T0 + t) })));
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 3, unread: 3 });

        await stores.notifications.markSeen(owner, { upTo: T0 + 2 });
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 1, unread: 3 });

        await stores.notifications.markRead(owner, { itemId: 'n3' });
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 0, unread: 2 });
        const views = await stores.notifications.list(owner, 10);
        expect(views.map((v) => [v.id, v.seen, v.read])).toEqual([
          ['n3', true, true],
          ['n2', true, false],
          ['n1', true, false],
        ]);

        // A new like on a read notification makes it unseen and unread again.
        await stores.notifications.upsertBatch([{ owner, item: notification('n3', [y, x], 2, T0 + 4), counted: [y] }]);
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 1, unread: 3 });

        await stores.notifications.markRead(owner, { upTo: T0 + 4 });
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 0, unread: 0 });
        // A watermark never moves back.
        await stores.notifications.markSeen(owner, { upTo: T0 });
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 0, unread: 0 });
        // Marking an unknown notification changes nothing.
        await stores.notifications.markRead(owner, { itemId: 'nope' });
        expect(await stores.notifications.counts(owner)).toEqual({ total: 3, unseen: 0, unread: 0 });
      });

      it('erases a subject: aggregates counting it are rewritten without it; its own feed is deleted', async () => {
        const [owner, subject, x] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.notifications.upsertBatch([
          { owner, item: notification('both', [subject, x], 2, T0 + 2), counted: [subject, x] },
          { owner, item: notification('alone', [subject], 1, T0 + 1), counted: [subject] },
          { owner: subject, item: notification('own', [x], 1, T0 + 1), counted: [x] },
        ]);
        await stores.notifications.eraseSubject(subject);
        expect(await stores.notifications.list(owner, 10)).toEqual([{ ...notification('both', [x], 1, T0 + 2), seen: false, read: false }]);
        expect(await stores.notifications.list(subject, 10)).toEqual([]);
        expect(await stores.notifications.counts(subject)).toEqual({ total: 0, unseen: 0, unread: 0 });
      });
    });

    describe('FeedReader', () => {
      it('merges followed celebrities at read time and pages with a stable cursor', async () => {
        const [reader, friend, star] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.graph.follow(reader, friend, T0);
        await stores.graph.follow(reader, star, T0);
        for (const fan of [pseudonym(), pseudonym()]) await stores.graph.follow(fan, star, T0);
        // The star is a celebrity: its items go to its activity feed only (no fan-out).
        await stores.inboxes.writeBatch([
          { item: item(friend, 'f1', T0 + 1), inboxes: [reader] },
          { item: item(star, 's1', T0 + 2), inboxes: [] },
          { item: item(friend, 'f2', T0 + 3), inboxes: [reader] },
          { item: item(star, 's2', T0 + 4), inboxes: [] },
        ]);
        const feedReader = new FeedReader(stores);
        const page1 = await feedReader.homeFeed(reader, { limit: 3 });
        expect(page1.entries.map((e) => e.item.id)).toEqual(['s2', 'f2', 's1']);
        expect(page1.cursor).toBeDefined();
        // A newer item arriving between pages does not shift the next page.
        await stores.inboxes.writeBatch([{ item: item(friend, 'f3', T0 + 9), inboxes: [reader] }]);
        const page2 = await feedReader.homeFeed(reader, { limit: 3, cursor: page1.cursor as string });
        expect(page2.entries.map((e) => e.item.id)).toEqual(['f1']);
        expect(page2.cursor).toBeUndefined();
        expect((await feedReader.activity(star)).entries.map((e) => e.item.id)).toEqual(['s2', 's1']);
      });

      it('skips members whose item body is gone and still fills the page', async () => {
        const [reader, gone, kept] = [pseudonym(), pseudonym(), pseudonym()];
        await stores.inboxes.writeBatch([
          { item: item(kept, 'k1', T0 + 1), inboxes: [reader] },
          { item: item(gone, 'g1', T0 + 2), inboxes: [reader] },
          { item: item(gone, 'g2', T0 + 3), inboxes: [reader] },
          { item: item(kept, 'k2', T0 + 4), inboxes: [reader] },
        ]);
        await stores.inboxes.eraseSubject(gone, []);
        const page = await new FeedReader(stores).homeFeed(reader, { limit: 2 });
        expect(page.entries.map((e) => e.item.id)).toEqual(['k2', 'k1']);
      });

      it('reads notifications with counts and marks them', async () => {
        const [owner, x] = [pseudonym(), pseudonym()];
        await stores.notifications.upsertBatch([1, 2, 3].map((t) => ({ owner, item: notification(`n${t}`, [x], 1, T0 + t) })));
        const feedReader = new FeedReader(stores);
        const page1 = await feedReader.notifications(owner, { limit: 2 });
        expect(page1.entries.map((n) => n.id)).toEqual(['n3', 'n2']);
        const page2 = await feedReader.notifications(owner, { limit: 2, cursor: page1.cursor as string });
        expect(page2.entries.map((n) => n.id)).toEqual(['n1']);
        expect(page2.cursor).toBeUndefined();
        await feedReader.markSeen(owner, { upTo: T0 + 3 });
        await feedReader.markRead(owner, { itemId: 'n1' });
        expect(await feedReader.notificationCounts(owner)).toEqual({ total: 3, unseen: 0, unread: 2 });
      });
    });
  });
}
