/**
 * The analytics sink's delivery policy, independent of the store: rows are collected into
 * micro-batches (MicroBatcher), each batch is written by a `BatchWriter` (ClickHouse or DuckDB), and a
 * failed write is retried with exponential backoff until it is acknowledged.
 *
 * Guarantees the topology relies on:
 * - `flush()` resolves only after the store acknowledged every row added before the call. The
 *   topology flushes before the runtime commits offsets, so a committed offset always points past
 *   rows the store has; a crash before that redelivers them (the store deduplicates by event id).
 * - While a batch is being retried, `add()` waits for it. The runtime awaits `process()`, so
 *   consumption pauses and memory stays bounded by one open batch plus the one in flight.
 * - Nothing is dropped: a batch leaves memory only when its write succeeded. A write the store
 *   refuses for good (a non-retryable error, e.g. a missing table) throws, which stops the task
 *   without committing.
 */
import { QuintetError } from '../../core/errors.js';
import { DEFAULT_BACKOFF, MicroBatcher, backoffDelay, type BackoffPolicy, type MicroBatchLimits } from './micro-batcher.js';

export interface BatchWriter<T> {
  /** Label for metrics and logs, e.g. `clickhouse`, `duckdb`. */
  readonly name: string;
  /** Writes one batch; resolves once the store acknowledged it. */
  write(items: readonly T[]): Promise<void>;
  /** Whether a failure is transient (connection refused, timeout, overload) and worth retrying. */
  isRetryable(error: unknown): boolean;
}

export interface RetryInfo {
  readonly attempt: number;
  readonly delayMs: number;
  readonly rows: number;
  readonly error: unknown;
}

export interface BatchWritten {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly attempts: number;
}

export interface BatchingSinkOptions<T> {
  readonly writer: BatchWriter<T>;
  /** Encoded size of one item, for the byte limit. */
  readonly measure: (item: T) => number;
  readonly limits?: Partial<MicroBatchLimits>;
  readonly backoff?: BackoffPolicy;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly onWritten?: (info: BatchWritten) => void;
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class BatchingSink<T> {
  readonly #writer: BatchWriter<T>;
  readonly #measure: (item: T) => number;
  readonly #batcher: MicroBatcher<T>;
  readonly #backoff: BackoffPolicy;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  readonly #onWritten: ((info: BatchWritten) => void) | undefined;
  readonly #closing = new AbortController();
  #inFlight: Promise<void> | undefined;
  #inFlightRows = 0;
  #retrying = false;

  constructor(options: BatchingSinkOptions<T>) {
    this.#writer = options.writer;
    this.#measure = options.measure;
    this.#batcher = new MicroBatcher<T>(options.limits);
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#onRetry = options.onRetry;
    this.#onWritten = options.onWritten;
  }

  get limits(): MicroBatchLimits {
    return this.#batcher.limits;
  }

  /** Rows not yet acknowledged by the store (open batch plus the one in flight). */
  get pendingRows(): number {
    return this.#batcher.rows + this.#inFlightRows;
  }

  /** True while a batch is waiting to be retried: the store is down or refusing. */
  get backingOff(): boolean {
    return this.#retrying;
  }

  /** Milliseconds until the open batch is due (for scheduling), or undefined when nothing is open. */
  msUntilDue(): number | undefined {
    return this.#batcher.msUntilDue(this.#now());
  }

  /** Adds one item; when the batch is full, resolves only after it was written. */
  async add(item: T): Promise<void> {
    this.#assertOpen();
    // A batch in retry blocks new input: this is how the sink pauses consumption.
    if (this.#inFlight !== undefined) await this.#inFlight;
    this.#batcher.add(item, this.#measure(item), this.#now());
    if (this.#batcher.isFull()) await this.flush();
  }

  /** Writes the open batch when it is older than maxDelayMs (called by a wall-clock punctuator). */
  async flushIfDue(): Promise<void> {
    if (this.#batcher.isDue(this.#now())) await this.flush();
  }

  /** Writes everything added so far; resolves when the store acknowledged all of it. */
  async flush(): Promise<void> {
    this.#assertOpen();
    while (this.#inFlight !== undefined) await this.#inFlight;
    if (this.#batcher.rows === 0) return;
    const batch = this.#batcher.take();
    this.#inFlightRows = batch.items.length;
    this.#inFlight = this.#writeUntilAcknowledged(batch.items, batch.bytes).finally(() => {
      this.#inFlight = undefined;
      this.#inFlightRows = 0;
    });
    await this.#inFlight;
  }

  /**
   * Stops retrying. Unacknowledged rows are abandoned in memory only: their offsets were never
   * committed, so the canonical topic redelivers them to the next run.
   */
  close(): void {
    this.#closing.abort(new QuintetError('ANALYTICS_SINK_CLOSED', 'analytics sink closed before the batch was acknowledged'));
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
  }

  async #writeUntilAcknowledged(items: readonly T[], bytes: number): Promise<void> {
    const started = this.#now();
    for (let attempt = 1; ; attempt += 1) {
      this.#assertOpen();
      try {
        await this.#writer.write(items);
        this.#retrying = false;
        this.#onWritten?.({ rows: items.length, bytes, seconds: (this.#now() - started) / 1000, attempts: attempt });
        return;
      } catch (error) {
        if (!this.#writer.isRetryable(error)) {
          this.#retrying = false;
          throw new QuintetError('ANALYTICS_SINK_REJECTED', `${this.#writer.name} refused a batch of ${items.length} rows`, {
            cause: error,
            details: { sink: this.#writer.name, rows: items.length },
          });
        }
        this.#retrying = true;
        const delayMs = backoffDelay(this.#backoff, attempt, this.#random);
        this.#onRetry?.({ attempt, delayMs, rows: items.length, error });
        await this.#sleep(delayMs, this.#closing.signal);
      }
    }
  }
}
