/**
 * Per-key token buckets for ingest: `ratePerSecond` tokens refill continuously up to a burst of
 * one second's worth. One token per event, so a batch of 500 costs 500.
 */
export class TokenBucketRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; updatedMs: number }>();

  constructor(
    private readonly defaultRatePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes `cost` tokens if available; returns the milliseconds to wait otherwise (0 when taken). */
  take(keyId: string, cost: number, ratePerSecond = this.defaultRatePerSecond): number {
    const now = this.now();
    const bucket = this.#buckets.get(keyId) ?? { tokens: ratePerSecond, updatedMs: now };
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((now - bucket.updatedMs) / 1000) * ratePerSecond);
    bucket.updatedMs = now;
    this.#buckets.set(keyId, bucket);
    if (cost <= bucket.tokens) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - bucket.tokens) / ratePerSecond) * 1000);
  }
}
