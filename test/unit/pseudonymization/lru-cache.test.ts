import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../processors/pseudonymization/lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used key beyond its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('holds only keys used within the time to live, not up to its capacity, under a stream of new keys', () => {
    let now = 0;
    const cache = new LruCache<number, number>(100_000, { ttlMs: 1_000, now: () => now });
    // 10 new keys per millisecond for 10 s, and one key read all the time.
    cache.set(-1, -1);
    for (let i = 0; i < 100_000; i++) {
      if (i % 10 === 0) now += 1;
      cache.set(i, i);
      if (i % 100 === 0 && cache.get(-1) === undefined) cache.set(-1, -1);
    }
    expect(cache.size).toBeLessThanOrEqual(10_000 + 2);
    expect(cache.size).toBeGreaterThan(9_000);
    expect(cache.peek(99_999)).toBe(99_999);
    expect(cache.peek(0)).toBeUndefined();
    expect(cache.get(-1)).toBe(-1);
  });

  it('never returns an expired value', () => {
    let now = 0;
    const cache = new LruCache<string, string>(10, { ttlMs: 100, now: () => now });
    cache.set('a', 'x');
    now = 99;
    expect(cache.get('a')).toBe('x');
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.peek('a')).toBeUndefined();
  });
});
