/**
 * Collects items into micro-batches closed by row count, by bytes or by age, whichever comes first.
 * Pure: time comes from the caller, so the policy is tested without clocks or sockets.
 */
import { QuintetError } from '../../core/errors.js';

export interface MicroBatchLimits {
  /** Close the batch at this many rows (default 50 000). */
  readonly maxRows: number;
  /** Close the batch at this many encoded bytes (default 16 MiB). */
  readonly maxBytes: number;
  /** Close the batch when its oldest row has waited this long (default 1 000 ms). */
  readonly maxDelayMs: number;
}

export const DEFAULT_MICRO_BATCH_LIMITS: MicroBatchLimits = Object.freeze({ maxRows: 50_000, maxBytes: 16 * 1024 * 1024, maxDelayMs: 1_000 });

export function validateLimits(limits: MicroBatchLimits): MicroBatchLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < (name === 'maxDelayMs' ? 0 : 1)) {
      throw new QuintetError('ANALYTICS_BATCH_LIMITS_INVALID', `micro-batch limit ${name} must be a positive integer`);
    }
  }
  return limits;
}

export interface MicroBatch<T> {
  readonly items: T[];
  readonly bytes: number;
  /** When the first item was added. */
  readonly openedAtMs: number;
}

export class MicroBatcher<T> {
  readonly limits: MicroBatchLimits;
  #items: T[] = [];
  #bytes = 0;
  #openedAtMs = 0;

  constructor(limits: Partial<MicroBatchLimits> = {}) {
    this.limits = validateLimits({ ...DEFAULT_MICRO_BATCH_LIMITS, ...limits });
  }

  get rows(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(item: T, bytes: number, nowMs: number): void {
    if (this.#items.length === 0) this.#openedAtMs = nowMs;
    this.#items.push(item);
    this.#bytes += bytes;
  }

  /** The batch reached its row or byte limit. */
  isFull(): boolean {
    return this.#items.length >= this.limits.maxRows || this.#bytes >= this.limits.maxBytes;
  }

  /** The oldest row has waited for maxDelayMs. */
  isDue(nowMs: number): boolean {
    return this.#items.length > 0 && nowMs - this.#openedAtMs >= this.limits.maxDelayMs;
  }

  /** Milliseconds until the open batch is due, or undefined when empty. */
  msUntilDue(nowMs: number): number | undefined {
    return this.#items.length === 0 ? undefined : Math.max(0, this.#openedAtMs + this.limits.maxDelayMs - nowMs);
  }

  /** Removes and returns everything collected so far. */
  take(): MicroBatch<T> {
    const batch = { items: this.#items, bytes: this.#bytes, openedAtMs: this.#openedAtMs };
    this.#items = [];
    this.#bytes = 0;
    return batch;
  }
}

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  /** 0 = none, 1 = full jitter (uniform between 0 and the delay). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0.2 });

/** Delay before retry number `attempt` (1-based): exponential, capped, with proportional jitter. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt - 1));
  return Math.round(exponential * (1 - policy.jitter * random()));
}
