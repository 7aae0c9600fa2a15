/**
 * Internal topics of a topology on Kafka: repartition topics (written by one sub-topology, read by
 * another) and compacted changelog topics (one per logged store). Names come from the topology
 * (`<applicationId>-<name>`, `<applicationId>-<store>-changelog`); partition counts follow Kafka
 * Streams' rules, resolved by the topology metadata:
 * - a sub-topology has as many tasks as its widest source topic;
 * - a repartition topic has as many partitions as the sub-topology that writes it has tasks;
 * - a changelog has one partition per task of the sub-topology that owns the store, so task
 *   `<s>_<p>` always restores from (and logs to) changelog partition p.
 */
import type { TopicSpec } from '../../connectors/kafka/admin.js';
import { QuintetError } from '../../core/errors.js';
import type { TopologyMetadata } from './seam.js';

export interface InternalTopicPlan {
  /** Number of tasks (= partitions) per sub-topology id. */
  readonly tasksPerSubTopology: ReadonlyMap<number, number>;
  readonly repartitionTopics: readonly TopicSpec[];
  readonly changelogTopics: readonly TopicSpec[];
}

export interface InternalTopicSettings {
  readonly replicationFactor: number;
  /**
   * Retention of repartition topics; default -1 (none), as in Kafka Streams. Records keep their event
   * time, so time retention would delete records of old events (a backfill, a replay, a lagging
   * task) before they are consumed; the engine purges consumed records itself (deleteRecords up to
   * the committed offsets).
   */
  readonly repartitionRetentionMs?: number;
}

export function planInternalTopics(
  metadata: TopologyMetadata,
  userTopicPartitions: ReadonlyMap<string, number>,
  settings: InternalTopicSettings,
): InternalTopicPlan {
  for (const topic of metadata.sourceTopics) {
    if (!userTopicPartitions.has(topic)) {
      throw new QuintetError('STREAMS_SOURCE_TOPIC_MISSING', `source topic ${topic} does not exist`, { details: { topic } });
    }
  }
  const counts = metadata.resolvePartitionCounts((topic) => userTopicPartitions.get(topic));
  metadata.checkCopartitioning(counts);
  const tasks = new Map<number, number>();
  for (const sub of metadata.subtopologies) {
    const width = Math.max(0, ...sub.sourceTopics.map((topic) => counts.get(topic) ?? 0));
    if (width === 0) {
      throw new QuintetError('STREAMS_PARTITIONS_UNKNOWN', `the number of tasks of sub-topology ${sub.id} cannot be derived`, {
        details: { subTopology: sub.id },
      });
    }
    tasks.set(sub.id, width);
  }
  const repartitionTopics: TopicSpec[] = metadata.repartitionTopics.map((topic) => ({
    name: topic.name,
    partitions: counts.get(topic.name) ?? (tasks.get(topic.producedBy) as number),
    replicationFactor: settings.replicationFactor,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(settings.repartitionRetentionMs ?? -1) },
  }));
  const changelogTopics: TopicSpec[] = metadata.changelogTopics.map((changelog) => ({
    name: changelog.topic,
    partitions: tasks.get(changelog.subtopology) as number,
    replicationFactor: settings.replicationFactor,
    config: { 'cleanup.policy': 'compact' },
  }));
  return { tasksPerSubTopology: tasks, repartitionTopics, changelogTopics };
}

export const taskIdOf = (subTopologyId: number, partition: number): string => `${subTopologyId}_${partition}`;

/** Transactional id of a task's producer: stable across restarts and instances, so zombies are fenced per task. */
export const transactionalIdOf = (applicationId: string, taskId: string): string => `${applicationId}-${taskId}`;
