/**
 * The byte-level records that cross the seam between the engine-agnostic runtime (tasks, processors,
 * stores) and an engine (the Kafka engine in streams/kafka, or the in-memory TopologyTestDriver).
 *
 * An engine hands a task the records it consumed (`ConsumedRecord`) and gives it a `RecordCollector`
 * to which the task sends every record it produces: sink records, repartition records, changelog
 * records and dead letters. The task never talks to a broker.
 */
import type { Headers } from './processor.js';

/** A record as consumed from a topic partition: raw bytes, not yet deserialized. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: kept as a decimal string like kafkajs does. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's broker/producer timestamp in epoch milliseconds. */
  readonly timestamp: number;
  readonly headers: Headers;
}

/** A record the task wants produced. */
export interface ProducedRecord {
  readonly topic: string;
  /**
   * Explicit partition, or undefined to let the engine apply Kafka's default partitioner
   * (murmur2 of the key bytes, see `defaultPartition`): the same rule kafkajs and the Java client use,
   * so that the driver and the Kafka engine route repartitioned keys to the same partition.
   */
  readonly partition: number | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** Why the task produced a record: lets an engine apply different policies (e.g. batching, metrics). */
export type ProducedRecordKind = 'sink' | 'repartition' | 'changelog' | 'dead-letter';

/**
 * Receives everything a task produces. `send` is synchronous on purpose: an engine buffers records
 * and flushes them (in a transaction under exactly-once) when it commits, so the per-record cost stays
 * a push into an array. Backpressure is the engine's job: it stops handing the task batches.
 */
export interface RecordCollector {
  send(record: ProducedRecord, kind: ProducedRecordKind): void;
}

/** Offsets a task has fully processed, to commit: `offset` is the next offset to consume (last + 1). */
export interface CommittableOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}
