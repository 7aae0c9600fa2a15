/**
 * The Kafka engine against the ceiling of its client: a pass-through topology (source → sink, bytes
 * serdes) run by KafkaStreams, versus a bare kafkajs consume-and-produce loop with the same
 * settings (same input, fetch sizes, concurrency, acks=-1, no compression, commit interval), on the
 * same broker, in one run, interleaved (bare, runtime, bare, runtime…) because the machine is noisy.
 *
 * - `runtime.passthrough.ratio_to_bare`: at-least-once on both sides (bare: send, await, commit
 *   offsets every commit interval).
 * - `runtime.passthrough_eos.ratio_to_bare`: exactly-once on both sides (bare: one transactional
 *   producer per input partition, send + sendOffsets + commit every commit interval).
 *
 * Each run reads the whole input from the beginning with a fresh consumer group; its time runs from
 * start until the group's committed offsets cover the whole input (committed = done, on both sides).
 */
import { randomUUID } from 'node:crypto';
// First, so that both the runtime and the bare loop run kafkajs with the same fixes (connectors/kafka).
import { createKafkaClient } from '../connectors/kafka/client.js';
import type { Consumer, Kafka, Producer, Transaction } from 'kafkajs';
import { CompressionTypes, Partitioners } from '../connectors/kafka/kafkajs.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { loadConfig, type QuintetConfig } from '../core/config.js';
import { KafkaStreams } from '../streams/kafka/index.js';
import { Serdes } from '../streams/serdes.js';
import { recordTimestampExtractor } from '../streams/time.js';
import { Topology } from '../streams/topology.js';
import { ratioFigure, summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';

const PARTITIONS = 4;
const VALUE_BYTES = 200;
export const COMMIT_INTERVAL_MS = 100;
export const CONSUMER = { maxBytesPerPartition: 1024 * 1024, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 100, concurrency: 4 };

type Guarantee = 'at_least_once' | 'exactly_once';

async function produceInput(kafka: Kafka, topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const chunk = 5_000;
  for (let i = 0; i < count; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + chunk); j += 1) messages.push({ key: `key-${j % 1_000}`, value, timestamp: String(Date.now()) });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

export async function waitUntilCommitted(admin: KafkaTopicAdmin, groupId: string, topic: string, end: ReadonlyMap<number, number>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const committed = await admin.committedOffsets(groupId, topic);
    let done = true;
    for (const [partition, high] of end) if (Number(committed.get(partition) ?? -1) < high) done = false;
    if (done) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not finish within ${Math.round(timeoutMs / 60_000)} minutes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function passthrough(input: string, output: string): Topology {
  const topology = new Topology();
  topology.addSource('in', input, { keySerde: Serdes.Bytes(), valueSerde: Serdes.Bytes(), timestampExtractor: recordTimestampExtractor });
  topology.addSink('out', output, { keySerde: Serdes.Bytes(), valueSerde: Serdes.Bytes() }, 'in');
  return topology;
}

/** Runs the topology on KafkaStreams until the input is fully committed; returns records/s. */
async function runRuntime(config: QuintetConfig, kafka: Kafka, admin: KafkaTopicAdmin, io: Io, guarantee: Guarantee): Promise<number> {
  const applicationId = `bench-runtime-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  const streams = new KafkaStreams(passthrough(io.input, io.output), {
    config,
    kafka,
    applicationId,
    processingGuarantee: guarantee,
    commitIntervalMs: COMMIT_INTERVAL_MS,
    consumer: {
      maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
      maxBytes: CONSUMER.maxBytes,
      maxWaitTimeMs: CONSUMER.maxWaitTimeInMs,
      partitionsConsumedConcurrently: CONSUMER.concurrency,
    },
  });
  await streams.start();
  await waitUntilCommitted(admin, applicationId, io.input, io.end);
  const seconds = (performance.now() - started) / 1000;
  await streams.close();
  await admin.deleteGroups([applicationId]).catch(() => undefined);
  return io.count / seconds;
}

/** The bare kafkajs loop: what a careful hand-written consume-transform-produce service does (bench/ingest-e2e.ts reuses it). */
export async function runBare(kafka: Kafka, admin: KafkaTopicAdmin, io: Io, guarantee: Guarantee): Promise<number> {
  const groupId = `bench-bare-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
    maxBytes: CONSUMER.maxBytes,
    maxWaitTimeInMs: CONSUMER.maxWaitTimeInMs,
    readUncommitted: false,
  });
  const producers: Producer[] = [];
  let shared: Producer | undefined;
  if (guarantee === 'at_least_once') {
    shared = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: false });
    await shared.connect();
    producers.push(shared);
  }
  const transactional = new Map<number, { producer: Producer; transaction: Transaction; lastCommit: number; next: string | undefined }>();
  const transactionalFor = async (partition: number) => {
    let entry = transactional.get(partition);
    if (entry === undefined) {
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        transactionalId: `${groupId}-${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { initialRetryTime: 5, maxRetryTime: 1_000, retries: 15 },
      });
      await producer.connect();
      producers.push(producer);
      entry = { producer, transaction: await producer.transaction(), lastCommit: Date.now(), next: undefined };
      transactional.set(partition, entry);
    }
    return entry;
  };
  await consumer.connect();
  await consumer.subscribe({ topics: [io.input], fromBeginning: true });
  await consumer.run({
    autoCommit: guarantee === 'at_least_once',
    autoCommitInterval: COMMIT_INTERVAL_MS,
    partitionsConsumedConcurrently: CONSUMER.concurrency,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: m.headers }));
      if (shared !== undefined) {
        await shared.sendBatch({ topicMessages: [{ topic: io.output, messages }], acks: -1, compression: CompressionTypes.None });
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        return;
      }
      const entry = await transactionalFor(batch.partition);
      await entry.transaction.sendBatch({ topicMessages: [{ topic: io.output, messages }], acks: -1, compression: CompressionTypes.None });
      entry.next = String(Number(batch.lastOffset()) + 1);
      resolveOffset(batch.lastOffset());
      const done = Number(entry.next) >= (io.end.get(batch.partition) ?? 0);
      if (Date.now() - entry.lastCommit >= COMMIT_INTERVAL_MS || done) {
        await entry.transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: io.input, partitions: [{ partition: batch.partition, offset: entry.next }] }] });
        await entry.transaction.commit();
        entry.transaction = await entry.producer.transaction();
        entry.lastCommit = Date.now();
      }
    },
  });
  await waitUntilCommitted(admin, groupId, io.input, io.end);
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  await Promise.all(producers.map((p) => p.disconnect()));
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return io.count / seconds;
}

export interface Io {
  readonly input: string;
  readonly output: string;
  readonly count: number;
  /** End offset per input partition. */
  readonly end: ReadonlyMap<number, number>;
}

async function compare(
  name: string,
  guarantee: Guarantee,
  runs: number,
  run: { bare: () => Promise<number>; runtime: () => Promise<number> },
): Promise<Figure[]> {
  const bare: number[] = [];
  const runtime: number[] = [];
  // CPU time of this process per run (both sides run here, one after the other): unlike throughput,
  // it hardly moves when other work on a shared machine takes the cores.
  let bareCpu = 0;
  let runtimeCpu = 0;
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  for (let i = 0; i < runs; i += 1) {
    let since = process.cpuUsage();
    bare.push(await run.bare());
    bareCpu += cpuMs(since);
    since = process.cpuUsage();
    runtime.push(await run.runtime());
    runtimeCpu += cpuMs(since);
  }
  const pairRatios = runtime.map((r, i) => (r / (bare[i] as number)).toFixed(2)).join(', ');
  const throughput = summarize(name.replace(/ratio_to_bare$/, 'records_per_s'), 'records/s', runtime);
  const baseline = summarize(`${name}.bare`, 'records/s', bare);
  const setting = `pass-through, ${PARTITIONS} partitions, ${VALUE_BYTES}-byte values, acks=-1, no compression, commit every ${COMMIT_INTERVAL_MS} ms`;
  const what = `bare kafkajs consume-produce loop (${guarantee})`;
  return [
    { ...throughput, baseline: { name: what, value: baseline.value }, ratio: throughput.value / baseline.value, notes: `${setting}; interleaved pair ratios: ${pairRatios}` },
    ratioFigure(name, what, runtime, bare, `${setting}; CPU time runtime/bare ${(runtimeCpu / bareCpu).toFixed(2)}; bare range ${Math.round(baseline.min)}–${Math.round(baseline.max)} records/s`, 'records/s'),
  ];
}

export const suite: BenchSuite = {
  name: 'runtime',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    const config = loadConfig({ env: process.env });
    const kafka = createKafkaClient(config, { clientIdSuffix: 'bench-runtime' });
    const admin = new KafkaTopicAdmin(kafka);
    const id = randomUUID().slice(0, 8);
    const io = { input: `bench-runtime-${id}-in`, output: `bench-runtime-${id}-out` };
    // Enough records that a run lasts over a second: with the kafkajs work-arounds the bare loop passes
    // ~150k-200k records/s here, and 40k records (0.2 s) measured start-up (group join, producers) more than throughput.
    const count = options.quick ? 200_000 : 400_000;
    const runs = options.quick ? 2 : 3;
    try {
      await admin.ensureTopics([
        { name: io.input, partitions: PARTITIONS, replicationFactor: 1 },
        { name: io.output, partitions: PARTITIONS, replicationFactor: 1 },
      ]);
      await produceInput(kafka, io.input, count);
      const end = new Map([...(await admin.offsetRange(io.input))].map(([partition, range]) => [partition, Number(range.high)]));
      const full: Io = { ...io, count, end };
      const figures: Figure[] = [];
      for (const [name, guarantee] of [
        ['runtime.passthrough.ratio_to_bare', 'at_least_once'],
        ['runtime.passthrough_eos.ratio_to_bare', 'exactly_once'],
      ] as const) {
        figures.push(
          ...(await compare(name, guarantee, runs, {
            bare: () => runBare(kafka, admin, full, guarantee),
            runtime: () => runRuntime(config, kafka, admin, full, guarantee),
          })),
        );
      }
      return figures;
    } finally {
      await admin.deleteTopics([io.input, io.output]).catch(() => undefined);
      await admin.close();
    }
  },
};
