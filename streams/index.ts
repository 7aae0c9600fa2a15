/**
 * Public API of the Quintet streams runtime: Kafka Streams semantics in TypeScript.
 * See docs/streams.md. The Kafka engine lives in streams/kafka; everything here is engine-agnostic.
 */
export * from './processor.js';
export * from './serdes.js';
export * from './records.js';
export * from './errors.js';
export * from './metrics.js';
export * from './partitioner.js';
export * from './time.js';
export * from './windows.js';
export * from './dead-letter.js';
export * from './state/index.js';
export { Topology, TopologyDescription, repartitionTopicName, withRecord } from './topology.js';
export type {
  TopicNameExtractor,
  SourceOptions,
  SinkOptions,
  Subtopology,
  StoreMetadata,
  SubtopologyMetadata,
  RepartitionTopicMetadata,
  TopologyMetadata,
  NodeDef,
  SourceNodeDef,
  ProcessorNodeDef,
  SinkNodeDef,
} from './topology.js';
export { StreamTask, type StreamTaskOptions } from './task.js';
export {
  StreamsBuilder,
  KStream,
  KTable,
  KGroupedStream,
  TimeWindowedKStream,
  SessionWindowedKStream,
  BranchedKStream,
  type Named,
  type Consumed,
  type TableOptions,
  type Produced,
  type Repartitioned,
  type Grouped,
  type Materialized,
  type Joined,
} from './dsl/dsl.js';
export {
  TopologyTestDriver,
  TestInputTopic,
  TestOutputTopic,
  type TopologyTestDriverOptions,
  type TestRecord,
  type TestInputRecord,
  type RawTestRecord,
  type DeadLetter,
} from './test-driver.js';
