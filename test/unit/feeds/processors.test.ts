import { describe, expect, it } from 'vitest';
import { QuintetError } from '../../../core/errors.js';
import { isTransientStoreError, withStoreRetry } from '../../../processors/feeds/store-retry.js';
import { ErasureReader } from '../../../processors/feeds/erasure.js';
import { FanOutPlanner } from '../../../processors/feeds/fan-out-planner.js';
import { FollowGraphUpdater } from '../../../processors/feeds/follow-graph-updater.js';
import { LikeWindowAggregator, LikeWindows } from '../../../processors/feeds/like-window-aggregator.js';
import { BASE_MS, erased, follow, like, post, socialEvent, unfollow, unlike } from './events.js';
import { pseudonym } from './store-contract.js';

describe('FanOutPlanner', () => {
  const planner = new FanOutPlanner({ celebrityThreshold: 3, detailKeys: ['title'] });

  it('writes a matching activity to every follower but the author, with allow-listed details only', () => {
    const [author, f1, f2] = [pseudonym(), pseudonym(), pseudonym()];
    const event = post(author, BASE_MS, 'p1', { title: 'Hello', text: 'not copied' });
    const result = planner.plan(event, [f1, f2, author]);
    expect(result).toEqual({
      kind: 'ok',
      value: {
        item: { id: event.id, actor: author, action: 'social.post.created', timestamp: BASE_MS, entity: { type: 'post', id: 'p1' }, details: { title: 'Hello' } },
        inboxes: [f1, f2],
      },
    });
  });

  it('does not fan out a celebrity: the item only goes to its activity feed', () => {
    const followers = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const result = planner.plan(post(pseudonym(), BASE_MS), followers);
    expect(result.kind === 'ok' && result.value.inboxes).toEqual([]);
    expect(planner.isCelebrity(3)).toBe(false);
    expect(planner.isCelebrity(4)).toBe(true);
  });

  it('ignores non-matching events and likes, and dead-letters activities without a pseudonym', () => {
    expect(planner.plan(socialEvent('billing.invoice.created', pseudonym(), BASE_MS), [])).toEqual({ kind: 'drop', reason: 'not-a-feed-activity' });
    expect(planner.plan(like(pseudonym(), 'p', pseudonym(), BASE_MS), [])).toEqual({ kind: 'drop', reason: 'not-a-feed-activity' });
    const anonymous = post(pseudonym(), BASE_MS);
    delete anonymous.actor.pseudonym;
    expect(planner.plan(anonymous, [])).toMatchObject({ kind: 'deadLetter', code: 'FEED_ACTOR_MISSING', stage: 'fan-out' });
    const badTime = { ...post(pseudonym(), BASE_MS), event_timestamp: 'yesterday' };
    expect(planner.plan(badTime, [])).toMatchObject({ kind: 'deadLetter', code: 'FEED_TIMESTAMP_INVALID' });
  });

  it('follows configured patterns', () => {
    const custom = new FanOutPlanner({ patterns: ['media.photo.*', 'social.post.created'] });
    expect(custom.wants(socialEvent('media.photo.uploaded', pseudonym(), BASE_MS))).toBe(true);
    expect(custom.wants(socialEvent('social.post.edited', pseudonym(), BASE_MS))).toBe(false);
  });
});

