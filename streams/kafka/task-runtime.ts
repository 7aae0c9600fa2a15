/**
 * One task as the Kafka engine runs it: the engine-agnostic `StreamTask`, its positions per source
 * partition, a collector that buffers what it produces, and (under exactly-once) its own
 * transactional producer `<applicationId>-<taskId>`.
 *
 * Everything a task does (process a batch, punctuate, commit, close) goes through `run`, a serial
 * queue, so a commit never interleaves with processing and positions always match what was sent.
 *
 * Sends are pipelined: after each batch the buffered records go out in one `sendBatch` (one request
 * per broker, grouped by topic) without waiting for the acknowledgement; a commit waits for all of
 * them. The bytes in flight are bounded: above `maxInFlightBytes` the engine pauses the task's
 * partitions until the producer has caught up.
 */
import type { Message, Producer, TopicMessages, Transaction } from 'kafkajs';
import { CompressionTypes } from '../../connectors/kafka/kafkajs.js';
import type { ProducedRecord, RecordCollector, StreamTask } from './seam.js';

/** A logged store of the task and its changelog topic (partition = the task's partition). */
export interface TaskChangelog {
  readonly storeName: string;
  readonly topic: string;
}

export type TaskState = 'initializing' | 'running' | 'closing' | 'closed';

/** How a task's output reaches Kafka: a shared idempotent-less producer, or the task's own transaction. */
export interface TaskSender {
  sendBatch(topicMessages: TopicMessages[]): Promise<unknown>;
}

