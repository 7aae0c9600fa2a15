/**
 * The terminal processor of the analytics topology: canonical envelope → analytics row → BatchingSink.
 *
 * Offsets are committed only after the store acknowledged the rows. Two ways to guarantee it:
 *
 * - `flushAt: 'commit'` (Kafka mode, ClickHouse): rows accumulate across consumed batches. The sink
 *   writes a batch when it reaches its row or byte limit, a wall-clock punctuator starts the write of
 *   a batch older than `maxDelayMs`, and at each commit `writesAcknowledged()` starts writing the rest
 *   and gives the runtime a promise for the store's acknowledgement: the Kafka engine commits the
 *   offsets of that moment once it resolved, processing further records meanwhile (StreamTask.flush()
 *   waits for it instead). Inserts therefore have the configured size whatever the consumer's fetch
 *   size is, and a commit does not stop consumption for an insert's latency.
 * - `flushAt: 'batch-end'` (embedded mode, DuckDB): `flushBatch()`, which the runtime awaits after
 *   every consumed batch, writes the batch, so rows are readable as soon as `process()` returned.
 *
 * Records whose times cannot be stored are dead-lettered with the reason code of `toAnalyticsRow`.
 *
 * A value may also arrive already transcoded to its RowBinary row (avro-row-binary.ts, the ClickHouse
 * deployment's serde): only its log position is filled in here.
 */
import { QuintetError } from '../../core/errors.js';
import type { ChainLink } from '../../schemas/canonical-event.js';
import type { Processor, ProcessorContext, StreamRecord } from '../../streams/processor.js';
import { toAnalyticsRow, type AnalyticsEventFields, type AnalyticsRow } from './analytics-row.js';
import type { BatchingSink } from './batching-sink.js';

/** The value of a canonical-topic record (schemas/avro.ts CanonicalEnvelope, or its analytics projection). */
export interface CanonicalEnvelopeValue {
  readonly event: AnalyticsEventFields;
  readonly chain?: ChainLink | null;
}

export type FlushPolicy = 'commit' | 'batch-end';

/** A canonical-topic value as the analytics source hands it over: decoded, or transcoded to RowBinary. */
export type AnalyticsSourceValue = CanonicalEnvelopeValue | Buffer;

/** How rows become the sink's items. */
export interface AnalyticsRowEncoding<T> {
  readonly fromRow: (row: AnalyticsRow) => T;
  /** A transcoded RowBinary row, its last 12 bytes for the log position; absent when the store does not take RowBinary. */
  readonly fromRowBinary?: (row: Buffer, partition: number, offset: string) => T;
}

/** How often the punctuator looks for a batch older than maxDelayMs, at most. */
const MAX_DUE_CHECK_MS = 100;

export class AnalyticsSinkProcessor<T> implements Processor<unknown, AnalyticsSourceValue, never, never> {
  readonly #sink: BatchingSink<T>;
  readonly #encode: (row: AnalyticsRow) => T;
  readonly #fromRowBinary: ((row: Buffer, partition: number, offset: string) => T) | undefined;
  readonly #flushAt: FlushPolicy;
  #context: ProcessorContext<never, never> | undefined;

  constructor(sink: BatchingSink<T>, encoding: AnalyticsRowEncoding<T>, flushAt: FlushPolicy = 'batch-end') {
    this.#sink = sink;
    this.#encode = encoding.fromRow;
    this.#fromRowBinary = encoding.fromRowBinary;
    this.#flushAt = flushAt;
  }

  init(context: ProcessorContext<never, never>): void {
    this.#context = context;
    if (this.#flushAt === 'commit') {
      const interval = Math.max(1, Math.min(MAX_DUE_CHECK_MS, this.#sink.limits.maxDelayMs));
      context.schedule(interval, 'wall-clock-time', () => this.#sink.startIfDue());
    }
  }

  process(record: StreamRecord<unknown, AnalyticsSourceValue>): void | Promise<void> {
    const context = this.#context as ProcessorContext<never, never>;
    const metadata = context.recordMetadata;
    const partition = metadata?.partition ?? context.partition;
    const offset = metadata?.offset ?? '0';
    const value = record.value;
    if (value instanceof Uint8Array) {
      if (this.#fromRowBinary === undefined) {
        throw new QuintetError('ANALYTICS_ROW_BINARY_UNSUPPORTED', 'the analytics store does not take RowBinary rows; use the decoding serde (analyticsProjectionSerde) with it');
      }
      return this.#sink.add(this.#fromRowBinary(value, partition, offset));
    }
    const row = toAnalyticsRow(value.event, { partition, offset });
    if (row.kind === 'deadLetter') {
      context.deadLetter({ code: row.code, stage: row.stage, message: row.message, ...(row.path === undefined ? {} : { path: row.path }) });
    }
    return row.kind === 'ok' ? this.#sink.add(this.#encode(row.value)) : undefined;
  }

  /** Called by the runtime after each consumed batch: in 'batch-end' mode the batch is written now. */
  flushBatch(): void | Promise<void> {
    return this.#flushAt === 'batch-end' && this.#sink.pendingRows > 0 ? this.#sink.flush() : undefined;
  }

  /**
   * Called by the runtime at each commit: starts writing the rows added so far and resolves once the
   * store acknowledged them all. The Kafka engine commits the offsets of this moment only then, and
   * goes on processing meanwhile (rows added later are not waited for).
   */
  writesAcknowledged(): Promise<void> | undefined {
    return this.#sink.pendingRows === 0 ? undefined : this.#sink.acknowledged();
  }

  /** Rows not acknowledged at close are not committed either: the next owner of the partition rereads them. */
  close(): void {
    this.#sink.close();
  }
}
