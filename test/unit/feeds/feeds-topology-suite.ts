import { afterEach, describe, expect, it } from 'vitest';
import type { FeedStores, FeedStoreFactory } from './store-contract.js';
import { FeedReader } from '../../../connectors/redis/feed-reader.js';
import { Serdes } from '../../../streams/serdes.js';
import { TopologyTestDriver } from '../../../streams/test-driver.js';
import { buildFeedsTopology, FEEDS_GRAPH_STORE } from '../../../topologies/feeds.js';
import type { CanonicalValue } from '../../../topologies/feeds-shared.js';
import { BASE_MS, erased, follow, post, socialEvent, unfollow } from './events.js';
import { pseudonym } from './store-contract.js';

const TOPIC = 'canonical';

/**
 * The feeds topology on the TopologyTestDriver over the given stores: in-memory (unit) or real Redis
 * (integration). The topology is the same object either way.
 */
export function describeFeedsTopology(storesName: string, factory: FeedStoreFactory): void {
  const made: FeedStores[] = [];
  afterEach(async () => {
    for (const stores of made.splice(0)) await stores.cleanup();
  });

  async function setup(options: { celebrityThreshold?: number; plannerThreshold?: number; removeItemsOnUnfollow?: boolean; partitions?: number } = {}) {
    const threshold = options.celebrityThreshold ?? 100;
    const stores = await factory({ cap: 10, notificationCap: 50, celebrityThreshold: threshold });
    made.push(stores);
    const topology = buildFeedsTopology({
      canonicalTopic: TOPIC,
      stores,
      fanOut: { celebrityThreshold: options.plannerThreshold ?? threshold },
      followGraph: { removeItemsOnUnfollow: options.removeItemsOnUnfollow ?? false },
    });
    const driver = new TopologyTestDriver(topology, { partitions: options.partitions ?? 2 });
    const input = driver.createInputTopic<string, CanonicalValue>(TOPIC, Serdes.String(), Serdes.Json<CanonicalValue>());
    const reader = new FeedReader(stores);
    const home = async (user: string) => (await reader.homeFeed(user, { limit: 50 })).entries.map((e) => e.item.id);
    return { stores, driver, input, reader, home };
  }

describe(`feeds topology on the TopologyTestDriver (${storesName} stores)`, () => {
  it('fans a post out to the followers at the time, in event-time order, and the author activity feed', async () => {
    const { input, home, reader } = await setup();
    const [author, f1, f2, late] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const p1 = post(author, BASE_MS + 10);
    const p2 = post(author, BASE_MS + 5);
    const p3 = post(author, BASE_MS + 20);
    await input.pipeRecordListAsync(
      [follow(f1, author, BASE_MS), follow(f2, author, BASE_MS + 1), p1, p2, follow(late, author, BASE_MS + 15), p3].map((value) => ({ key: value.actor.pseudonym as string, value })),
    );
    expect(await home(f1)).toEqual([p3.id, p1.id, p2.id]);
    expect(await home(f2)).toEqual([p3.id, p1.id, p2.id]);
    // Followed after p1 and p2 in the same batch: only p3 reaches them.
    expect(await home(late)).toEqual([p3.id]);
    expect((await reader.activity(author)).entries.map((e) => e.item.id)).toEqual([p3.id, p1.id, p2.id]);
  });

  it('is idempotent when a batch is redelivered', async () => {
    const { input, stores } = await setup();
    const [author, follower] = [pseudonym(), pseudonym()];
    const records = [follow(follower, author, BASE_MS), post(author, BASE_MS + 1), post(author, BASE_MS + 2)].map((value) => ({ key: 'k', value }));
    await input.pipeRecordListAsync(records);
    await input.pipeRecordListAsync(records);
    expect(await stores.inboxes.size('inbox', follower)).toBe(2);
    expect(await stores.graph.followerCount(author)).toBe(1);
  });

  it('does not fan out celebrities; readers merge their items at read time', async () => {
    const { input, stores, home } = await setup({ celebrityThreshold: 2 });
    const [star, a, b, c] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const starPost = post(star, BASE_MS + 10);
    await input.pipeRecordListAsync([follow(a, star, BASE_MS), follow(b, star, BASE_MS), follow(c, star, BASE_MS), starPost].map((value) => ({ key: 'k', value })));
    expect(await stores.inboxes.size('inbox', a)).toBe(0);
    expect(await home(a)).toEqual([starPost.id]);
    expect(await home(c)).toEqual([starPost.id]);
  });

  it('keeps a celebrity pulled after it falls below the threshold, so its items stay visible', async () => {
    const { input, stores, home } = await setup({ celebrityThreshold: 2 });
    const [star, a, b, c] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const early = post(star, BASE_MS + 10);
    await input.pipeRecordListAsync([follow(a, star, BASE_MS), follow(b, star, BASE_MS), follow(c, star, BASE_MS), early].map((value) => ({ key: 'k', value })));
    const later = post(star, BASE_MS + 20);
    await input.pipeRecordListAsync([unfollow(c, star, BASE_MS + 11), later].map((value) => ({ key: 'k', value })));
    expect(await stores.inboxes.size('inbox', a)).toBe(0);
    expect(await home(a)).toEqual([later.id, early.id]);
  });

  it('marks an author the planner pulls as a celebrity even under the store threshold', async () => {
    const { input, home } = await setup({ celebrityThreshold: 100, plannerThreshold: 1 });
    const [author, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    const p = post(author, BASE_MS + 5);
    await input.pipeRecordListAsync([follow(a, author, BASE_MS), follow(b, author, BASE_MS), p].map((value) => ({ key: 'k', value })));
    expect(await home(a)).toEqual([p.id]);
  });

  it('stops fan-out on unfollow and optionally removes the unfollowed author items', async () => {
    const keep = await setup();
    const remove = await setup({ removeItemsOnUnfollow: true });
    for (const { input, home } of [keep, remove]) {
      const [author, follower] = [pseudonym(), pseudonym()];
      const before = post(author, BASE_MS + 1);
      await input.pipeRecordListAsync([follow(follower, author, BASE_MS), before, unfollow(follower, author, BASE_MS + 2), post(author, BASE_MS + 3)].map((value) => ({ key: 'k', value })));
      expect(await home(follower)).toEqual(input === keep.input ? [before.id] : []);
    }
  });

  it('keeps the follow graph in a changelog-backed table', async () => {
    const { input, driver } = await setup();
    const [a, b, c] = [pseudonym(), pseudonym(), pseudonym()];
    await input.pipeRecordListAsync([follow(a, b, BASE_MS), follow(c, b, BASE_MS + 1), unfollow(a, b, BASE_MS + 2)].map((value) => ({ key: 'k', value })));
    const table = driver.getKeyValueStore<string, number>(FEEDS_GRAPH_STORE);
    expect(table.all().map((e) => e.key)).toEqual([`${b}/${c}`]);
    expect(driver.topics.some((t) => t.endsWith(`${FEEDS_GRAPH_STORE}-changelog`))).toBe(true);
  });

  it('obeys privacy.subject.erased: the subject items vanish, its feeds and edges go, later events are ignored', async () => {
    const { input, stores, home, driver } = await setup();
    const [subject, friend, fan] = [pseudonym(), pseudonym(), pseudonym()];
    const subjectPost = post(subject, BASE_MS + 2);
    const friendPost = post(friend, BASE_MS + 3);
    await input.pipeRecordListAsync(
      [follow(fan, subject, BASE_MS), follow(fan, friend, BASE_MS), follow(subject, friend, BASE_MS), subjectPost, friendPost].map((value) => ({ key: 'k', value })),
    );
    expect(await home(fan)).toEqual([friendPost.id, subjectPost.id]);
    expect(await home(subject)).toEqual([friendPost.id]);

    await input.pipeInputAsync('k', erased(subject, BASE_MS + 10));
    expect(await home(fan)).toEqual([friendPost.id]);
    expect(await stores.inboxes.size('inbox', subject)).toBe(0);
    expect(await stores.inboxes.size('activity', subject)).toBe(0);
    expect(await stores.graph.followers(subject)).toEqual([]);
    expect(await stores.graph.followers(friend)).toEqual([fan]);
    expect(driver.getKeyValueStore<string, number>(FEEDS_GRAPH_STORE).all().some((e) => e.key.startsWith(`${subject}/`))).toBe(false);

    // A post of the erased pseudonym still in flight is not written anywhere.
    await input.pipeRecordListAsync([follow(fan, subject, BASE_MS + 11), post(subject, BASE_MS + 12)].map((value) => ({ key: 'k', value })));
    expect(await home(fan)).toEqual([friendPost.id]);
    expect(await stores.inboxes.size('activity', subject)).toBe(0);
  });

  it('forgets erasure tombstones after their retention, on wall-clock punctuation', async () => {
    const { input, stores, driver } = await setup();
    const subject = pseudonym();
    await input.pipeInputAsync('k', erased(subject, BASE_MS));
    expect(await stores.tombstones.erasedAmong([subject])).toEqual(new Set([subject]));
    await driver.advanceWallClockTimeAsync(BASE_MS + 8 * 86_400_000);
    expect(await stores.tombstones.erasedAmong([subject])).toEqual(new Set());
  });

  it('keeps a tombstone for its whole retention from when the erasure was processed, however old its event (a backfill)', async () => {
    const { input, stores, driver } = await setup();
    const subject = pseudonym();
    await driver.advanceWallClockTimeAsync(BASE_MS + 30 * 86_400_000);
    await input.pipeInputAsync('k', erased(subject, BASE_MS));
    await driver.advanceWallClockTimeAsync(2 * 3_600_000); // two hourly expiries
    expect(await stores.tombstones.erasedAmong([subject])).toEqual(new Set([subject]));
    await driver.advanceWallClockTimeAsync(7 * 86_400_000);
    expect(await stores.tombstones.erasedAmong([subject])).toEqual(new Set());
  });

  it('dead-letters malformed social events and ignores the rest', async () => {
    const { input, driver } = await setup();
    const noFollowee = socialEvent('social.user.followed', pseudonym(), BASE_MS);
    const noActor = post(pseudonym(), BASE_MS);
    delete noActor.actor.pseudonym;
    await input.pipeRecordListAsync([noFollowee, noActor, socialEvent('billing.invoice.paid', pseudonym(), BASE_MS)].map((value) => ({ key: 'k', value })));
    expect(driver.readDeadLetters().map((d) => d.reason.code).sort()).toEqual(['FEED_ACTOR_MISSING', 'FOLLOW_FOLLOWEE_MISSING']);
  });

  it('accepts the canonical envelope { event, chain }', async () => {
    const { input, home } = await setup();
    const [author, follower] = [pseudonym(), pseudonym()];
    const p = post(author, BASE_MS + 1);
    await input.pipeRecordListAsync([follow(follower, author, BASE_MS), p].map((event) => ({ key: 'k', value: { event } })));
    expect(await home(follower)).toEqual([p.id]);
  });
});
}
