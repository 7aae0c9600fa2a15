/**
 * LikeWindowAggregator (design Part 1.4): aggregates `*.liked`-style events per target entity and event-time
 * window into one notification for the target's owner — "B and 3 others liked your post A" — updated in
 * place as likes arrive, instead of one notification per like.
 *
 * The aggregate keeps, per actor, the latest like/unlike it saw (by event time), so that an unlike undoes a
 * like, a redelivered like counts once, and an unlike overtaking its like (out of order) still wins.
 * The functions here are pure; windowing with grace runs either in the streams runtime (topologies/likes.ts)
 * or in LikeWindows below (same semantics) for callers without a runtime.
 */
import { deadLetter, drop, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import { EventNamePatternSet } from '../../schemas/taxonomy.js';
import type { NotificationItem } from './model.js';
import { actorPseudonym, DEFAULT_OWNER_PATH, eventTimeMs, pseudonymAt } from './social-events.js';
import type { NotificationUpsert } from './stores.js';

export interface LikeAggregatorOptions {
  readonly likeEvents?: readonly string[];
  readonly unlikeEvents?: readonly string[];
  /** Dotted path of the owner's pseudonym in the canonical event. */
  readonly ownerPath?: string;
  /** Tumbling event-time window size (default one hour). */
  readonly windowMs?: number;
  /** How long after a window's end late likes are still accepted (default five minutes). */
  readonly graceMs?: number;
  /** Recent actors shown by name (default 3). */
  readonly maxRecentActors?: number;
  /** Notification kind written into the item (default `like`). */
  readonly kind?: string;
}

/** One like or unlike, read from a canonical event. */
export interface LikeSignal {
  readonly op: 'like' | 'unlike';
  readonly actor: string;
  readonly owner: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly timestamp: number;
}

/** The state of one (target, window): JSON-serializable, so it can live in a changelog-backed store. */
export interface LikeAggregate {
  readonly owner: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** actor → [event time of its latest like/unlike, 1 when liked / 0 when taken back]. */
  readonly actors: Readonly<Record<string, readonly [number, 0 | 1]>>;
  /** The actor of the latest signal applied (the store indexes who is counted where, for erasure). */
  readonly last?: string;
}

const STAGE = 'likes';

export class LikeWindowAggregator {
  readonly windowMs: number;
  readonly graceMs: number;
  readonly maxRecentActors: number;
  readonly kind: string;
  readonly #likes: EventNamePatternSet;
  readonly #unlikes: EventNamePatternSet;
  readonly #ownerPath: string;

  constructor(options: LikeAggregatorOptions = {}) {
    this.#likes = new EventNamePatternSet(options.likeEvents ?? ['*.liked']);
    this.#unlikes = new EventNamePatternSet(options.unlikeEvents ?? ['*.unliked']);
    this.#ownerPath = options.ownerPath ?? DEFAULT_OWNER_PATH;
    this.windowMs = options.windowMs ?? 3_600_000;
    this.graceMs = options.graceMs ?? 300_000;
    this.maxRecentActors = options.maxRecentActors ?? 3;
    this.kind = options.kind ?? 'like';
    if (!(this.windowMs > 0) || !(this.graceMs >= 0) || !(this.maxRecentActors >= 1)) {
      throw new RangeError('windowMs > 0, graceMs >= 0 and maxRecentActors >= 1 are required');
    }
  }

  wants(event: CanonicalEvent): boolean {
    return this.#likes.matches(event.action.name) || this.#unlikes.matches(event.action.name);
  }

  signal(event: CanonicalEvent): StepResult<LikeSignal> {
    const isLike = this.#likes.matches(event.action.name);
    if (!isLike && !this.#unlikes.matches(event.action.name)) return drop('not-a-like');
    const actor = actorPseudonym(event);
    if (actor === undefined) return deadLetter(STAGE, 'LIKE_ACTOR_MISSING', 'like without a well-formed actor.pseudonym', 'actor.pseudonym');
    const owner = pseudonymAt(event, this.#ownerPath);
    if (owner === undefined) return deadLetter(STAGE, 'LIKE_OWNER_MISSING', 'like without a well-formed owner pseudonym', this.#ownerPath);
    const type = event.entity?.type;
    const id = event.entity?.id;
    if (type === undefined || type === '' || id === undefined || id === '') {
      return deadLetter(STAGE, 'LIKE_TARGET_MISSING', 'like without entity.type and entity.id', 'entity');
    }
    const timestamp = eventTimeMs(event);
    if (timestamp === undefined) return deadLetter(STAGE, 'LIKE_TIMESTAMP_INVALID', 'event_timestamp does not parse', 'event_timestamp');
    if (owner === actor) return drop('own-like');
    return ok({ op: isLike ? 'like' : 'unlike', actor, owner, target: { type, id }, action: event.action.name, timestamp });
  }

  /** Grouping key of the target (the repartition key): `<entity type>:<entity id>`. */
  targetKey(signal: LikeSignal): string {
    return `${signal.target.type}:${signal.target.id}`;
  }

  windowStartOf(timestamp: number): number {
    return Math.floor(timestamp / this.windowMs) * this.windowMs;
  }

  initial(signal: LikeSignal, windowStart = this.windowStartOf(signal.timestamp)): LikeAggregate {
    return { owner: signal.owner, target: signal.target, action: signal.action, windowStart, windowEnd: windowStart + this.windowMs, actors: {} };
  }

  /** The aggregate after one signal; the latest event time per actor wins (ties: the later arrival). */
  apply(aggregate: LikeAggregate, signal: LikeSignal): LikeAggregate {
    const previous = aggregate.actors[signal.actor];
    if (previous !== undefined && previous[0] > signal.timestamp) return aggregate;
    return {
      ...aggregate,
      owner: signal.owner,
      action: signal.op === 'like' ? signal.action : aggregate.action,
      actors: { ...aggregate.actors, [signal.actor]: [signal.timestamp, signal.op === 'like' ? 1 : 0] },
      last: signal.actor,
    };
  }

  /** Drops `pseudonyms` from the aggregate entirely (erasure). */
  without(aggregate: LikeAggregate, pseudonyms: ReadonlySet<string>): LikeAggregate {
    const actors: Record<string, readonly [number, 0 | 1]> = {};
    for (const [actor, state] of Object.entries(aggregate.actors)) if (!pseudonyms.has(actor)) actors[actor] = state;
    return { ...aggregate, actors };
  }

  notificationId(aggregate: Pick<LikeAggregate, 'target' | 'windowStart'>): string {
    return `${this.kind}:${aggregate.target.type}:${aggregate.target.id}:${aggregate.windowStart}`;
  }

  /** The notification item for the owner (count 0 means: remove it). Actors in `excluded` are left out. */
  notification(aggregate: LikeAggregate, excluded: ReadonlySet<string> = new Set()): NotificationItem {
    const liked = Object.entries(aggregate.actors)
      .filter(([actor, [, on]]) => on === 1 && !excluded.has(actor))
      .sort(([a, [at]], [b, [bt]]) => bt - at || (a < b ? 1 : a > b ? -1 : 0));
    const newest = liked[0]?.[1][0];
    return {
      id: this.notificationId(aggregate),
      kind: this.kind,
      action: aggregate.action,
      target: aggregate.target,
      window: { start: aggregate.windowStart, end: aggregate.windowEnd },
      actors: liked.slice(0, this.maxRecentActors).map(([actor]) => actor),
      count: liked.length,
      updatedAt: newest ?? aggregate.windowStart,
    };
  }

  /** The store update for an aggregate after a signal of `actor` (default: the latest) was applied. */
  upsert(aggregate: LikeAggregate, actor: string | undefined = aggregate.last, excluded: ReadonlySet<string> = new Set()): NotificationUpsert {
    const item = this.notification(aggregate, excluded);
    if (actor === undefined) return { owner: aggregate.owner, item };
    const counted = aggregate.actors[actor]?.[1] === 1 && !excluded.has(actor);
    return { owner: aggregate.owner, item, ...(counted ? { counted: [actor] } : { uncounted: [actor] }) };
  }
}

export type LikeOutcome = StepResult<NotificationUpsert>;

/**
 * Event-time tumbling windows with grace over LikeWindowAggregator, for one partition's records in order:
 * stream time is the largest event time seen; a window is open until stream time passes end + grace;
 * a like for a closed window is dropped as `late` and counted. An unlike also reaches the open window of
 * the same target where the actor's like was counted, so a like and its unlike across a window boundary
 * cancel out.
 */
export class LikeWindows {
  #streamTime = Number.NEGATIVE_INFINITY;
  #late = 0;
  #size = 0;
  /** Earliest `end + grace` among open windows: nothing closes before stream time reaches it. */
  #nextClose = Number.POSITIVE_INFINITY;
  /** target key → window start → aggregate. */
  readonly #open = new Map<string, Map<number, LikeAggregate>>();

  constructor(readonly aggregator: LikeWindowAggregator) {}

  get streamTimeMs(): number {
    return this.#streamTime;
  }

  /** Likes and unlikes dropped because their window had closed. */
  get lateDropped(): number {
    return this.#late;
  }

  get openWindows(): number {
    return this.#size;
  }

  process(event: CanonicalEvent, excluded: ReadonlySet<string> = new Set()): LikeOutcome {
    const signal = this.aggregator.signal(event);
    if (signal.kind !== 'ok') return signal;
    return this.processSignal(signal.value, excluded);
  }

  processSignal(signal: LikeSignal, excluded: ReadonlySet<string> = new Set()): LikeOutcome {
    this.#streamTime = Math.max(this.#streamTime, signal.timestamp);
    if (this.#streamTime >= this.#nextClose) this.#evict();
    let start = this.aggregator.windowStartOf(signal.timestamp);
    if (this.#closed(start + this.aggregator.windowMs)) {
      this.#late += 1;
      return drop('late');
    }
    const target = this.aggregator.targetKey(signal);
    let windows = this.#open.get(target);
    if (windows === undefined) {
      windows = new Map();
      this.#open.set(target, windows);
    }
    if (signal.op === 'unlike' && windows.get(start)?.actors[signal.actor] === undefined) {
      // The like may sit in an earlier, still open window of the same target.
      for (const [otherStart, aggregate] of windows) {
        if (aggregate.actors[signal.actor]?.[1] === 1) {
          start = otherStart;
          break;
        }
      }
    }
    let current = windows.get(start);
    if (current === undefined) {
      current = this.aggregator.initial(signal, start);
      this.#size += 1;
      this.#nextClose = Math.min(this.#nextClose, current.windowEnd + this.aggregator.graceMs);
    }
    const next = this.aggregator.apply(current, signal);
    windows.set(start, next);
    return ok(this.aggregator.upsert(next, signal.actor, excluded));
  }

  /** Forgets erased actors in every open window. */
  erase(pseudonyms: ReadonlySet<string>): void {
    for (const windows of this.#open.values()) {
      for (const [start, aggregate] of windows) windows.set(start, this.aggregator.without(aggregate, pseudonyms));
    }
  }

  #closed(windowEnd: number): boolean {
    return windowEnd + this.aggregator.graceMs <= this.#streamTime;
  }

  #evict(): void {
    let nextClose = Number.POSITIVE_INFINITY;
    for (const [target, windows] of this.#open) {
      for (const [start, aggregate] of windows) {
        if (this.#closed(aggregate.windowEnd)) {
          windows.delete(start);
          this.#size -= 1;
        } else {
          nextClose = Math.min(nextClose, aggregate.windowEnd + this.aggregator.graceMs);
        }
      }
      if (windows.size === 0) this.#open.delete(target);
    }
    this.#nextClose = nextClose;
  }
}
