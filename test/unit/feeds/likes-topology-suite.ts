import { afterEach, describe, expect, it } from 'vitest';
import type { FeedStores, FeedStoreFactory } from './store-contract.js';
import { FeedReader } from '../../../connectors/redis/feed-reader.js';
import { Serdes } from '../../../streams/serdes.js';
import { TopologyTestDriver } from '../../../streams/test-driver.js';
import { buildLikesTopology, LIKES_WINDOW_STORE } from '../../../topologies/likes.js';
import type { CanonicalValue } from '../../../topologies/feeds-shared.js';
import type { FeedPosition } from '../../../processors/feeds/model.js';
import type { MarkTarget, NotificationStore, NotificationUpsert } from '../../../processors/feeds/stores.js';
import { BASE_MS, erased, like, socialEvent, unlike } from './events.js';
import { pseudonym } from './store-contract.js';

const TOPIC = 'canonical';
const HOUR = 3_600_000;
const GRACE = 60_000;

/** The likes topology on the TopologyTestDriver over in-memory (unit) or Redis (integration) stores. */
export function describeLikesTopology(storesName: string, factory: FeedStoreFactory): void {
  const made: FeedStores[] = [];
  afterEach(async () => {
    for (const stores of made.splice(0)) await stores.cleanup();
  });

  async function setup() {
    const stores = await factory({ cap: 100, notificationCap: 50, celebrityThreshold: 100 });
    made.push(stores);
    const driver = new TopologyTestDriver(buildLikesTopology({ canonicalTopic: TOPIC, stores, likes: { windowMs: HOUR, graceMs: GRACE } }), { partitions: 2 });
    const input = driver.createInputTopic<string, CanonicalValue>(TOPIC, Serdes.String(), Serdes.Json<CanonicalValue>());
    const pipe = (...events: CanonicalValue[]) => input.pipeRecordListAsync(events.map((value, i) => ({ key: `k${i % 3}`, value })));
    const reader = new FeedReader(stores);
    return { stores, driver, pipe, reader };
  }

describe(`likes topology on the TopologyTestDriver (${storesName} stores)`, () => {
  it('writes the notification updates of a consumed batch in one store call, in order', async () => {
    const stores = await factory({ cap: 100, notificationCap: 50, celebrityThreshold: 100 });
    made.push(stores);
    const notifications = new CountingNotificationStore(stores.notifications);
    // One partition: the batch of likes reaches the aggregation and the sink as one consumed batch.
    const driver = new TopologyTestDriver(buildLikesTopology({ canonicalTopic: TOPIC, stores: { notifications, tombstones: stores.tombstones } }));
    const input = driver.createInputTopic<string, CanonicalValue>(TOPIC, Serdes.String(), Serdes.Json<CanonicalValue>());
    const [owner, a, b, c] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const events = [like(a, 'p', owner, BASE_MS + 10), like(b, 'p', owner, BASE_MS + 20), like(c, 'q', owner, BASE_MS + 30), unlike(b, 'p', owner, BASE_MS + 40), unlike(c, 'q', owner, BASE_MS + 50)];
    await input.pipeRecordListAsync(events.map((value) => ({ key: 'k', value })));
    expect(notifications.upsertCalls).toEqual([events.length]);
    // Applied in update order: the unlikes that came after the likes in the same batch win.
    expect((await new FeedReader({ ...stores, notifications }).notifications(owner)).entries.map((n) => [n.target.id, n.actors, n.count])).toEqual([['p', [a], 1]]);
  });

  it('aggregates likes of a post into one notification for its owner, updated in place', async () => {
    const { pipe, reader } = await setup();
    const [owner, a, b, c, d] = [pseudonym(), pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    await pipe(like(a, 'post-A', owner, BASE_MS + 1000), like(b, 'post-A', owner, BASE_MS + 2000));
    await pipe(like(c, 'post-A', owner, BASE_MS + 3000), like(d, 'post-A', owner, BASE_MS + 4000), like(a, 'post-B', owner, BASE_MS + 5000));
    const page = await reader.notifications(owner);
    expect(page.entries.map((n) => [n.target.id, n.actors, n.count])).toEqual([
      ['post-B', [a], 1],
      ['post-A', [d, c, b], 4],
    ]);
    expect(await reader.notificationCounts(owner)).toEqual({ total: 2, unseen: 2, unread: 2 });
  });

  it('handles unlikes and redelivered likes', async () => {
    const { pipe, reader } = await setup();
    const [owner, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    const first = like(a, 'p', owner, BASE_MS + 10);
    await pipe(first, first, like(b, 'p', owner, BASE_MS + 20));
    expect((await reader.notifications(owner)).entries[0]?.count).toBe(2);
    await pipe(unlike(b, 'p', owner, BASE_MS + 30));
    expect((await reader.notifications(owner)).entries.map((n) => [n.actors, n.count])).toEqual([[[a], 1]]);
    await pipe(unlike(a, 'p', owner, BASE_MS + 40));
    expect((await reader.notifications(owner)).entries).toEqual([]);
  });

  it('opens a new notification per window, accepts likes within grace and drops later ones', async () => {
    const { pipe, reader, driver } = await setup();
    const [owner, a, b, c, other] = [pseudonym(), pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    await pipe(like(a, 'p', owner, BASE_MS + 10));
    // Stream time passes the window end but stays within grace: a late like is still counted.
    await pipe(like(other, 'q', owner, BASE_MS + HOUR + GRACE / 2), like(b, 'p', owner, BASE_MS + 20));
    let notifications = (await reader.notifications(owner)).entries;
    expect(notifications.find((n) => n.target.id === 'p')?.count).toBe(2);
    // Stream time reaches window end + grace: the window is closed, the like is dropped.
    await pipe(like(other, 'r', owner, BASE_MS + HOUR + GRACE), like(c, 'p', owner, BASE_MS + 30));
    notifications = (await reader.notifications(owner)).entries;
    expect(notifications.find((n) => n.target.id === 'p')?.count).toBe(2);
    expect(driver.metrics.get('streams_dropped_records_total', { reason: 'late' })).toBe(1);
    // The next window of the same post gets its own notification.
    await pipe(like(c, 'p', owner, BASE_MS + HOUR + GRACE + 1));
    notifications = (await reader.notifications(owner)).entries;
    expect(notifications.filter((n) => n.target.id === 'p').map((n) => [n.window.start, n.count])).toEqual([
      [BASE_MS + HOUR, 1],
      [BASE_MS, 2],
    ]);
    expect(driver.topics.some((t) => t.endsWith(`${LIKES_WINDOW_STORE}-changelog`))).toBe(true);
  });

  it('keeps seen/read as the reader state: a new like makes a read notification unread again', async () => {
    const { pipe, reader } = await setup();
    const [owner, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    await pipe(like(a, 'p', owner, BASE_MS + 10));
    const [item] = (await reader.notifications(owner)).entries;
    await reader.markRead(owner, { itemId: item?.id as string });
    expect(await reader.notificationCounts(owner)).toEqual({ total: 1, unseen: 0, unread: 0 });
    await pipe(like(b, 'p', owner, BASE_MS + 20));
    expect(await reader.notificationCounts(owner)).toEqual({ total: 1, unseen: 1, unread: 1 });
  });

  it('obeys privacy.subject.erased: the liker leaves every aggregate, the owner loses its feed', async () => {
    const { pipe, reader } = await setup();
    const [owner, subject, a, b] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    await pipe(like(a, 'p', owner, BASE_MS + 10), like(subject, 'p', owner, BASE_MS + 20), like(a, 'theirs', subject, BASE_MS + 30));
    await pipe(erased(subject, BASE_MS + 40));
    expect((await reader.notifications(owner)).entries.map((n) => [n.actors, n.count])).toEqual([[[a], 1]]);
    expect((await reader.notifications(subject)).entries).toEqual([]);
    // The subject is still in the open window's state; later updates leave it out.
    await pipe(like(b, 'p', owner, BASE_MS + 50), like(a, 'theirs', subject, BASE_MS + 60));
    expect((await reader.notifications(owner)).entries.map((n) => [n.actors, n.count])).toEqual([[[b, a], 2]]);
    expect((await reader.notifications(subject)).entries).toEqual([]);
  });

  it('dead-letters likes without an owner', async () => {
    const { pipe, driver } = await setup();
    await pipe(socialEvent('social.post.liked', pseudonym(), BASE_MS, { type: 'post', id: 'p' }));
    expect(driver.readDeadLetters().map((d) => d.reason.code)).toEqual(['LIKE_OWNER_MISSING']);
  });
});
}

/** Delegates to a notification store and records how many upserts each upsertBatch call carried. */
class CountingNotificationStore implements NotificationStore {
  readonly upsertCalls: number[] = [];
  constructor(readonly inner: NotificationStore) {}
  get cap(): number {
    return this.inner.cap;
  }
  upsertBatch(upserts: readonly NotificationUpsert[]): Promise<void> {
    this.upsertCalls.push(upserts.length);
    return this.inner.upsertBatch(upserts);
  }
  list(owner: string, limit: number, after?: FeedPosition) {
    return this.inner.list(owner, limit, after);
  }
  counts(owner: string) {
    return this.inner.counts(owner);
  }
  markSeen(owner: string, target: MarkTarget): Promise<void> {
    return this.inner.markSeen(owner, target);
  }
  markRead(owner: string, target: MarkTarget): Promise<void> {
    return this.inner.markRead(owner, target);
  }
  eraseSubject(subject: string): Promise<void> {
    return this.inner.eraseSubject(subject);
  }
}
