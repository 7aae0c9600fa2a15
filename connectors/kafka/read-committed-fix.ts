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
 * The fix rewrites each fetched partition's list so that kafkajs' algorithm becomes exact: every
 * entry's `firstOffset` is moved to the first record of that producer's aborted transaction present
 * in this response (each such record is distinct, so one activation per record suffices), entries
 * with no record in the response are dropped, and the list is sorted. It wraps
 * `Broker.prototype.fetch`, a method looked up at call time, so it applies even if kafkajs was loaded
 * before this module. Applied once per process, idempotently.
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

/**
 * Rewrites `abortedTransactions` for kafkajs' one-pass filter (exported for tests): for each aborted
 * transaction, in offset order of the records, the offset of its first record in `messages`.
 */
export function alignAbortedTransactions(aborted: readonly AbortedTransaction[], messages: readonly FetchedMessage[]): AbortedTransaction[] {
  if (aborted.length === 0 || messages.length === 0) return [];
  // Per producer, its aborted transactions' first offsets in ascending order.
  const pending = new Map<string, bigint[]>();
  for (const entry of aborted) {
    const list = pending.get(String(entry.producerId)) ?? [];
    list.push(BigInt(entry.firstOffset));
    pending.set(String(entry.producerId), list);
  }
  for (const list of pending.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const inAborted = new Set<string>();
  const aligned: AbortedTransaction[] = [];
  for (const message of messages) {
    const context = message.batchContext;
    if (context === undefined) continue;
    const producer = String(context.producerId);
    if (message.isControlRecord === true) {
      if (message.key !== undefined && message.key !== null && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) inAborted.delete(producer);
      continue;
    }
    if (!context.inTransaction || inAborted.has(producer)) continue;
    const starts = pending.get(producer);
    if (starts === undefined || starts.length === 0) continue;
    const offset = BigInt(message.offset);
    // Transactions of this producer that started at or before this record and are not yet matched.
    let matched = false;
    while (starts.length > 0 && (starts[0] as bigint) <= offset) {
      starts.shift();
      matched = true;
    }
    if (matched) {
      inAborted.add(producer);
      aligned.push({ producerId: context.producerId, firstOffset: message.offset });
    }
  }
  return aligned;
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
          partition.abortedTransactions = alignAbortedTransactions(partition.abortedTransactions, partition.messages);
        }
      }
    }
    return response;
  };
  prototype[PATCHED] = true;
}

installReadCommittedFix();
