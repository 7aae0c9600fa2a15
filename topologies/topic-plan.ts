/**
 * The public topics of a Quintet deployment, with their partitions, compaction and retention.
 * `quintet topics create` creates them; internal topics (repartition, changelog) are created by the
 * streams runtime of each topology. README's "Topics" table documents the same plan.
 */
import type { QuintetConfig } from '../core/config.js';

export interface PlannedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
  readonly purpose: string;
}

export function topicPlan(config: QuintetConfig): PlannedTopic[] {
  const { topics } = config;
  const replicationFactor = topics.replicationFactor;
  // With one replica there is nothing to wait for; with more, refuse writes that only one broker holds.
  const minInSync = String(Math.min(2, replicationFactor));
  return [
    {
      name: topics.raw,
      partitions: topics.partitions,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(topics.rawRetentionMs), 'min.insync.replicas': minInSync },
      purpose: 'raw events as producers send them; may hold PII, so its retention bounds what erasure cannot reach',
    },
    {
      name: topics.canonical,
      partitions: topics.partitions,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': minInSync },
      purpose: 'the canonical log: pseudonymized, hash-chained (one chain per partition); kept forever',
    },
    {
      name: topics.deadLetter,
      partitions: topics.partitions,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(topics.deadLetterRetentionMs), 'min.insync.replicas': minInSync },
      purpose: 'rejected records: reason code, stage, source position and the encrypted original payload',
    },
    {
      name: topics.erasureRequests,
      partitions: 1,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(topics.rawRetentionMs), 'min.insync.replicas': minInSync },
      purpose: 'erasure requests (subject identifiers: PII, so bounded retention like the raw topic)',
    },
    {
      name: topics.checkpoints,
      partitions: 1,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': minInSync },
      purpose: 'Ed25519-signed chain-head checkpoints of every canonical partition; kept forever',
    },
  ];
}
