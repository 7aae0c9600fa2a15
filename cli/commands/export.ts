/**
 * `quintet export --topic T [--out FILE]`: a topic as NDJSON (docs/hash-chain.md, "Export format"),
 * read with read_committed from the beginning to the end offsets captured at start.
 *
 * Canonical values are decoded from Avro in the Confluent wire format (through the schema registry) or
 * from the JSON envelope `{event, chain}`; checkpoint values are JSON.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import type { QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { ConfluentAvroCodec, connectSchemaRegistry, MAGIC_BYTE } from '../../connectors/schema-registry/index.js';
import { exportLine, type ExportedCheckpoint, type ExportedRecord } from '../../processors/chain/export-format.js';
import { fromAvroRecord, type CanonicalEnvelope } from '../../schemas/avro.js';
import type { ChainCheckpoint } from '../../processors/chain/checkpoint.js';
import { configFor } from '../context.js';

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string>>;
}

/**
 * Reads every committed record of `topic`, partition by partition in offset order, up to the end
 * offsets taken when the read starts. A consumer group of its own (random id, never committed), because
 * kafkajs has no manual assignment. Positions advance over transaction markers through END_BATCH_PROCESS.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onRecord: (record: TopicRecord) => void | Promise<void>,
  options: { idleTimeoutMs?: number } = {},
): Promise<{ records: number; partitions: number }> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const partitions = ends.size;
  if (ends.size === 0) return { records: 0, partitions: 0 };

  const consumer = kafka.consumer({ groupId: `quintet-export-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const positions = new Map<number, bigint>();
  let records = 0;
  let finish: () => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const complete = (): boolean => [...ends].every(([partition, end]) => (positions.get(partition) ?? -1n) >= end);
  let lastProgress = Date.now();
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > idleTimeoutMs) fail(new QuintetError('EXPORT_STALLED', `no progress reading ${topic} for ${idleTimeoutMs} ms`));
  }, 1_000);
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { partition, lastOffset } = event.payload as { partition: number; lastOffset: string };
    const next = BigInt(lastOffset) + 1n;
    if (next > (positions.get(partition) ?? -1n)) positions.set(partition, next);
    lastProgress = Date.now();
    if (complete()) finish();
  });
  consumer.on(consumer.events.CRASH, (event) => fail(event.payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        for (const message of batch.messages) {
          if (end === undefined || BigInt(message.offset) >= end) break;
          records += 1;
          const headers: Record<string, Buffer | string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = Array.isArray(value) ? (value[0] as Buffer | string) : value;
          await onRecord({ topic, partition: batch.partition, offset: message.offset, key: message.key ?? null, value: message.value ?? null, headers });
        }
      },
    });
    await done;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect();
  }
  return { records, partitions };
}

/** Decodes canonical values: Confluent-framed Avro (registry) or the JSON envelope `{event, chain}`. */
export class CanonicalValueDecoder {
  readonly #config: QuintetConfig;
  #codec: ConfluentAvroCodec<Record<string, unknown>> | undefined;

  constructor(config: QuintetConfig) {
    this.#config = config;
  }

  async decode(value: Buffer | null): Promise<CanonicalEnvelope | undefined> {
    if (value === null || value.length === 0) return undefined;
    if (value[0] === MAGIC_BYTE) {
      this.#codec ??= new ConfluentAvroCodec(connectSchemaRegistry(this.#config));
      return fromAvroRecord(await this.#codec.decode(value));
    }
    try {
      const parsed = JSON.parse(value.toString('utf8')) as { event?: unknown; chain?: unknown };
      if (parsed.event === null || typeof parsed.event !== 'object') return undefined;
      return parsed as CanonicalEnvelope;
    } catch {
      return undefined;
    }
  }
}

export function parseCheckpointValue(value: Buffer | null): ChainCheckpoint | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as ChainCheckpoint;
    return Number.isInteger(parsed.partition) && Number.isInteger(parsed.sequence) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a topic as export lines; undecodable records are reported on stderr by offset, never by content. */
export async function exportTopic(config: QuintetConfig, topic: string, write: (line: string) => void | Promise<void>): Promise<{ records: number; skipped: number }> {
  const kafka = createKafkaClient(config, { clientIdSuffix: 'export' });
  const decoder = new CanonicalValueDecoder(config);
  const isCheckpoints = topic === config.topics.checkpoints;
  let skipped = 0;
  const { records } = await readTopicToEnd(kafka, topic, async (record) => {
    if (isCheckpoints) {
      const checkpoint = parseCheckpointValue(record.value);
      if (checkpoint === undefined) skipped += 1;
      else await write(exportLine({ topic, partition: record.partition, offset: record.offset, checkpoint } satisfies ExportedCheckpoint));
      return;
    }
    const envelope = await decoder.decode(record.value);
    if (envelope === undefined) {
      skipped += 1;
      process.stderr.write(`quintet export: ${topic}/${record.partition}@${record.offset} is not a canonical record; skipped\n`);
      return;
    }
    await write(exportLine({ topic, partition: record.partition, offset: record.offset, event: envelope.event, chain: envelope.chain ?? null } satisfies ExportedRecord));
  });
  return { records, skipped };
}

function writerFor(out: string | undefined): { write: (line: string) => Promise<void>; close: () => Promise<void> } {
  if (out === undefined) {
    return {
      write: (line) => new Promise<void>((resolve) => (process.stdout.write(line) ? resolve() : process.stdout.once('drain', () => resolve()))),
      close: async () => {},
    };
  }
  const stream: WriteStream = createWriteStream(out, { flags: 'w' });
  return {
    write: (line) => new Promise<void>((resolve, reject) => (stream.write(line, (error) => (error ? reject(error) : resolve())))),
    close: () => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))),
  };
}

export function register(program: Command): void {
  program
    .command('export')
    .description('Export a topic (canonical or checkpoints) as NDJSON with partition, offset, event and chain fields')
    .requiredOption('--topic <topic>', 'topic to export (e.g. quintet.canonical, quintet.chain-checkpoints)')
    .option('--out <file>', 'output file (default: standard output)')
    .action(async (options: { topic: string; out?: string }, command: Command) => {
      const config = configFor(command);
      const writer = writerFor(options.out);
      try {
        const { records, skipped } = await exportTopic(config, options.topic, writer.write);
        process.stderr.write(`${JSON.stringify({ topic: options.topic, records, skipped })}\n`);
      } finally {
        await writer.close();
      }
    });
}
