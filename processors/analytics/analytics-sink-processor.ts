/**
 * The terminal processor of the analytics topology: canonical envelope → analytics row → BatchingSink.
 *
 * Offsets are committed only after the store acknowledged the rows. The runtime awaits `process()`
 * before it records a record's offset and before any commit, so the processor makes the last record
 * of every consumed batch wait for `flush()`: when the batch's offsets become committable, its rows
 * are in the store. `prepareBatch` (which the runtime calls with every consumed batch before
 * processing it) tells the processor how many records the batch has. Within a batch the sink still
 * writes whenever its row or byte limit is reached, so a large fetch becomes several inserts.
 *
 * Records whose times cannot be stored are dead-lettered with the reason code of `toAnalyticsRow`.
 */
import type { CanonicalEvent, ChainLink } from '../../schemas/canonical-event.js';
import type { Processor, ProcessorContext, StreamRecord } from '../../streams/processor.js';
import { toAnalyticsRow, type AnalyticsRow } from './analytics-row.js';
import type { BatchingSink } from './batching-sink.js';

/** The value of a canonical-topic record (schemas/avro.ts CanonicalEnvelope). */
export interface CanonicalEnvelopeValue {
  readonly event: CanonicalEvent;
  readonly chain?: ChainLink;
}

export class AnalyticsSinkProcessor<T> implements Processor<unknown, CanonicalEnvelopeValue, never, never> {
  readonly #sink: BatchingSink<T>;
  readonly #encode: (row: AnalyticsRow) => T;
  #context: ProcessorContext<never, never> | undefined;
  /** Records of the current consumed batch not processed yet; 0 = the batch is complete. */
  #remaining = 0;

  constructor(sink: BatchingSink<T>, encode: (row: AnalyticsRow) => T) {
    this.#sink = sink;
    this.#encode = encode;
  }

  init(context: ProcessorContext<never, never>): void {
    this.#context = context;
  }

  async prepareBatch(records: readonly StreamRecord<unknown, CanonicalEnvelopeValue>[]): Promise<void> {
    this.#remaining += records.length;
  }

  process(record: StreamRecord<unknown, CanonicalEnvelopeValue>): void | Promise<void> {
    const context = this.#context as ProcessorContext<never, never>;
    const metadata = context.recordMetadata;
    const row = toAnalyticsRow(record.value.event, { partition: metadata?.partition ?? context.partition, offset: metadata?.offset ?? '0' });
    if (this.#remaining > 0) this.#remaining -= 1;
    const endOfBatch = this.#remaining === 0;
    if (row.kind !== 'ok') {
      if (row.kind === 'deadLetter') context.deadLetter({ code: row.code, stage: row.stage, message: row.message, ...(row.path === undefined ? {} : { path: row.path }) });
      return endOfBatch ? this.#sink.flush() : undefined;
    }
    return endOfBatch ? this.#addAndFlush(this.#encode(row.value)) : this.#sink.add(this.#encode(row.value));
  }

  async #addAndFlush(item: T): Promise<void> {
    await this.#sink.add(item);
    await this.#sink.flush();
  }

  /** Rows not acknowledged at close are not committed either: the next owner of the partition rereads them. */
  close(): void {
    this.#sink.close();
  }
}