describe('FollowGraphUpdater', () => {
  it('reads follow and unfollow edges from actor and user entity', () => {
    const [a, b] = [pseudonym(), pseudonym()];
    expect(new FollowGraphUpdater().change(follow(a, b, BASE_MS))).toEqual({ kind: 'ok', value: { op: 'follow', follower: a, followee: b, atMs: BASE_MS } });
    expect(new FollowGraphUpdater({ removeItemsOnUnfollow: true }).change(unfollow(a, b, BASE_MS))).toEqual({
      kind: 'ok',
      value: { op: 'unfollow', follower: a, followee: b, atMs: BASE_MS, removeItems: true },
    });
  });

  it('drops self-follows and other events, dead-letters a follow without a followee', () => {
    const a = pseudonym();
    const updater = new FollowGraphUpdater();
    expect(updater.change(follow(a, a, BASE_MS))).toEqual({ kind: 'drop', reason: 'self-follow' });
    expect(updater.change(post(a, BASE_MS))).toEqual({ kind: 'drop', reason: 'not-a-follow-event' });
    expect(updater.change(socialEvent('social.user.followed', a, BASE_MS))).toMatchObject({ kind: 'deadLetter', code: 'FOLLOW_FOLLOWEE_MISSING' });
    // A raw (not pseudonymized) id with characters no pseudonym has is refused, not used as a key.
    expect(updater.change(follow(a, 'jane@example.com/x', BASE_MS))).toMatchObject({ kind: 'deadLetter', code: 'FOLLOW_FOLLOWEE_MISSING' });
  });

  it('uses configured event names', () => {
    const updater = new FollowGraphUpdater({ followedEvents: ['social.user.subscribed'], unfollowedEvents: ['social.user.unsubscribed'] });
    const [a, b] = [pseudonym(), pseudonym()];
    expect(updater.change(socialEvent('social.user.subscribed', a, BASE_MS, { type: 'user', id: b })).kind).toBe('ok');
    expect(updater.wants(follow(a, b, BASE_MS))).toBe(false);
  });
});

describe('ErasureReader', () => {
  it('collects the erased pseudonyms from the places the vault may put them', () => {
    const [a, b, c] = [pseudonym(), pseudonym(), pseudonym()];
    const event = erased(a, BASE_MS);
    event.entity = { ...event.entity, details: { pseudonyms: [b] } };
    event.context = { attributes: { erased_pseudonyms: [c, 'not a pseudonym!'] } };
    const result = new ErasureReader().erasedPseudonyms(event);
    expect(result.kind === 'ok' && [...result.value].sort()).toEqual([a, b, c].sort());
    expect(new ErasureReader().erasedPseudonyms(socialEvent('privacy.subject.erased', 'quintet', BASE_MS))).toMatchObject({
      kind: 'deadLetter',
      code: 'ERASURE_PSEUDONYM_MISSING',
    });
  });
});

