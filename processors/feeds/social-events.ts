/**
 * What the feeds read from a canonical social event (documented in docs/feeds.md, "Social events"):
 *
 * - `actor.pseudonym`: who acted (author, follower, liker). Never `actor.id`: it is gone after the vault.
 * - `entity.type` / `entity.id`: the post (or other entity) acted upon.
 * - `entity.id` (with `entity.type: user`): for follow/unfollow, whom the actor (un)follows — the ingest
 *   topology replaces a user entity's id by that user's pseudonym (docs/social-events.md).
 * - `entity.details.owner_pseudonym`: for likes, the owner of the liked entity (who gets the notification).
 * - `event_timestamp`: event time.
 *
 * Paths are configurable (`followeePath`, `ownerPath`) as dotted paths into the canonical event.
 */
import type { CanonicalEvent, JsonValue } from '../../schemas/canonical-event.js';
import { isFeedIdentifier } from '../../connectors/redis/keys.js';

export const DEFAULT_FOLLOWEE_PATH = 'entity.id';
export const DEFAULT_OWNER_PATH = 'entity.details.owner_pseudonym';

/** Reads a dotted path (`entity.details.owner_pseudonym`) of a canonical event. */
export function valueAt(event: CanonicalEvent, path: string): JsonValue | undefined {
  let node: unknown = event;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node as JsonValue | undefined;
}

/** A string at `path` that is a valid pseudonym, or undefined. */
export function pseudonymAt(event: CanonicalEvent, path: string): string | undefined {
  const value = valueAt(event, path);
  return typeof value === 'string' && isFeedIdentifier(value) ? value : undefined;
}

/** The acting pseudonym, if it is present and well-formed. */
export function actorPseudonym(event: CanonicalEvent): string | undefined {
  const value = event.actor?.pseudonym;
  return typeof value === 'string' && isFeedIdentifier(value) ? value : undefined;
}

/** Event time in ms, or undefined when the timestamp does not parse. */
export function eventTimeMs(event: CanonicalEvent): number | undefined {
  const ms = Date.parse(event.event_timestamp);
  return Number.isFinite(ms) ? ms : undefined;
}
