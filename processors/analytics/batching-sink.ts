/**
 * The analytics sink's delivery policy, independent of the store: rows are collected into
 * micro-batches (MicroBatcher), each batch is written by a `BatchWriter` (ClickHouse or DuckDB), and a
 * failed write is retried with exponential backoff until it is acknowledged.
 *
 * Guarantees the topology relies on:
 * - `flush()` resolves only after the store acknowledged every row added before the call. The
 *   topology flushes before the runtime commits offsets, so a committed offset always points past
 *   rows the store has; a crash before that redelivers them (the store deduplicates by event id).
 * - A full batch is written in the background while the next one fills (the store parses and merges
 *   while this process decodes: two cores work at once). At most `maxInFlight` batches (default 1)
 *   are in flight: when the next one is full too, `add()` waits for one of them. The runtime awaits
 *   `process()`, so consumption pauses while the store is slow or down, and memory stays bounded by
 *   `maxInFlight + 1` batches. Batches in flight together may be acknowledged in any order; nothing
 *   depends on it, because offsets are committed only after `flush()`, which waits for all of them.
 * - `add()` returns a Promise only when it has to wait; otherwise it is synchronous (no Promise per
 *   row: the task then processes the whole consumed batch without yielding).
 * - Nothing is dropped: a batch leaves memory only when its write succeeded. A write the store
 *   refuses for good (a non-retryable error, e.g. a missing table) makes the next `add()` or
 *   `flush()` throw, which stops the task without committing.
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

/**
 * A writer that can also take rows already encoded as RowBinary (one Buffer per row, columns in
 * ANALYTICS_COLUMNS order): the ClickHouse writer when its format is RowBinary.
 */
