/**
 * Opaque page cursors for readers. A cursor is the (score, member) of the last entry returned; the next
 * page starts strictly after it in (score desc, member desc) order. Items inserted meanwhile above the
 * cursor (newer) therefore never shift the following pages: pages are stable under concurrent writes.
 */
import { QuintetError } from '../../core/errors.js';
import type { FeedPosition } from './model.js';

export function encodeCursor(position: FeedPosition): string {
  return Buffer.from(`${position.score}\n${position.member}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): FeedPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const newline = text.indexOf('\n');
  const score = Number(text.slice(0, newline));
  if (newline <= 0 || !Number.isFinite(score) || newline === text.length - 1) {
    throw new QuintetError('FEED_CURSOR_INVALID', 'feed cursor is malformed');
  }
  return { score, member: text.slice(newline + 1) };
}

/** Whether `a` comes strictly before `b` in feed order (newest first; ties by member, descending). */
export function comesBefore(a: FeedPosition, b: FeedPosition): boolean {
  return a.score > b.score || (a.score === b.score && a.member > b.member);
}

/** Sort comparator for feed order. */
export function feedOrder(a: FeedPosition, b: FeedPosition): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.member < b.member ? 1 : a.member > b.member ? -1 : 0;
}
