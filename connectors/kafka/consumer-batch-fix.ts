/**
 * Work-around for a kafkajs 2.2.4 hot spot: a fetched partition's `Batch` keeps the messages at or after
 * the fetched offset by parsing every message's offset into a BigInt-backed `Long` (`Long.fromValue(offset)
 * .gte(fetchedOffset)`): an allocation and a decimal parse per record, on every consumer.
 *
 * This module replaces kafkajs' `consumer/batch.js` with a subclass of kafkajs' own class (compiled from
 * its file) whose constructor does the same selection by comparing the decimal offsets as strings: for
 * non-negative integers without leading zeros, as Kafka's offsets are written, the shorter string is
 * the smaller number and equal lengths compare like the numbers. Any offset not of that form takes
 * kafkajs' own comparison. Everything else (aborted transactions, control records, every method) is
 * kafkajs' code. Installed by connectors/kafka/kafkajs.ts before kafkajs loads its consumer.
 */
import { createRequire } from 'node:module';
import { replaceUnlessLoaded, shippedModule } from './module-cache.js';

const require = createRequire(import.meta.url);

const BATCH_PATH = 'kafkajs/src/consumer/batch.js';

interface FetchedMessage {
  readonly offset: string;
  readonly isControlRecord?: boolean;
}
interface PartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly abortedTransactions?: unknown[];
  readonly messages: FetchedMessage[];
}
type BatchClass = new (topic: string, fetchedOffset: string, partitionData: PartitionData) => {
  rawMessages: FetchedMessage[];
  messagesWithinOffset: FetchedMessage[];
  messages: FetchedMessage[];
};

const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): { gte(other: unknown): boolean } };
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (args: {
  messages: FetchedMessage[];
  abortedTransactions?: unknown[];
}) => FetchedMessage[];

/** A non-negative integer written without leading zeros (or "0"): compared as a string, exactly. */
const PLAIN_OFFSET = /^(?:0|[1-9]\d*)$/;

/** offset >= fetched, for decimal strings; `fetchedIsPlain` says whether `fetched` matched PLAIN_OFFSET. */
function atOrAfter(offset: unknown, fetched: string, fetchedIsPlain: boolean): boolean {
  if (!fetchedIsPlain || typeof offset !== 'string') return Long.fromValue(offset).gte(fetched);
  const first = offset.charCodeAt(0);
  // A plain offset starts with a digit, and with 0 only if it is "0"; anything else is kafkajs' case
  // (digits after the first are not checked: the decoders write offsets with BigInt/Long toString).
  if (first < 48 || first > 57 || (first === 48 && offset.length > 1)) return Long.fromValue(offset).gte(fetched);
  if (offset.length !== fetched.length) return offset.length > fetched.length;
  return offset >= fetched;
}

/** The messages of `messages` at or after `fetchedOffset`, as kafkajs' Batch selects them. */
export function messagesWithinOffset(messages: readonly FetchedMessage[], fetchedOffset: unknown): FetchedMessage[] {
  const fetched = String(fetchedOffset);
  const fetchedIsPlain = PLAIN_OFFSET.test(fetched);
  return messages.filter((message) => atOrAfter(message.offset, fetched, fetchedIsPlain));
}

let FastBatch: BatchClass | undefined;

/** kafkajs' Batch with the offset selection above; built on first use from kafkajs' own class. */
export function consumerBatchClass(): BatchClass {
  if (FastBatch !== undefined) return FastBatch;
  const Shipped = shippedModule<BatchClass>(BATCH_PATH);
  FastBatch = class Batch extends Shipped {
    constructor(topic: string, fetchedOffset: string, partitionData: PartitionData) {
      // kafkajs' constructor sets every field; given no messages, it does no per-message work.
      super(topic, fetchedOffset, { ...partitionData, messages: [] });
      this.rawMessages = partitionData.messages;
      this.messagesWithinOffset = messagesWithinOffset(partitionData.messages, fetchedOffset);
      this.messages = filterAbortedMessages({
        messages: this.messagesWithinOffset,
        ...(partitionData.abortedTransactions === undefined ? {} : { abortedTransactions: partitionData.abortedTransactions }),
      }).filter((message) => !message.isControlRecord);
    }
  };
  return FastBatch;
}

/** True when kafkajs' consumer builds this Batch (false if kafkajs loaded its own first). */
export function installConsumerBatchFix(): boolean {
  return replaceUnlessLoaded(BATCH_PATH, consumerBatchClass());
}

installConsumerBatchFix();
