/**
 * What the Kafka engine needs from a topology, and nothing more. The records crossing the seam are
 * the core's (streams/records.ts); the topology's shape is the core's `TopologyMetadata`; the task is
 * the engine-agnostic task of the core, seen through the `StreamTask` shape below.
 *
 * The engine never looks inside a task: it hands it raw consumed records, collects raw records to
 * produce, and replays changelog records into its stores before the first `process`.
 */
import type { ConsumedRecord, ProducedRecord, ProducedRecordKind, RecordCollector } from '../records.js';
import type { StateStore } from '../processor.js';
import type { TopologyMetadata } from '../topology.js';

export type { ConsumedRecord, ProducedRecord, ProducedRecordKind, RecordCollector, TopologyMetadata };

type MaybePromise<T> = T | Promise<T>;

/** One task: one partition of one sub-topology. The engine calls these methods one at a time. */
export interface StreamTask {
  /** Replays committed changelog records (in offset order, possibly in several calls) into a store. Before `initialize`. */
  restoreStore(storeName: string, records: readonly ConsumedRecord[]): MaybePromise<void>;
  /** Runs processors' `init` (which may read restored stores). Called once, after the restore. */
  initialize(): MaybePromise<void>;
  /** Processes a batch of consumed records of this task's partition(s), in offset order per partition. */
  process(records: readonly ConsumedRecord[]): MaybePromise<void>;
  /** Fires wall-clock punctuators that are due at `nowMs`. */
  punctuateWallClock(nowMs: number): MaybePromise<void>;
  /** Pushes buffered state (store caches, pending changelog entries) to the collector before a commit, and waits for processors' writes outside Kafka. */
  flush(): MaybePromise<void>;
  /** `flush()` without the wait for processors' writes outside Kafka, which it returns instead. */
  flushDeferred(): MaybePromise<{ acknowledged: Promise<void> | undefined }>;
  close(): MaybePromise<void>;
  /** Interactive queries: the task's store of that name (throws when it has none). */
  getStateStore?<S extends StateStore>(name: string): S;
  /** Largest timestamp seen (stream time); committed with the offsets so windows and grace survive a restart. */
  readonly streamTime?: number;
  restoreStreamTime?(ms: number): void;
  /** Names of the task's stores. */
  readonly storeNames?: readonly string[];
}

export interface CreateTaskOptions {
  readonly applicationId: string;
  /** `<subTopologyId>_<partition>`. */
  readonly taskId: string;
  readonly subTopologyId: number;
  readonly partition: number;
  readonly collector: RecordCollector;
}

/** A topology as the engine sees it. */
export interface EngineTopology {
  metadata(applicationId: string): TopologyMetadata;
  createTask(options: CreateTaskOptions): StreamTask;
}
