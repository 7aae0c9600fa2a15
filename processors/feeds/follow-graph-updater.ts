/**
 * FollowGraphUpdater: turns `social.user.followed` / `social.user.unfollowed` (names configurable) into
 * follow-graph changes. Pure. The actor is the follower (`actor.pseudonym`); the followee is read from
 * `entity.id` (a user entity's id is its pseudonym after ingestion; path configurable).
 *
 * An unfollow stops future fan-out as soon as the edge is gone; with `removeItemsOnUnfollow` it also asks
 * for the followee's items to be taken out of the follower's inbox.
 */
import { deadLetter, drop, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import { EventNamePatternSet } from '../../schemas/taxonomy.js';
import { actorPseudonym, DEFAULT_FOLLOWEE_PATH, eventTimeMs, pseudonymAt } from './social-events.js';

export interface FollowGraphOptions {
  readonly followedEvents?: readonly string[];
  readonly unfollowedEvents?: readonly string[];
  readonly followeePath?: string;
  readonly removeItemsOnUnfollow?: boolean;
}

export type FollowChange =
  | { readonly op: 'follow'; readonly follower: string; readonly followee: string; readonly atMs: number }
  | { readonly op: 'unfollow'; readonly follower: string; readonly followee: string; readonly atMs: number; readonly removeItems: boolean };

const STAGE = 'follow-graph';

export class FollowGraphUpdater {
  readonly #followed: EventNamePatternSet;
  readonly #unfollowed: EventNamePatternSet;
  readonly #followeePath: string;
  readonly #removeItems: boolean;

  constructor(options: FollowGraphOptions = {}) {
    this.#followed = new EventNamePatternSet(options.followedEvents ?? ['social.user.followed']);
    this.#unfollowed = new EventNamePatternSet(options.unfollowedEvents ?? ['social.user.unfollowed']);
    this.#followeePath = options.followeePath ?? DEFAULT_FOLLOWEE_PATH;
    this.#removeItems = options.removeItemsOnUnfollow ?? false;
  }

  wants(event: CanonicalEvent): boolean {
    return this.#followed.matches(event.action.name) || this.#unfollowed.matches(event.action.name);
  }

  change(event: CanonicalEvent): StepResult<FollowChange> {
    const isFollow = this.#followed.matches(event.action.name);
    if (!isFollow && !this.#unfollowed.matches(event.action.name)) return drop('not-a-follow-event');
    const follower = actorPseudonym(event);
    if (follower === undefined) {
      return deadLetter(STAGE, 'FOLLOW_ACTOR_MISSING', 'follow event without a well-formed actor.pseudonym', 'actor.pseudonym');
    }
    const followee = pseudonymAt(event, this.#followeePath);
    if (followee === undefined) {
      return deadLetter(STAGE, 'FOLLOW_FOLLOWEE_MISSING', 'follow event without a well-formed followee pseudonym', this.#followeePath);
    }
    if (followee === follower) return drop('self-follow');
    const atMs = eventTimeMs(event);
    if (atMs === undefined) return deadLetter(STAGE, 'FOLLOW_TIMESTAMP_INVALID', 'event_timestamp does not parse', 'event_timestamp');
    return ok(isFollow ? { op: 'follow', follower, followee, atMs } : { op: 'unfollow', follower, followee, atMs, removeItems: this.#removeItems });
  }
}
