/**
 * The one module that names Redis keys. Users read some of these keys directly (feeds, notifications),
 * so the layout is a documented contract (README "Redis key layout"). Keys never contain raw PII:
 * they use pseudonyms, entity ids, or keyed hashes of identifiers.
 *
 * Every key starts with a configurable prefix (default `quintet`) so that one Redis can host several
 * deployments and tests can use a random prefix.
 */

export const DEFAULT_KEY_PREFIX = 'quintet';

// ---- PII vault (owned by the vault: processors/pseudonymization, connectors/redis/vault-store.ts) ----

/**
 * `<prefix>:vault:subject:<lookupHash>` → hash: `ps` (the subject's current pseudonym) and `dk` (its data key,
 * wrapped by the master key ring). `lookupHash` is the hex HMAC-SHA256 of the subject under
 * `secrets.lookupKey`, never the identifier itself. Deleting `dk` is the crypto-shredding step of erasure.
 */
export const vaultSubjectKey = (prefix: string, lookupHash: string): string => `${prefix}:vault:subject:${lookupHash}`;

/**
 * `<prefix>:vault:record:<pseudonym>` → hash: `lh` (lookup hash of the subject), `sid` (the subject's
 * identifier, encrypted under its data key) and `f:<fieldId>` (encrypted PII values).
 */
export const vaultRecordKey = (prefix: string, pseudonym: string): string => `${prefix}:vault:record:${pseudonym}`;

/** SCAN pattern over every subject entry (used by master-key rewrapping). */
export const vaultSubjectPattern = (prefix: string): string => `${prefix}:vault:subject:*`;

/** SCAN pattern over every key of the vault (tests, audits). */
export const vaultPattern = (prefix: string): string => `${prefix}:vault:*`;

// ---- Feeds, follow graph and notifications (owned by the feeds: processors/feeds, connectors/redis/feed-*.ts) ----

import { QuintetError } from '../../core/errors.js';

/**
 * Characters allowed in the identifiers that appear inside feed keys and members: pseudonyms issued by
 * the vault and the owner of a key. No `/` (it separates author and event id in inbox members), no braces
 * (they delimit the Redis Cluster hash tag), no whitespace, and no `@` or `+`, so that an e-mail address or
 * an international phone number can never become a key by mistake.
 */
const FEED_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Whether `value` may be used as a pseudonym/owner inside a feed key. */
export function isFeedIdentifier(value: string): boolean {
  return FEED_ID.test(value);
}

function feedId(value: string, what: string): string {
  if (!FEED_ID.test(value)) {
    // The value itself is not echoed: it may be anything a producer sent.
    throw new FeedKeyError(`${what} is not a valid feed identifier (1-200 of A-Z a-z 0-9 _ . : -)`);
  }
  return value;
}

/** Thrown when a key would be built from an identifier that is not a pseudonym-like string. */
export class FeedKeyError extends QuintetError {
  constructor(message: string) {
    super('FEED_KEY_INVALID', message);
    this.name = 'FeedKeyError';
  }
}

/**
 * Keys of the feed read models. Every per-user key carries the user's pseudonym as a Redis Cluster hash
 * tag (`{...}`), so that the keys of one user live in one slot and a Lua script may touch several of them.
 * The layout is documented in docs/feeds.md; users read these keys directly.
 */
export class FeedKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(prefix)) throw new FeedKeyError('key prefix must be 1-100 of A-Z a-z 0-9 _ . : -');
  }

  /** ZSET follower pseudonym → follow time (ms): who follows `user`. */
  followers(user: string): string {
    return `${this.prefix}:follow:{${feedId(user, 'user')}}:followers`;
  }

  /** ZSET followee pseudonym → follow time (ms): whom `user` follows. */
  followees(user: string): string {
    return `${this.prefix}:follow:{${feedId(user, 'user')}}:followees`;
  }

  /** SET of pseudonyms whose follower count is above the celebrity threshold (pulled at read time). */
  celebrities(): string {
    return `${this.prefix}:follow:celebrities`;
  }

  /** ZSET `<author>/<eventId>` → event time (ms): the home feed of `owner` (capped, newest kept). */
  inbox(owner: string): string {
    return `${this.prefix}:feed:{${feedId(owner, 'owner')}}:inbox`;
  }

  /** ZSET `<author>/<eventId>` → event time (ms): the flat "my activity" feed of `author` (capped). */
  activity(author: string): string {
    return `${this.prefix}:feed:{${feedId(author, 'author')}}:activity`;
  }

  /** HASH eventId → item JSON: bodies of the items `author` authored, kept while in their activity feed. */
  items(author: string): string {
    return `${this.prefix}:feed:{${feedId(author, 'author')}}:items`;
  }

  /** ZSET erased pseudonym → erasure time (ms): tombstones that stop in-flight events resurrecting a subject. */
  erased(): string {
    return `${this.prefix}:feed:erased`;
  }

  /** ZSET notification id → last update time (ms): the notification feed of `owner` (capped). */
  notificationIndex(owner: string): string {
    return `${this.prefix}:notif:{${feedId(owner, 'owner')}}:index`;
  }

  /** HASH notification id → item JSON (aggregated, updated in place). */
  notificationItems(owner: string): string {
    return `${this.prefix}:notif:{${feedId(owner, 'owner')}}:items`;
  }

  /** HASH `seen` / `read` → watermark (ms): everything updated at or before it is seen / read. */
  notificationWatermarks(owner: string): string {
    return `${this.prefix}:notif:{${feedId(owner, 'owner')}}:watermarks`;
  }

  /** HASH notification id → update time (ms) at which `owner` saw that item. */
  notificationSeen(owner: string): string {
    return `${this.prefix}:notif:{${feedId(owner, 'owner')}}:seen`;
  }

  /** HASH notification id → update time (ms) at which `owner` read that item. */
  notificationRead(owner: string): string {
    return `${this.prefix}:notif:{${feedId(owner, 'owner')}}:read`;
  }

  /** SET `<owner>/<notification id>`: the aggregates in which `actor` is counted (for erasure). */
  notificationsByActor(actor: string): string {
    return `${this.prefix}:notif:{${feedId(actor, 'actor')}}:counted-in`;
  }

  /** MATCH pattern of every feed/notification key of one deployment (used by tests and `feed purge`). */
  allPattern(): string {
    return `${this.prefix}:*`;
  }
}

/** Inbox/activity member: `<author pseudonym>/<event id>`; the author never contains `/`. */
export function feedMember(author: string, eventId: string): string {
  return `${feedId(author, 'author')}/${eventId}`;
}

/** Splits a member built by feedMember (the first `/` ends the author; event ids may contain `/`). */
export function parseFeedMember(member: string): { author: string; eventId: string } | undefined {
  const slash = member.indexOf('/');
  if (slash <= 0 || slash === member.length - 1) return undefined;
  return { author: member.slice(0, slash), eventId: member.slice(slash + 1) };
}

// ---- API keys and rate limits (owned by the HTTP API) ----
