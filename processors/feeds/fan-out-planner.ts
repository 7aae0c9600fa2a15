/**
 * FanOutPlanner: decides, for one canonical event, which feed item to write and into which inboxes
 * (fan-out on write, design Part 7.2). Pure: the follower list comes from the follow graph the caller holds.
 *
 * Hybrid push/pull for celebrities: an author with more followers than `celebrityThreshold` is not fanned
 * out (one post would mean millions of writes); the item goes only to the author's activity feed, and
 * FeedReader merges the activity feeds of followed celebrities into the home feed at read time.
 */
import { deadLetter, drop, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent, JsonObject } from '../../schemas/canonical-event.js';
import { EventNamePatternSet } from '../../schemas/taxonomy.js';
import type { FeedItem } from './model.js';
import { actorPseudonym, eventTimeMs } from './social-events.js';
import type { InboxWrite } from './stores.js';

export interface FanOutOptions {
  /** Event names worth a feed item, e.g. `social.post.*` (see EventNamePatternSet). */
  readonly patterns?: readonly string[];
  /** Event names excluded even when a pattern matches (default: likes and unlikes, which aggregate instead). */
  readonly excludePatterns?: readonly string[];
  /** Authors with more followers than this are pulled at read time instead of fanned out. */
  readonly celebrityThreshold?: number;
  /** Keys of `entity.details` copied into the item (the rest stays in the log). */
  readonly detailKeys?: readonly string[];
}

export const DEFAULT_FAN_OUT_PATTERNS = ['social.post.*'] as const;
export const DEFAULT_FAN_OUT_EXCLUDES = ['*.liked', '*.unliked'] as const;
export const DEFAULT_CELEBRITY_THRESHOLD = 10_000;

const STAGE = 'fan-out';

export class FanOutPlanner {
  readonly patterns: EventNamePatternSet;
  readonly excludes: EventNamePatternSet;
  readonly celebrityThreshold: number;
  readonly #detailKeys: readonly string[];

  constructor(options: FanOutOptions = {}) {
    this.patterns = new EventNamePatternSet(options.patterns ?? DEFAULT_FAN_OUT_PATTERNS);
    this.excludes = new EventNamePatternSet(options.excludePatterns ?? DEFAULT_FAN_OUT_EXCLUDES);
    this.celebrityThreshold = options.celebrityThreshold ?? DEFAULT_CELEBRITY_THRESHOLD;
    if (!Number.isSafeInteger(this.celebrityThreshold) || this.celebrityThreshold < 0) {
      throw new RangeError('celebrityThreshold must be a non-negative integer');
    }
    this.#detailKeys = options.detailKeys ?? [];
  }

  /** Whether the event is an activity worth a feed item (cheap: decide before loading followers). */
  wants(event: CanonicalEvent): boolean {
    return this.patterns.matches(event.action.name) && !this.excludes.matches(event.action.name);
  }

  /** Whether an author with this many followers is served by pull at read time. */
  isCelebrity(followerCount: number): boolean {
    return followerCount > this.celebrityThreshold;
  }

  /** The feed item of an event: `drop('not-a-feed-activity')` when no pattern matches. */
  itemFor(event: CanonicalEvent): StepResult<FeedItem> {
    if (!this.wants(event)) return drop('not-a-feed-activity');
    const actor = actorPseudonym(event);
    if (actor === undefined) {
      return deadLetter(STAGE, 'FEED_ACTOR_MISSING', 'feed activity without a well-formed actor.pseudonym', 'actor.pseudonym');
    }
    const timestamp = eventTimeMs(event);
    if (timestamp === undefined) {
      return deadLetter(STAGE, 'FEED_TIMESTAMP_INVALID', 'event_timestamp does not parse', 'event_timestamp');
    }
    if (event.id === '') return deadLetter(STAGE, 'FEED_EVENT_ID_MISSING', 'feed activity without an event id', 'id');
    const entity = event.entity;
    const details = this.#pickDetails(entity?.details);
    const item: FeedItem = {
      id: event.id,
      actor,
      action: event.action.name,
      timestamp,
      ...(entity?.type !== undefined || entity?.id !== undefined
        ? { entity: { ...(entity.type === undefined ? {} : { type: entity.type }), ...(entity.id === undefined ? {} : { id: entity.id }) } }
        : {}),
      ...(details === undefined ? {} : { details }),
    };
    return ok(item);
  }

  /**
   * The writes for one event given the author's followers (`followerCount` may exceed `followers.length`
   * when the caller did not load the list of a celebrity). The author's own activity feed always gets it.
   */
  plan(event: CanonicalEvent, followers: readonly string[], followerCount = followers.length): StepResult<InboxWrite> {
    const item = this.itemFor(event);
    if (item.kind !== 'ok') return item;
    if (this.isCelebrity(followerCount)) return ok({ item: item.value, inboxes: [] });
    return ok({ item: item.value, inboxes: followers.filter((f) => f !== item.value.actor) });
  }

  #pickDetails(details: JsonObject | undefined): JsonObject | undefined {
    if (details === undefined || this.#detailKeys.length === 0) return undefined;
    const picked: JsonObject = {};
    let any = false;
    for (const key of this.#detailKeys) {
      const value = details[key];
      if (value !== undefined) {
        picked[key] = value;
        any = true;
      }
    }
    return any ? picked : undefined;
  }
}