export interface RowBinaryCapable {
  /** The writer of encoded rows, or undefined when this writer's format is not RowBinary. */
  rowBinaryWriter(): BatchWriter<Buffer> | undefined;
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
  /** Batches written at the same time (default 1): more lets a store that inserts each on one thread use more cores. */
  readonly maxInFlight?: number;
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
  /** A batch the store refused for good: every later call fails with it. */
  #failure: unknown;
  readonly #maxInFlight: number;
  /** Writes not yet acknowledged, by batch number; a refused one stays here, so that awaiting it fails. */
  readonly #inFlight = new Map<number, Promise<void>>();
  /** Batches taken from the batcher so far: the open batch is number `#taken + 1`. */
  #taken = 0;
  #inFlightRows = 0;
  /** Writes currently waiting to retry. */
  #retrying = 0;

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
    const maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
      throw new QuintetError('ANALYTICS_BATCH_LIMITS_INVALID', 'the analytics sink\'s maxInFlight must be a positive integer');
    }
    this.#maxInFlight = maxInFlight;
  }

  get limits(): MicroBatchLimits {
    return this.#batcher.limits;
  }

  /** Rows not yet acknowledged by the store (open batch plus those in flight). */
  get pendingRows(): number {
    return this.#batcher.rows + this.#inFlightRows;
  }

  /** True while a batch is waiting to be retried: the store is down or refusing. */
  get backingOff(): boolean {
    return this.#retrying > 0;
  }

  /** Milliseconds until the open batch is due (for scheduling), or undefined when nothing is open. */
  msUntilDue(): number | undefined {
    return this.#batcher.msUntilDue(this.#now());
  }

  /**
   * Adds one item. When that fills the batch, the batch starts being written; the call waits only if
   * `maxInFlight` batches are still in flight (backpressure) or one failed for good (the error is thrown).
   */
  add(item: T): void | Promise<void> {
    this.#assertOpen();
    this.#batcher.add(item, this.#measure(item), this.#now());
    if (!this.#batcher.isFull()) return undefined;
    if (this.#inFlight.size < this.#maxInFlight) {
      this.#startWrite();
      return undefined;
    }
    return this.#writeWhenFree();
  }

  async #writeWhenFree(): Promise<void> {
    while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight.values());
    this.#assertOpen();
    if (this.#batcher.isFull()) this.#startWrite();
  }

  /** Waits until every write in flight was acknowledged; throws the refusal of one that was not. */
  async #drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  /** Writes the open batch when it is older than maxDelayMs and waits for the store's acknowledgement. */
  async flushIfDue(): Promise<void> {
    if (this.#batcher.isDue(this.#now())) await this.flush();
  }

  /**
   * Starts writing the open batch when it is older than maxDelayMs, without waiting for it (a wall-clock
   * punctuator calls it; the next commit's `flush()` waits). Does nothing while `maxInFlight` batches are in flight.
   */
  startIfDue(): void {
    this.#assertOpen();
    if (this.#inFlight.size < this.#maxInFlight && this.#batcher.isDue(this.#now())) this.#startWrite();
  }

  /** Writes everything added so far; resolves when the store acknowledged all of it. */
  async flush(): Promise<void> {
    this.#assertOpen();
    if (this.#batcher.rows > 0) {
      while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight.values());
      this.#assertOpen();
      if (this.#batcher.rows > 0) this.#startWrite();
    }
    await this.#drain();
  }

  /**
   * Takes the open batch and writes it in the background. Its promise in `#inFlight` resolves when it
   * is acknowledged and rejects when it was refused for good; the rejection is kept (the batch stays
   * "in flight") so that every later `add()`/`flush()` fails instead of committing past lost rows.
   */
  #startWrite(): void {
    const batch = this.#batcher.take();
    const number = ++this.#taken;
    const rows = batch.items.length;
    this.#inFlightRows += rows;
    const writing: Promise<void> = this.#writeUntilAcknowledged(batch.items, batch.bytes).then(() => {
      this.#inFlight.delete(number);
      this.#inFlightRows -= rows;
    });
    // Observed here so that a failure between two calls is not an unhandled rejection; callers see it
    // when they await `#inFlight` or call the sink again.
    writing.catch((error: unknown) => {
      this.#failure = error;
    });
    this.#inFlight.set(number, writing);
  }

  /**
   * A promise for the acknowledgement of every row added so far, or undefined when none is pending.
   * Unlike `flush()` it is not meant to be awaited before the next `add()`: the open batch is started
   * now when a write slot is free, else as soon as one is (unless it fills and starts first), and
   * rows added meanwhile are not waited for, so a caller can go on adding while the store acknowledges
   * (the Kafka engine's commit does: offsets of the rows before, output of the rows after).
   */
  acknowledged(): Promise<void> | undefined {
    this.#assertOpen();
    const last = this.#batcher.rows > 0 ? this.#taken + 1 : this.#taken;
    // Every batch in flight was taken already, so its number is at most `last`.
    return this.#inFlight.size > 0 || this.#taken < last ? this.#acknowledgedThrough(last) : undefined;
  }

  async #acknowledgedThrough(last: number): Promise<void> {
    for (;;) {
      this.#assertOpen();
      if (this.#taken < last) {
        // Batch `last` is still the open one.
        if (this.#inFlight.size < this.#maxInFlight) this.#startWrite();
        else await Promise.race(this.#inFlight.values());
        continue;
      }
      const writes: Promise<void>[] = [];
      for (const [number, writing] of this.#inFlight) if (number <= last) writes.push(writing);
      if (writes.length === 0) return;
      await Promise.all(writes);
    }
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
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #writeUntilAcknowledged(items: readonly T[], bytes: number): Promise<void> {
    const started = this.#now();
    let waiting = false;
    const stopWaiting = (): void => {
      if (waiting) this.#retrying -= 1;
      waiting = false;
    };
    try {
      for (let attempt = 1; ; attempt += 1) {
        this.#assertOpen();
        try {
          await this.#writer.write(items);
          stopWaiting();
          this.#onWritten?.({ rows: items.length, bytes, seconds: (this.#now() - started) / 1000, attempts: attempt });
          return;
        } catch (error) {
          if (!this.#writer.isRetryable(error)) {
            throw new QuintetError('ANALYTICS_SINK_REJECTED', `${this.#writer.name} refused a batch of ${items.length} rows`, {
              cause: error,
              details: { sink: this.#writer.name, rows: items.length },
            });
          }
          if (!waiting) this.#retrying += 1;
          waiting = true;
          const delayMs = backoffDelay(this.#backoff, attempt, this.#random);
          this.#onRetry?.({ attempt, delayMs, rows: items.length, error });
          await this.#sleep(delayMs, this.#closing.signal);
        }
      }
    } finally {
      stopWaiting();
    }
  }
}
