/** Canonical social events for the feed tests, shaped as docs/social-events.md says they arrive after ingestion. */
import { randomUUID } from 'node:crypto';
import type { CanonicalEvent, JsonObject } from '../../../schemas/canonical-event.js';

export const BASE_MS = Date.UTC(2026, 10, 28, 9, 0, 0);

export function socialEvent(name: string, actor: string, atMs: number, entity?: CanonicalEvent['entity'], id: string = randomUUID()): CanonicalEvent {
  const iso = new Date(atMs).toISOString();
  return {
    id,
    event_timestamp: iso,
    observed_timestamp: iso,
    source: 'app://social',
    spec_version: '1.0',
    action: { name, type: 'social' },
    actor: { type: 'user', pseudonym: actor },
    ...(entity === undefined ? {} : { entity }),
  };
}

export const post = (author: string, atMs: number, postId: string = randomUUID(), details?: JsonObject): CanonicalEvent =>
  socialEvent('social.post.created', author, atMs, { type: 'post', id: postId, ...(details === undefined ? {} : { details }) });

export const follow = (follower: string, followee: string, atMs: number): CanonicalEvent =>
  socialEvent('social.user.followed', follower, atMs, { type: 'user', id: followee });

export const unfollow = (follower: string, followee: string, atMs: number): CanonicalEvent =>
  socialEvent('social.user.unfollowed', follower, atMs, { type: 'user', id: followee });

export const like = (liker: string, postId: string, owner: string, atMs: number, name = 'social.post.liked'): CanonicalEvent =>
  socialEvent(name, liker, atMs, { type: 'post', id: postId, details: { owner_pseudonym: owner } });

export const unlike = (liker: string, postId: string, owner: string, atMs: number): CanonicalEvent => like(liker, postId, owner, atMs, 'social.post.unliked');

export const erased = (pseudonym: string, atMs: number): CanonicalEvent =>
  socialEvent('privacy.subject.erased', 'quintet', atMs, { type: 'subject', id: pseudonym });
