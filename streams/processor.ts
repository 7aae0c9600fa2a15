/**
 * The processor API under the DSL, shaped after Kafka Streams' `org.apache.kafka.streams.processor.api`.
 * Every topology node is a Processor; the DSL operations are processors too. The same processor runs
 * unchanged on the TopologyTestDriver (in memory, deterministic) and on the Kafka engine.
 *
 * Differences from Kafka Streams, because Node is single-threaded and I/O is asynchronous:
 * - `process` may return a Promise (e.g. a vault lookup); the task awaits it before the next record.
 * - `prepareBatch` lets a processor do the I/O for a whole consumed batch at once (pipelined lookups)
 *   before the records are processed one by one.
 * - `flushBatch` lets any processor (also one deep in a sub-topology, where `prepareBatch` is not offered)
 *   buffer in `process` and write what the batch produced in one round trip before offsets are committed.
 */

export type Headers = Readonly<Record<string, string | Buffer>>;

/** An immutable record flowing through a topology. */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in epoch milliseconds (from the timestamp extractor). */
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Where a record came from; present for records read from a source topic. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export type PunctuationType = 'stream-time' | 'wall-clock-time';

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext<KOut, VOut> {
  /** Application id (prefix of consumer group, transactional ids and internal topics). */
  readonly applicationId: string;
  /** `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  /** Input partition this task owns. */
  readonly partition: number;
  /** Metadata of the record being processed (undefined inside punctuators). */
  readonly recordMetadata: RecordMetadata | undefined;
  /** Largest timestamp seen by this task. */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /** Sends a record to all children, or to the named child only. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  getStateStore<S extends StateStore>(name: string): S;
  /**
   * Stream-time punctuators first fire with the first record and then every `intervalMs` of stream
   * time, aligned to multiples of the interval; wall-clock ones fire every `intervalMs` of system time
   * (driven by the engine, or by `advanceWallClockTime` in the test driver). Missed intervals are
   * skipped, not replayed (Kafka Streams' rule).
   */
  schedule(intervalMs: number, type: PunctuationType, callback: (timestampMs: number) => void | Promise<void>): Cancellable;
  /**
   * Sends the input record being processed (its original bytes) to the dead-letter topic with a
   * stable reason, then the processor simply does not forward it. For expected bad input found by a
   * processing step (a `deadLetter` result of core/result.ts). No-op inside punctuators.
   */
  deadLetter(reason: DeadLetterReason): void;
  /** Counts a record this processor dropped on purpose (`late`, `null-key`...): the `streams_dropped_records_total` metric. */
  recordDropped(reason: string): void;
}

/** Why a record is dead-lettered: a stable code, the stage that rejected it and a PII-free message. */
export interface DeadLetterReason {
  readonly code: string;
  readonly stage: string;
  readonly message: string;
  /** JSON path of the offending field (never its value). */
  readonly path?: string;
}

export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  /** Optional: receives every record of a consumed batch before any of them is processed, to batch I/O. */
  prepareBatch?(records: readonly StreamRecord<KIn, VIn>[]): Promise<void>;
  process(record: StreamRecord<KIn, VIn>): void | Promise<void>;
  /**
   * Optional: called once every record of a consumed batch (or of a wall-clock punctuation) was processed,
   * before the task can commit; a processor that buffered in `process` writes the buffer here. Errors go
   * to the processing error handler like errors of `process`.
   */
  flushBatch?(): void | Promise<void>;
  /**
   * Optional: called before the task's offsets are committed (every commit interval, before a
   * rebalance hands the partition over, at close); a processor that keeps output across consumed
   * batches (the analytics sink) writes it here, and the commit waits for it. An error fails the
   * commit: the task stops without committing, so the records are read again.
   */
  beforeCommit?(): void | Promise<void>;
  /**
   * Optional, for a processor whose writes reach a store outside Kafka (the analytics sink): called at
   * each commit, after `beforeCommit`. It starts writing what the processor holds and returns a promise
   * that resolves once everything it was given so far is acknowledged (undefined when nothing is
   * pending). The Kafka engine does not stop the task for it: it takes the task's positions, holds
   * back the task's output, goes on processing, and commits those positions (under exactly-once with
   * the output produced before them) once the promise resolved. `StreamTask.flush()` (a task's final
   * commit) waits for it instead; the test driver's synchronous flush does not, so topologies on the
   * driver write before `process()` returns (the analytics sink's `batch-end`). A rejection fails the commit: the task stops without
   * committing, so the records are read again. The processor must keep accepting records meanwhile.
   */
  writesAcknowledged?(): Promise<void> | undefined;
  close?(): void | Promise<void>;
}

export type ProcessorSupplier<KIn, VIn, KOut = KIn, VOut = VIn> = () => Processor<KIn, VIn, KOut, VOut>;

/** A named state store; its changes are written to a compacted changelog topic named after it. */
export interface StateStore {
  readonly name: string;
  /** Whether changes are logged to `<applicationId>-<name>-changelog`. */
  readonly loggingEnabled: boolean;
  /** Number of entries, for metrics. */
  approximateSize(): number;
}
