/**
 * Work-around for a kafkajs 2.2.4 bug that breaks read_committed.
 *
 * kafkajs drops aborted transactional records with `filterAbortedMessages`, which walks the
 * fetched records once and activates at most one entry of the broker's `abortedTransactions` list
 * per record, assuming the list is sorted by `firstOffset`. The broker sorts it by the offset of
 * the abort *marker* instead. When several producers' transactions are aborted together — exactly
 * what happens when a crashed instance's tasks are fenced — the list is out of order, activation
 * comes too late, and the start of an aborted transaction is delivered as if committed (seen on
 * Kafka 4.4: a repartition topic read with read_committed returned 113 aborted records).
 *
 * The fix decides which records are aborted as the Java consumer does (`abortedRecordOffsets`) and
 * rewrites each fetched partition so that kafkajs' filter drops exactly those (`markAbortedRecords`).
 * It wraps `Broker.prototype.fetch`, a method looked up at call time, so it applies even if kafkajs
 * was loaded before this module. Applied once per process, idempotently.
 */
import { createRequire } from 'node:module';

interface FetchedMessage {
  readonly offset: string;
  readonly isControlRecord?: boolean;
  readonly key?: Buffer | null;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
}

interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

interface FetchedPartition {
  abortedTransactions?: AbortedTransaction[];
  messages?: FetchedMessage[];
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const PATCHED = Symbol.for('quintet.kafkajs.readCommittedFix');

/** A producer id no broker hands out: aborted records are moved to it so that kafkajs drops exactly them. */
export const ABORTED_PRODUCER = '-2';

/**
 * The offsets of the aborted transactional records in one fetched partition, computed as the Java
 * consumer does (exported for tests): aborted transactions are taken in order of their first offset;
 * a transaction becomes active for its producer once a record at or after its first offset is reached
 * (whatever the producer of that record), and stops at that producer's abort marker. While a producer
 * is active, its transactional data records are aborted.
 *
 * Activating at the producer's own first record instead (the previous version of this fix) was wrong
 * when a fetch starts between an aborted transaction's last record and its abort marker (a fetch cut
 * by maxBytes there): the transaction was then matched to the producer's *next* transaction — a
 * committed one — which was dropped as aborted. The streams engine lost whole repartition
 * transactions that way after a crash (docs/kafka-engine.md).
 */
export function abortedRecordOffsets(aborted: readonly AbortedTransaction[], messages: readonly FetchedMessage[]): Set<string> {
  const result = new Set<string>();
  if (aborted.length === 0 || messages.length === 0) return result;
  const pending = aborted
    .map((entry) => ({ producerId: String(entry.producerId), firstOffset: BigInt(entry.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  let next = 0;
  const active = new Set<string>();
  for (const message of messages) {
    const offset = BigInt(message.offset);
    while (next < pending.length && (pending[next] as { firstOffset: bigint }).firstOffset <= offset) {
      active.add((pending[next] as { producerId: string }).producerId);
      next += 1;
    }
    const context = message.batchContext;
    if (context === undefined) continue;
    const producer = String(context.producerId);
    if (message.isControlRecord === true) {
      if (message.key !== undefined && message.key !== null && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) active.delete(producer);
      continue;
    }
    if (context.inTransaction && active.has(producer)) result.add(message.offset);
  }
  return result;
}

/**
 * Rewrites a fetched partition so that kafkajs' own filter drops exactly the aborted records: each
 * aborted record gets a copy of its batch context with the producer id ABORTED_PRODUCER, and the
 * aborted-transaction list becomes that one producer, active from the first record on (it has no
 * abort marker, so it stays active). Offsets and control records are untouched, so kafkajs' batch
 * positions (first/last offset, empty-due-to-filtering) are the same as before.
 */
export function markAbortedRecords(partition: FetchedPartition): void {
  const aborted = partition.abortedTransactions;
  const messages = partition.messages;
  if (aborted === undefined || aborted.length === 0 || messages === undefined) return;
  const offsets = abortedRecordOffsets(aborted, messages);
  if (offsets.size === 0) {
    partition.abortedTransactions = [];
    return;
  }
  const marked = new Map<object, { producerId: string; inTransaction: boolean }>();
  partition.messages = messages.map((message) => {
    const context = message.batchContext;
    if (context === undefined || !offsets.has(message.offset)) return message;
    let abortedContext = marked.get(context);
    if (abortedContext === undefined) {
      abortedContext = { ...context, producerId: ABORTED_PRODUCER, inTransaction: true };
      marked.set(context, abortedContext);
    }
    // No key: kafkajs takes any record keyed 0x00000000 for an abort marker, which would end the
    // sentinel's transaction; the record is dropped anyway.
    return { ...message, key: null, batchContext: abortedContext };
  });
  partition.abortedTransactions = [{ producerId: ABORTED_PRODUCER, firstOffset: '0' }];
}

export function installReadCommittedFix(): void {
  const require = createRequire(import.meta.url);
  const Broker = require('kafkajs/src/broker/index.js') as { prototype: Record<string | symbol, unknown> };
  const prototype = Broker.prototype;
  if (prototype[PATCHED] === true) return;
  const original = prototype.fetch as (this: unknown, ...args: unknown[]) => Promise<{ responses?: { partitions?: FetchedPartition[] }[] }>;
  prototype.fetch = async function fetchWithOrderedAbortedTransactions(this: unknown, ...args: unknown[]) {
    const response = await original.apply(this, args);
    for (const topic of response.responses ?? []) {
      for (const partition of topic.partitions ?? []) {
        if (Array.isArray(partition.abortedTransactions) && partition.abortedTransactions.length > 0 && Array.isArray(partition.messages)) {
          markAbortedRecords(partition);
        }
      }
    }
    return response;
  };
  prototype[PATCHED] = true;
}

installReadCommittedFix();