describe('LikeWindowAggregator and LikeWindows', () => {
  const HOUR = 3_600_000;
  const windows = () => new LikeWindows(new LikeWindowAggregator({ windowMs: HOUR, graceMs: 60_000 }));

  it('aggregates likes of one target into one notification, most recent actors first, updated in place', () => {
    const w = windows();
    const [owner, a, b, c, d] = [pseudonym(), pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    const outcomes = [a, b, c, d].map((liker, i) => w.process(like(liker, 'post-A', owner, BASE_MS + i * 1000)));
    const last = outcomes[3];
    expect(last).toEqual({
      kind: 'ok',
      value: {
        owner,
        counted: [d],
        item: {
          id: `like:post:post-A:${BASE_MS}`,
          kind: 'like',
          action: 'social.post.liked',
          target: { type: 'post', id: 'post-A' },
          window: { start: BASE_MS, end: BASE_MS + HOUR },
          actors: [d, c, b],
          count: 4,
          updatedAt: BASE_MS + 3000,
        },
      },
    });
    // Every update carries the same id: the store updates one notification in place.
    expect(new Set(outcomes.map((o) => o.kind === 'ok' && o.value.item.id)).size).toBe(1);
  });

  it('counts a redelivered like once and lets an unlike take it back, even out of order', () => {
    const w = windows();
    const [owner, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    w.process(like(a, 'p', owner, BASE_MS + 10));
    w.process(like(a, 'p', owner, BASE_MS + 10));
    let outcome = w.process(like(b, 'p', owner, BASE_MS + 20));
    expect(outcome.kind === 'ok' && outcome.value.item.count).toBe(2);
    outcome = w.process(unlike(a, 'p', owner, BASE_MS + 30));
    expect(outcome.kind === 'ok' && outcome.value).toMatchObject({ uncounted: [a], item: { count: 1, actors: [b] } });
    // A like older than the unlike already seen does not resurrect it.
    outcome = w.process(like(a, 'p', owner, BASE_MS + 25));
    expect(outcome.kind === 'ok' && outcome.value.item.count).toBe(1);
    outcome = w.process(unlike(b, 'p', owner, BASE_MS + 40));
    expect(outcome.kind === 'ok' && outcome.value.item.count).toBe(0);
  });

  it('starts a new notification in the next window; an unlike reaches the open window holding the like', () => {
    const w = windows();
    const [owner, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    w.process(like(a, 'p', owner, BASE_MS + HOUR - 10));
    const next = w.process(like(b, 'p', owner, BASE_MS + HOUR + 10));
    expect(next.kind === 'ok' && next.value.item).toMatchObject({ id: `like:post:p:${BASE_MS + HOUR}`, count: 1 });
    const undo = w.process(unlike(a, 'p', owner, BASE_MS + HOUR + 20));
    expect(undo.kind === 'ok' && undo.value.item).toMatchObject({ id: `like:post:p:${BASE_MS}`, count: 0 });
  });

  it('accepts likes within grace and drops (and counts) later ones', () => {
    const w = windows();
    const [owner, a, b, c] = [pseudonym(), pseudonym(), pseudonym(), pseudonym()];
    w.process(like(a, 'p', owner, BASE_MS + 5));
    // Stream time moves past the window end, but within grace.
    w.process(like(a, 'q', owner, BASE_MS + HOUR + 30_000));
    const inGrace = w.process(like(b, 'p', owner, BASE_MS + 6));
    expect(inGrace.kind === 'ok' && inGrace.value.item.count).toBe(2);
    // Stream time reaches end + grace: the first window is closed.
    w.process(like(a, 'q', owner, BASE_MS + HOUR + 60_000));
    expect(w.process(like(c, 'p', owner, BASE_MS + 7))).toEqual({ kind: 'drop', reason: 'late' });
    expect(w.lateDropped).toBe(1);
    expect(w.openWindows).toBe(1);
  });

  it('leaves erased or excluded actors out, and drops own likes', () => {
    const w = windows();
    const [owner, a, b] = [pseudonym(), pseudonym(), pseudonym()];
    w.process(like(a, 'p', owner, BASE_MS + 1));
    const excluded = w.process(like(b, 'p', owner, BASE_MS + 2), new Set([a]));
    expect(excluded.kind === 'ok' && excluded.value.item).toMatchObject({ actors: [b], count: 1 });
    w.erase(new Set([b]));
    const after = w.process(like(pseudonym(), 'p', owner, BASE_MS + 3));
    expect(after.kind === 'ok' && after.value.item.count).toBe(2);
    expect(w.process(like(owner, 'p', owner, BASE_MS + 4))).toEqual({ kind: 'drop', reason: 'own-like' });
  });

  it('dead-letters likes without an owner or target', () => {
    const aggregator = new LikeWindowAggregator();
    const noOwner = socialEvent('social.post.liked', pseudonym(), BASE_MS, { type: 'post', id: 'p' });
    expect(aggregator.signal(noOwner)).toMatchObject({ kind: 'deadLetter', code: 'LIKE_OWNER_MISSING', path: 'entity.details.owner_pseudonym' });
    const noTarget = socialEvent('social.post.liked', pseudonym(), BASE_MS, { details: { owner_pseudonym: pseudonym() } });
    expect(aggregator.signal(noTarget)).toMatchObject({ kind: 'deadLetter', code: 'LIKE_TARGET_MISSING' });
  });
});

describe('withStoreRetry', () => {
  it('retries outages until the operation succeeds, and rethrows other errors at once', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await withStoreRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('connect ECONNREFUSED 127.0.0.1:6399');
        return 'done';
      },
      { initialDelayMs: 1, maxDelayMs: 2, onRetry: ({ delayMs }) => waits.push(delayMs) },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([1, 2]);
    await expect(withStoreRetry(async () => Promise.reject(new TypeError('bug')), { initialDelayMs: 1 })).rejects.toThrow('bug');
    const reply = new QuintetError('FEED_STORE_UNAVAILABLE', 'batch', { cause: new Error('WRONGTYPE Operation against a key holding the wrong kind of value') });
    expect(isTransientStoreError(reply)).toBe(false);
    expect(isTransientStoreError(new QuintetError('FEED_STORE_UNAVAILABLE', 'discarded'))).toBe(true);
  });

  it('gives up after giveUpAfterMs', async () => {
    let calls = 0;
    const failing = async (): Promise<never> => {
      calls += 1;
      throw new Error('Connection is closed.');
    };
    await expect(withStoreRetry(failing, { initialDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 30 })).rejects.toThrow('Connection is closed.');
    expect(calls).toBeGreaterThan(1);
  });
});
