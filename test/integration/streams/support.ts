/**
 * Helpers shared by the Kafka-engine integration tests: produce a deterministic input, read a topic
 * back with read_committed, and check windowed-count outputs.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import { WINDOW_MS, windowKey } from './fixtures/windowed-count.js';

export interface InputRecord {
  /** The user the record is counted for (in the value; the record key is unrelated, so counting repartitions). */
  readonly key: string;
  readonly seq: number;
  readonly timestamp: number;
}

/**
 * A window start an hour ago. Input must carry recent timestamps: the broker's time retention (24 h on
 * the local stack) deletes records by their timestamp, and a fixed date in the past made it delete
 * test input (and, with 7-day repartition retention then, repartition records) mid-test.
 */
export function recentWindowStart(): number {
  return Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 60 * WINDOW_MS;
}

/** `count` records over `keys` keys and a few windows from `baseTime`; deterministic for a given count and base. */
export function windowedInput(count: number, keys = 12, windows = 4, baseTime = recentWindowStart()): InputRecord[] {
  const records: InputRecord[] = [];
  for (let seq = 0; seq < count; seq += 1) {
    const key = `user-${(seq * 7) % keys}`;
    const window = Math.floor((seq / count) * windows);
    records.push({ key, seq, timestamp: baseTime + window * WINDOW_MS + (seq % 1000) });
  }
  return records;
}

/**
 * Produces `records` in chunks of `chunk`; with `pauseMs`, waits that long between chunks, so input
 * keeps arriving for a predictable time (the crash test uses it to kill while transactions are open).
 */
export async function produceInput(kafka: Kafka, topic: string, records: readonly InputRecord[], chunk = 2_000, pauseMs = 0): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await producer.send({
        topic,
        acks: -1,
        messages: records
          .slice(i, i + chunk)
          .map((r) => ({ key: `k${r.seq % 97}`, value: JSON.stringify({ user: r.key, seq: r.seq }), timestamp: String(r.timestamp) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface OutputRecord {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Reads `topic` from the beginning with read_committed until `done(records)` holds and the consumer
 * has caught up with the end of every partition, or `timeoutMs` passes (then returns what it has).
 */
export async function readCommitted(
  kafka: Kafka,
  topic: string,
  done: (records: readonly OutputRecord[]) => boolean,
  timeoutMs = 90_000,
  isolation: 'read_committed' | 'read_uncommitted' = 'read_committed',
): Promise<OutputRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, readUncommitted: isolation === 'read_uncommitted', maxWaitTimeInMs: 200 });
  const records: OutputRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(finish, timeoutMs);
  const check = setInterval(() => {
    if (done(records)) finish();
  }, 250);
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        records.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition: batch.partition, offset: message.offset });
      }
    },
  });
  await finished;
  clearTimeout(timer);
  clearInterval(check);
  await consumer.disconnect();
  return records;
}

export function expectedFinalCounts(input: readonly InputRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of input) {
    const key = windowKey(r.key, r.timestamp);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface CountCheck {
  /** (key, window) whose committed updates are not exactly 1, 2, …, n. */
  readonly wrong: { key: string; updates: number[]; expected: number }[];
  readonly totalUpdates: number;
  readonly duplicatedValues: number;
  readonly missingValues: number;
}

/**
 * Exactly-once, observable: the committed updates of each (key, window) are exactly 1…n in order,
 * where n is the true count. A duplicate (reprocessing after a crash) repeats a value or restarts
 * the sequence; a loss leaves a gap or a smaller final count.
 */
export function checkWindowedCounts(output: readonly OutputRecord[], expected: ReadonlyMap<string, number>): CountCheck {
  const updates = new Map<string, number[]>();
  for (const record of output) {
    const list = updates.get(record.key) ?? [];
    list.push(Number(record.value));
    updates.set(record.key, list);
  }
  const wrong: CountCheck['wrong'] = [];
  let duplicatedValues = 0;
  let missingValues = 0;
  for (const key of new Set([...expected.keys(), ...updates.keys()])) {
    const seen = updates.get(key) ?? [];
    const n = expected.get(key) ?? 0;
    const ok = seen.length === n && seen.every((value, index) => value === index + 1);
    if (!ok) wrong.push({ key, updates: seen.length > 40 ? [...seen.slice(0, 20), -1, ...seen.slice(-20)] : seen, expected: n });
    const distinct = new Set(seen);
    duplicatedValues += seen.length - distinct.size;
    for (let v = 1; v <= n; v += 1) if (!distinct.has(v)) missingValues += 1;
  }
  return { wrong, totalUpdates: output.length, duplicatedValues, missingValues };
}
