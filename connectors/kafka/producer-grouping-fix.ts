/**
 * Work-around for a kafkajs 2.2.4 hot spot: `groupMessagesPerPartition` builds each partition's list
 * with `[...current, message]`, copying it for every message, so grouping one `sendBatch` of n
 * records costs O(n²/partitions). For batches of a few thousand records this dominated the producer's
 * CPU profile (≈14%). This module puts a linear version with identical output into the CommonJS module
 * cache before kafkajs loads its producer, so `require('./groupMessagesPerPartition')` finds it.
 *
 * It can only take effect if it is evaluated before kafkajs' producer modules are loaded:
 * `connectors/kafka/kafkajs.ts`, the only module that imports kafkajs' values, imports it first. If
 * kafkajs was loaded earlier, it does nothing (and `installProducerGroupingFix` says false).
 */
import { replaceUnlessLoaded } from './module-cache.js';

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

const GROUPING_PATH = 'kafkajs/src/producer/groupMessagesPerPartition.js';

/** True when the linear version is the one kafkajs uses. */
export function installProducerGroupingFix(): boolean {
  return replaceUnlessLoaded(GROUPING_PATH, groupMessagesPerPartition);
}

installProducerGroupingFix();
