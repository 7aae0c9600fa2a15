/**
 * Reads changelog partitions from their beginning up to a given end offset, with read_committed,
 * to rebuild a task's state stores before the task processes anything.
 *
 * kafkajs has no manual partition assignment (no `assign()`), so the restorer is a consumer in a
 * group of its own (`<applicationId>-restore-<instance>`), subscribed to every changelog of the
 * topology, with every partition paused except the ones being restored. A restore seeks the
 * partition to its beginning, resumes it and pauses it again once the position reaches the end
 * offset. The position also advances over batches that hold only transaction markers or aborted
 * records (which kafkajs never hands to eachBatch), observed through END_BATCH_PROCESS.
 *
 * Replaying a changelog twice is harmless (each record is a put of the latest value of its key),
 * which is why a rebalance of the restore group can simply seek active restores back to where they were.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { QuintetError } from '../../core/errors.js';
import type { ConsumedRecord } from './seam.js';

interface RestoreRequest {
  readonly topic: string;
  readonly partition: number;
  readonly endOffset: number;
  position: number;
  readonly onRecords: (records: readonly ConsumedRecord[]) => Promise<void> | void;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function toConsumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    timestamp: Number(message.timestamp),
    headers: (message.headers ?? {}) as ConsumedRecord['headers'],
  };
}

export class ChangelogRestorer {
  readonly #consumer: Consumer;
  readonly #topics: readonly string[];
  readonly #requests = new Map<string, RestoreRequest>();
  #started: Promise<void> | undefined;
  #failure: unknown;

  constructor(kafka: Kafka, options: { groupId: string; topics: readonly string[] }) {
    this.#topics = options.topics;
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { retries: 8, restartOnFailure: async () => false },
    });
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    if (this.#topics.length === 0) return;
    const consumer = this.#consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // Everything starts paused; active restores continue from their position.
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        const idle = partitions.filter((p) => !this.#requests.has(keyOf(topic, p)));
        if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
      }
      for (const request of this.#requests.values()) {
        consumer.seek({ topic: request.topic, partition: request.partition, offset: String(request.position) });
      }
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // Only batches kafkajs never hands to eachBatch (nothing but transaction markers or aborted
      // records: batchSize 0) move the position here; a batch eachBatch skipped (stale, before a
      // seek) must not, or its records would never be restored.
      if (payload.batchSize !== 0) return;
      const request = this.#requests.get(keyOf(payload.topic, payload.partition));
      if (request !== undefined && Number(payload.firstOffset ?? payload.lastOffset) <= request.position + 1) {
        this.#advance(request, Number(payload.lastOffset) + 1);
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#failure = payload.error;
      for (const request of this.#requests.values()) request.reject(payload.error);
      this.#requests.clear();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.#topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.#onBatch(payload),
    });
  }

  /**
   * Delivers the committed records of `topic`/`partition` in [lowOffset, endOffset) to `onRecords`,
   * in order and possibly in several calls; resolves when all have been delivered.
   */
  async restore(
    topic: string,
    partition: number,
    range: { lowOffset: number; endOffset: number },
    onRecords: (records: readonly ConsumedRecord[]) => Promise<void> | void,
  ): Promise<void> {
    if (range.endOffset <= range.lowOffset) return;
    if (!this.#topics.includes(topic)) throw new QuintetError('STREAMS_RESTORE_UNKNOWN_CHANGELOG', `changelog ${topic} is not known to the restorer`);
    if (this.#failure !== undefined) throw new QuintetError('STREAMS_RESTORE_FAILED', 'the restore consumer has crashed', { cause: this.#failure });
    await this.start();
    const key = keyOf(topic, partition);
    if (this.#requests.has(key)) throw new QuintetError('STREAMS_RESTORE_CONCURRENT', `changelog ${topic}/${partition} is already being restored`);
    await new Promise<void>((resolve, reject) => {
      this.#requests.set(key, { topic, partition, endOffset: range.endOffset, position: range.lowOffset, onRecords, resolve, reject });
      this.#consumer.seek({ topic, partition, offset: String(range.lowOffset) });
      this.#consumer.resume([{ topic, partitions: [partition] }]);
    });
  }

  async #onBatch({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> {
    const request = this.#requests.get(keyOf(batch.topic, batch.partition));
    if (request === undefined || isStale()) return;
    const records: ConsumedRecord[] = [];
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < request.position) continue;
      if (offset >= request.endOffset) break;
      records.push(toConsumedRecord(batch.topic, batch.partition, message));
    }
    try {
      if (records.length > 0) await request.onRecords(records);
    } catch (error) {
      this.#finish(request, error);
      return;
    }
    resolveOffset(batch.lastOffset());
    this.#advance(request, Number(batch.lastOffset()) + 1);
  }

  #advance(request: RestoreRequest, position: number): void {
    if (position > request.position) request.position = position;
    if (request.position >= request.endOffset) this.#finish(request, undefined);
  }

  #finish(request: RestoreRequest, error: unknown): void {
    const key = keyOf(request.topic, request.partition);
    if (this.#requests.get(key) !== request) return;
    this.#requests.delete(key);
    this.#consumer.pause([{ topic: request.topic, partitions: [request.partition] }]);
    if (error === undefined) request.resolve();
    else request.reject(error);
  }

  async close(): Promise<void> {
    for (const request of this.#requests.values()) request.reject(new QuintetError('STREAMS_RESTORE_ABORTED', 'the restorer was closed'));
    this.#requests.clear();
    if (this.#started !== undefined) await this.#consumer.disconnect();
  }
}