/**
 * Largest request handed to kafkajs at once. kafkajs does not split what it is given, and a broker
 * refuses a partition's record batch above `message.max.bytes` (1 MiB by default): a busy task
 * (a consumed batch of 1 MiB can become more than that as canonical Avro plus changelog) must send
 * in several requests, in order.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

function messageBytes(message: Message): number {
  let bytes = 64 + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += name.length + (value === undefined ? 0 : String(value).length);
  return bytes;
}

/** Splits messages into requests of at most `maxBytes` (a single larger message goes alone), keeping their order. */
export function splitRequests(topicMessages: readonly TopicMessages[], maxBytes: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of topicMessages) {
    let chunk: Message[] = [];
    for (const message of messages) {
      const bytes = messageBytes(message);
      if (currentBytes + bytes > maxBytes && currentBytes > 0) {
        if (chunk.length > 0) current.push({ topic, messages: chunk });
        requests.push(current);
        current = [];
        chunk = [];
        currentBytes = 0;
      }
      chunk.push(message);
      currentBytes += bytes;
    }
    if (chunk.length > 0) current.push({ topic, messages: chunk });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export class BufferingCollector implements RecordCollector {
  #byTopic = new Map<string, Message[]>();
  #bytes = 0;
  #count = 0;

  send(record: ProducedRecord): void {
    let list = this.#byTopic.get(record.topic);
    if (list === undefined) {
      list = [];
      this.#byTopic.set(record.topic, list);
    }
    const message: Message = {
      key: record.key,
      value: record.value,
      timestamp: String(record.timestamp),
    };
    if (record.partition !== undefined) message.partition = record.partition;
    message.headers = record.headers as Message['headers'];
    list.push(message);
    this.#bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0) + 32;
    this.#count += 1;
  }

  get bufferedBytes(): number {
    return this.#bytes;
  }

  get bufferedCount(): number {
    return this.#count;
  }

  /** Takes everything buffered, grouped by topic. */
  drain(): { topicMessages: TopicMessages[]; bytes: number; count: number } | undefined {
    if (this.#count === 0) return undefined;
    const topicMessages: TopicMessages[] = [];
    for (const [topic, messages] of this.#byTopic) topicMessages.push({ topic, messages });
    const drained = { topicMessages, bytes: this.#bytes, count: this.#count };
    this.#byTopic = new Map();
    this.#bytes = 0;
    this.#count = 0;
    return drained;
  }
}

export interface TaskRuntimeOptions {
  readonly taskId: string;
  readonly subTopologyId: number;
  readonly partition: number;
  /** Source and repartition topics this task reads (partition `partition` of each). */
  readonly inputTopics: readonly string[];
  readonly changelogs: readonly TaskChangelog[];
}

export class TaskRuntime {
  readonly taskId: string;
  readonly subTopologyId: number;
  readonly partition: number;
  readonly inputTopics: readonly string[];
  readonly changelogs: readonly TaskChangelog[];
  readonly collector = new BufferingCollector();

  state: TaskState = 'initializing';
  task: StreamTask | undefined;
  /** Exactly-once only. */
  producer: Producer | undefined;
  transaction: Transaction | undefined;
  /** Next offset to process, per input topic. */
  readonly positions = new Map<string, number>();
  /** Offsets whose commit has been acknowledged, per input topic. */
  readonly committed = new Map<string, number>();
  /** Something was sent or consumed since the last commit. */
  dirty = false;
  /** Set while the engine has paused this task's partitions because too much is in flight. */
  throttled = false;

  /** Set while a commit waits for writes outside Kafka: output stays in the collector meanwhile (it belongs to the next transaction). */
  #outputHeld = false;
  #released: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;

  #tail: Promise<unknown> = Promise.resolve();
  #inFlight = new Set<Promise<unknown>>();
  #lastSend: Promise<unknown> = Promise.resolve();
  #inFlightBytes = 0;
  #sendFailure: unknown;

  constructor(options: TaskRuntimeOptions) {
    this.taskId = options.taskId;
    this.subTopologyId = options.subTopologyId;
    this.partition = options.partition;
    this.inputTopics = options.inputTopics;
    this.changelogs = options.changelogs;
  }

  /** Runs `fn` after everything queued before it on this task. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /**
   * Hands everything buffered to the sender without waiting for the acknowledgement. Sends of one
   * task are chained, one request at a time: a retried request (e.g. CONCURRENT_TRANSACTIONS right
   * after a commit) must not be overtaken by the next one, or a sink partition — worse, a
   * changelog partition — would receive updates out of order.
   */
  sendBuffered(sender: TaskSender): void {
    if (this.#outputHeld) return;
    const drained = this.collector.drain();
    if (drained === undefined) return;
    this.dirty = true;
    this.#inFlightBytes += drained.bytes;
    const previous = this.#lastSend;
    const requests = splitRequests(drained.topicMessages, MAX_REQUEST_BYTES);
    const sendAll = async (): Promise<void> => {
      for (const request of requests) {
        if (this.#sendFailure !== undefined) return;
        await sender.sendBatch(request);
      }
    };
    const sending: Promise<unknown> = previous
      .then(sendAll)
      .then(
        () => {
          this.#inFlightBytes -= drained.bytes;
          this.#inFlight.delete(sending);
        },
        (error: unknown) => {
          this.#inFlightBytes -= drained.bytes;
          this.#inFlight.delete(sending);
          this.#sendFailure ??= error;
        },
      );
    this.#lastSend = sending;
    this.#inFlight.add(sending);
  }

  /** Keeps the task's output in its collector (`sendBuffered` sends nothing) until `releaseOutput()`. */
  holdOutput(): void {
    if (this.#outputHeld) return;
    this.#outputHeld = true;
    this.#released = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
  }

  releaseOutput(): void {
    if (!this.#outputHeld) return;
    this.#outputHeld = false;
    this.#release();
  }

  get outputHeld(): boolean {
    return this.#outputHeld;
  }

  /** Resolves when the output is no longer held (at once when it is not). */
  outputReleased(): Promise<void> {
    return this.#released;
  }

  /** Waits until every send handed out so far is acknowledged; throws the first send failure. */
  async awaitSends(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    this.throwIfSendFailed();
  }

  /**
   * A promise for every send handed out so far (sends are chained, so the last one settles after all
   * earlier ones); it rejects with the first send failure. Sends handed out later are not waited for.
   */
  sendsSoFar(): Promise<void> {
    return this.#lastSend.then(() => this.throwIfSendFailed());
  }

  /**
   * Waits until the bytes in flight drop to `bytes` or below. A send failure is left for the next
   * commit (`awaitSends`) to throw: consuming it here would let that commit succeed without the
   * records of the failed send.
   */
  async awaitInFlightBelow(bytes: number): Promise<void> {
    while (this.#inFlightBytes > bytes && this.#inFlight.size > 0 && this.#sendFailure === undefined) await Promise.race([...this.#inFlight]);
  }

  throwIfSendFailed(): void {
    if (this.#sendFailure !== undefined) {
      const failure = this.#sendFailure;
      this.#sendFailure = undefined;
      throw failure;
    }
  }

  /**
   * Offsets to commit (next offset to read per input partition) that differ from the committed ones,
   * each carrying the task's stream time as commit metadata, as Kafka Streams does.
   */
  offsetsToCommit(): { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[] {
    const topics: { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[] = [];
    const streamTime = this.task?.streamTime;
    const metadata = streamTime === undefined || streamTime < 0 ? null : encodeCommitMetadata(streamTime);
    for (const [topic, position] of this.positions) {
      if (this.committed.get(topic) !== position) topics.push({ topic, partitions: [{ partition: this.partition, offset: String(position), metadata }] });
    }
    return topics;
  }

  markCommitted(): void {
    for (const [topic, position] of this.positions) this.committed.set(topic, position);
    this.dirty = false;
  }

  /** Positions as they are now, to commit later (`markCommittedAt`) while processing goes on. */
  snapshotPositions(): ReadonlyMap<string, number> {
    return new Map(this.positions);
  }

  /** Records a commit of `snapshot`; the task stays dirty if it has processed further since. */
  markCommittedAt(snapshot: ReadonlyMap<string, number>): void {
    let caughtUp = true;
    for (const [topic, position] of snapshot) {
      if ((this.committed.get(topic) ?? -1) < position) this.committed.set(topic, position);
      if (this.positions.get(topic) !== position) caughtUp = false;
    }
    if (caughtUp) this.dirty = false;
  }
}

export const NO_COMPRESSION = CompressionTypes.None;

/** Commit metadata: `{"v":1,"streamTime":<ms>}`. */
export function encodeCommitMetadata(streamTime: number): string {
  return JSON.stringify({ v: 1, streamTime });
}

/** Stream time from commit metadata, or undefined when absent or written by something else. */
export function decodeCommitMetadata(metadata: string | null | undefined): number | undefined {
  if (metadata === null || metadata === undefined || metadata === '') return undefined;
  try {
    const parsed = JSON.parse(metadata) as { v?: unknown; streamTime?: unknown };
    return parsed.v === 1 && typeof parsed.streamTime === 'number' && Number.isFinite(parsed.streamTime) ? parsed.streamTime : undefined;
  } catch {
    return undefined;
  }
}
