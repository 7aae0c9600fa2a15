/**
 * Waiting out a store outage. A feed batch whose store writes fail with a connection-type error is
 * retried whole (every feed write is idempotent) with capped exponential backoff: the task stops taking
 * new records meanwhile, so a Redis outage pauses the feed and loses nothing. After `giveUpAfterMs` the
 * error is thrown, the batch fails before its offsets are committed, and the runtime's error handling
 * takes over (on restart the batch is consumed again).
 */
import { QuintetError } from '../../core/errors.js';

export interface StoreRetryOptions {
  /** First wait (default 100 ms); doubles up to maxDelayMs. */
  readonly initialDelayMs?: number;
  /** Longest single wait (default 5 s). */
  readonly maxDelayMs?: number;
  /** Total time to keep retrying before throwing (default 5 minutes). */
  readonly giveUpAfterMs?: number;
  /** Called before each wait (metrics, logs). The error message never carries PII. */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly error: Error }) => void;
}

const TRANSIENT = /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|Stream isn't writeable/;

/** Whether a store error is an outage worth waiting out (not a bug or bad data). */
export function isTransientStoreError(error: unknown): boolean {
  if (error instanceof QuintetError) return error.code === 'FEED_STORE_UNAVAILABLE' && (error.cause === undefined || isTransientStoreError(error.cause) || !(error.cause instanceof Error));
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || TRANSIENT.test(error.message);
}

export async function withStoreRetry<T>(operation: () => Promise<T>, options: StoreRetryOptions = {}): Promise<T> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  const giveUpAt = Date.now() + (options.giveUpAfterMs ?? 300_000);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      const delayMs = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
      if (!isTransientStoreError(error) || Date.now() + delayMs > giveUpAt) throw error;
      options.onRetry?.({ attempt, delayMs, error: error as Error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
