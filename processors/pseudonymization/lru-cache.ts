/**
 * A bounded least-recently-used map with an optional time to live, on the insertion order of `Map`
 * (delete + set moves a key to the most-recent end; the first key is the least recent).
 *
 * Expired entries are also evicted from the least-recent end as new ones come in, so the cache holds
 * at most the keys used within the time to live, not `capacity` keys once it has seen that many: a
 * stream of ever-new subjects (anonymous ids, devices) must not fill memory up to the capacity.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  readonly #capacity: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(capacity: number, options: { ttlMs?: number; now?: () => number } = {}) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('LRU capacity must be a non-negative integer');
    this.#capacity = capacity;
    this.#ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value without refreshing its recency (for repeated reads of an entry just read with `get`). */
  peek(key: K): V | undefined {
    const entry = this.#entries.get(key);
    return entry === undefined || entry.expiresAt <= this.#now() ? undefined : entry.value;
  }

  set(key: K, value: V): void {
    if (this.#capacity === 0) return;
    const now = this.#now();
    this.#entries.delete(key);
    this.#evictExpired(now);
    this.#entries.set(key, { value, expiresAt: now + this.#ttlMs });
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /**
   * Drops expired entries from the least-recent end, up to the first live one. An entry is set before
   * its last use, so one unused for longer than the time to live is always expired: these go first.
   */
  #evictExpired(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(key);
    }
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
