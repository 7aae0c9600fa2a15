/**
 * Topic administration: idempotent creation of the topics a component needs, and partition counts.
 *
 * `ensureTopics` may run concurrently in several processes (every streams instance creates its
 * internal topics at start-up): a topic created by someone else in between is not an error, but a
 * topic that exists with a different partition count is, because co-partitioning depends on it.
 */
import type { Admin, Kafka } from 'kafkajs';
import { QuintetError } from '../../core/errors.js';
import { retryWhileRetriable } from './retriable.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configuration, e.g. `{ 'cleanup.policy': 'compact', 'retention.ms': '-1' }`. */
  readonly config?: Readonly<Record<string, string | number>>;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

const isAlreadyExists = (error: unknown): boolean =>
  (error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS' ||
  ((error as { errors?: { type?: string }[] }).errors ?? []).every((e) => e.type === 'TOPIC_ALREADY_EXISTS');

export class KafkaTopicAdmin {
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.#admin = kafka.admin();
  }

  async #connect(): Promise<Admin> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    return this.#admin;
  }

  /** Creates the missing topics; checks that existing ones have the requested partition count. */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<EnsureTopicsResult> {
    if (specs.length === 0) return { created: [], existing: [] };
    const admin = await this.#connect();
    const existingNames = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existingNames.has(s.name));
    const created: string[] = [];
    // One request per topic: kafkajs answers `false` (not an error) for a topic that already exists,
    // which tells us whether this call or a concurrent one created it.
    await Promise.all(
      missing.map(async (spec) => {
        try {
          const didCreate = await admin.createTopics({
            waitForLeaders: true,
            topics: [
              {
                topic: spec.name,
                numPartitions: spec.partitions,
                replicationFactor: spec.replicationFactor,
                configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value: String(value) })),
              },
            ],
          });
          if (didCreate) created.push(spec.name);
        } catch (error) {
          if (!isAlreadyExists(error)) {
            throw new QuintetError('KAFKA_TOPIC_CREATE_FAILED', `creating topic ${spec.name} failed: ${(error as Error).message}`, {
              cause: error,
              details: { topic: spec.name },
            });
          }
        }
      }),
    );
    const counts = await this.#partitionCountsOfExisting(specs.map((s) => s.name));
    for (const spec of specs) {
      const actual = counts.get(spec.name);
      if (actual !== spec.partitions) {
        throw new QuintetError(
          'KAFKA_TOPIC_PARTITIONS_MISMATCH',
          `topic ${spec.name} has ${String(actual)} partitions, ${spec.partitions} required`,
          { details: { topic: spec.name, actual, required: spec.partitions } },
        );
      }
    }
    return { created, existing: specs.filter((s) => !created.includes(s.name)).map((s) => s.name) };
  }

  /** Partition count of each named topic; throws KAFKA_TOPIC_NOT_FOUND for a topic that does not exist. */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const admin = await this.#connect();
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    let metadata;
    try {
      metadata = await admin.fetchTopicMetadata({ topics: [...new Set(topics)] });
    } catch (error) {
      throw new QuintetError('KAFKA_TOPIC_NOT_FOUND', `metadata of ${topics.length} topic(s) could not be read: ${(error as Error).message}`, {
        cause: error,
        details: { topics: [...topics] },
      });
    }
    for (const topic of metadata.topics) counts.set(topic.name, topic.partitions.length);
    return counts;
  }

  /**
   * Partition counts of topics known to exist: metadata of a topic created a moment ago may not have
   * reached the broker answering yet (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE), so retry briefly.
   */
  async #partitionCountsOfExisting(topics: readonly string[]): Promise<Map<string, number>> {
    return retryWhileRetriable(() => this.partitionCounts(topics), { timeoutMs: 15_000 });
  }

  async partitionCount(topic: string): Promise<number> {
    const count = (await this.partitionCounts([topic])).get(topic);
    if (count === undefined) throw new QuintetError('KAFKA_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { details: { topic } });
    return count;
  }

  /** Committed offsets of a consumer group for one topic, by partition (`-1` when none). */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const admin = await this.#connect();
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  /** Committed offsets of a consumer group for one topic with their commit metadata, by partition. */
  async committedOffsetsAndMetadata(groupId: string, topic: string): Promise<Map<number, { offset: string; metadata: string | null }>> {
    const admin = await this.#connect();
    // A broker that has just started answers COORDINATOR_LOAD_IN_PROGRESS for a few seconds.
    const [result] = await retryWhileRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }), { timeoutMs: 30_000 });
    return new Map((result?.partitions ?? []).map((p) => [p.partition, { offset: p.offset, metadata: p.metadata }]));
  }

  /** Earliest and end offsets (end = last stable offset under read_committed) of every partition. */
  async offsetRange(topic: string): Promise<Map<number, { low: string; high: string }>> {
    const admin = await this.#connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.#connect();
    await admin.deleteTopics({ topics: [...topics] });
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.#connect();
    await admin.deleteGroups([...groupIds]);
  }

  /** Deletes the records of `topic` below the given offset of each partition (the log start moves there). */
  async deleteRecordsBefore(topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    const admin = await this.#connect();
    await admin.deleteTopicRecords({ topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
  }

  /** The underlying kafkajs admin, connected, for operations this helper does not wrap. */
  async kafkajsAdmin(): Promise<Admin> {
    return this.#connect();
  }

  async close(): Promise<void> {
    if (this.#connected !== undefined) await this.#admin.disconnect();
    this.#connected = undefined;
  }
}
