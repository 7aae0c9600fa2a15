/**
 * The shapes the feed read models store and return. Users read them from Redis directly (docs/feeds.md),
 * so field names are part of the contract: add fields, never rename them.
 */
import type { JsonObject } from '../../schemas/canonical-event.js';

/** One activity in a home feed or a "my activity" feed. Stored once per author, referenced by every inbox. */
export interface FeedItem {
  /** Canonical event id (also the idempotence key: one event, one item). */
  readonly id: string;
  /** Pseudonym of the author (canonical `actor.pseudonym`). */
  readonly actor: string;
  /** Canonical `action.name`, e.g. `social.post.created`. */
  readonly action: string;
  /** Event time, epoch milliseconds (canonical `event_timestamp`). */
  readonly timestamp: number;
  /** The entity acted upon (canonical `entity.type` / `entity.id`), when present. */
  readonly entity?: { readonly type?: string; readonly id?: string };
  /** The allow-listed keys of canonical `entity.details` (e.g. `title`), when configured and present. */
  readonly details?: JsonObject;
}

/** A position in a feed: items are ordered by (score desc, member desc); a cursor points just past one. */
export interface FeedPosition {
  /** Event time (inboxes) or update time (notifications), epoch ms. */
  readonly score: number;
  /** Sorted-set member: `<author>/<eventId>` for feeds, the notification id for notifications. */
  readonly member: string;
}

/** A feed item together with where it sits, as returned by readers. */
export interface FeedEntry {
  readonly position: FeedPosition;
  readonly item: FeedItem;
}

/** Aggregated notification, e.g. "B and 3 others liked your post A", updated in place. */
export interface NotificationItem {
  /** Stable id of the aggregate: `<kind>:<entity type>:<entity id>:<window start ms>`. */
  readonly id: string;
  /** What happened, e.g. `like`. */
  readonly kind: string;
  /** Canonical action name of the latest contributing event, e.g. `social.post.liked`. */
  readonly action: string;
  /** The entity the notification is about (the owner's post). */
  readonly target: { readonly type: string; readonly id: string };
  /** Event-time window [start, end) the aggregate covers, epoch ms. */
  readonly window: { readonly start: number; readonly end: number };
  /** Most recent actors first, at most `maxRecentActors` (3 by default). */
  readonly actors: readonly string[];
  /** Number of distinct actors counted (the "and N others" is count − actors.length). */
  readonly count: number;
  /** Event time of the latest contribution, epoch ms: orders the notification feed. */
  readonly updatedAt: number;
}

/** A notification as its owner sees it: the aggregate plus the owner's own seen/read state. */
export interface NotificationView extends NotificationItem {
  readonly seen: boolean;
  readonly read: boolean;
}

export interface NotificationCounts {
  readonly total: number;
  readonly unseen: number;
  readonly unread: number;
}
