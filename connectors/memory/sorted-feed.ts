/**
 * A capped sorted set with Redis ZSET ordering (score, then member; bytewise), used by the in-memory feed
 * stores so that they order, trim and page exactly like the Redis ones.
 */
import { comesBefore } from '../../processors/feeds/cursor.js';
import type { FeedPosition } from '../../processors/feeds/model.js';

export class SortedFeed {
  /** Ascending (score, member), like ZRANGE. */
  readonly #entries: FeedPosition[] = [];
  readonly #scores = new Map<string, number>();

  get size(): number {
    return this.#entries.length;
  }

  score(member: string): number | undefined {
    return this.#scores.get(member);
  }

  /** ZADD semantics: adds or moves `member`; returns whether it was new. */
  add(score: number, member: string): boolean {
    const existing = this.#scores.get(member);
    if (existing === score) return false;
    if (existing !== undefined) this.remove(member);
    const entry = { score, member };
    this.#entries.splice(this.#insertionIndex(entry), 0, entry);
    this.#scores.set(member, score);
    return existing === undefined;
  }

  remove(member: string): boolean {
    const score = this.#scores.get(member);
    if (score === undefined) return false;
    const index = this.#insertionIndex({ score, member }) - 1;
    this.#entries.splice(index, 1);
    this.#scores.delete(member);
    return true;
  }

  /** Keeps the `cap` highest entries (ZREMRANGEBYRANK 0 -(cap+1)); returns the removed members. */
  trim(cap: number): string[] {
    const excess = this.#entries.length - cap;
    if (excess <= 0) return [];
    const removed = this.#entries.splice(0, excess).map((e) => e.member);
    for (const member of removed) this.#scores.delete(member);
    return removed;
  }

  /** Highest first, strictly after `after` in feed order, at most `limit`. */
  range(limit: number, after?: FeedPosition): FeedPosition[] {
    const out: FeedPosition[] = [];
    for (let i = this.#entries.length - 1; i >= 0 && out.length < limit; i -= 1) {
      const entry = this.#entries[i] as FeedPosition;
      if (after === undefined || comesBefore(after, entry)) out.push(entry);
    }
    return out;
  }

  /** Entries with score above `minExclusive`, ascending. */
  above(minExclusive: number): FeedPosition[] {
    return this.#entries.filter((e) => e.score > minExclusive);
  }

  members(): string[] {
    return this.#entries.map((e) => e.member);
  }

  /** Every entry, ascending: what a snapshot keeps (see `SortedFeed.of`). */
  entries(): FeedPosition[] {
    return this.#entries.map((e) => ({ ...e }));
  }

  /** A feed holding `entries` (as returned by `entries()`; any order). */
  static of(entries: readonly FeedPosition[]): SortedFeed {
    const feed = new SortedFeed();
    for (const { score, member } of entries) feed.add(score, member);
    return feed;
  }

  /** Index of the first entry greater than `entry` (ascending order). */
  #insertionIndex(entry: FeedPosition): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#entries[mid] as FeedPosition;
      if (comesBefore(other, entry)) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
