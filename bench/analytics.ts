/**
 * Analytics speed on the real ClickHouse (and schema registry) of the local stack.
 *
 * - `analytics.rows_per_s`: canonical-topic records (Confluent-framed Avro, as on the topic) → the
 *   analytics topology on the streams task (Avro decode → row → BatchingSink → insert) → ClickHouse
 *   (`events` and its two materialized views), one million events; consumed batches of 2 000 records
 *   (kafkajs' 1 MiB fetch) and a commit (which waits for ClickHouse's acknowledgement) at the deployment's default
 *   `clickhouse.commitIntervalMs`. Beside it, a row-by-row
 *   insert loop (one INSERT per row) measured in the same run. The events are in log order, as on the
 *   canonical topic (arrival order: times rise with the offset over 56 days, 2 % late by up to ten
 *   minutes).
 * - `analytics.kafka.rows_per_s`: the analytics deployment as `quintet run analytics` runs it, on
 *   KafkaStreams in a process of its own, from a 4-partition canonical topic filled with the million
 *   records until ClickHouse acknowledged them all, kafkajs' fetch and decode included; `.steady` from
 *   the moment it had acknowledged a fifth; `analytics.kafka.committed.rows_per_s` until the group had
 *   also committed every offset (which happens every `clickhouse.commitIntervalMs`, so it can come up
 *   to one interval later). Before session 6 the bench measured only until committed, at 1 s commits,
 *   which was within 0.5 % of the acknowledged figure. The bench then checks that ClickHouse holds every
 *   event exactly once. `analytics.kafka.node_cpu_us_per_row` (and `.steady.`): that process's own CPU
 *   time per row until ClickHouse acknowledged everything (process.cpuUsage, so other load on the
 *   machine does not count, ClickHouse's neither).
 *   QUINTET_BENCH_PROFILE_DIR=DIR writes a V8 CPU profile of that process there.
 * - `analytics.shuffled.rows_per_s`: the same path and million events with times at random over the
 *   56 days (a shuffled backfill, every batch touching every minute bucket and both months): the worst
 *   case for ClickHouse's parts and views, and what `analytics.rows_per_s` measured before it was in
 *   log order; `analytics.shuffled.server_ingest.*` likewise.
 * - `analytics.previous_pipeline.rows_per_s` and `analytics.speedup_vs_previous`: the same input
 *   through the path as it was before (full Avro decode with JSON parsing of the free-form fields,
 *   JSONEachRow, one insert per consumed batch), interleaved with the shipped path; the speedup is the
 *   median of the paired per-round ratios.
 * - `analytics.projection_pipeline.rows_per_s` and `analytics.transcoder_speedup_vs_projection`: the
 *   path shipped before the transcoder (projection decode → AnalyticsRow → RowBinary), in the same
 *   rounds; the shipped path transcodes Avro straight to RowBinary (avro-row-binary.ts).
 * - `analytics.shipped_pipeline.two_in_flight.rows_per_s`: the shipped path with two batches inserted
 *   at once (BatchingSink maxInFlight 2; ClickHouse inserts each on one thread), in the same rounds.
 * - `analytics.insert_format.*`: encoding + insert of the same rows in each format (RowBinary,
 *   TabSeparated, JSONEachRow), rotating order; JSONCompactEachRow is not measured because 18.16 does
 *   not read it.
 * - `analytics.{projection,shipped}_pipeline.rows_per_cpu_s`: the same rounds per CPU second of this
 *   process, i.e. the Node side's cost without waiting for ClickHouse.
 * - `analytics.server_ingest.*`: ClickHouse's insert alone (bodies encoded beforehand) into `events`
 *   with its materialized views and into a copy without them: the ceiling of the whole path; with
 *   `…server_cpu_us_per_row`, the ClickHouse server's own CPU time per row (from /proc, when the server
 *   is the local stack's process), which other load hardly moves.
 * - `analytics.stage.*`: rows per CPU second of each step, to see where the time goes;
 *   `analytics.stage.transcode_row_binary` (Avro → RowBinary rows, one pass) beside
 *   `analytics.stage.projection_chain_row_binary` (projection decode → row → RowBinary) on the same records.
 * - `analytics.dashboard.<name>.latency_ms`: each dashboard over the one million events.
 *
 * Events are the synthetic mix with what real canonical events carry beside the analytics fields
 * (a client user agent, analytics properties and entity details as JSON text, the chain link), and
 * the records the six CloudEvents headers the ingest writes (which kafkajs decodes for every record).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IHeaders } from 'kafkajs';
import { Partitioners } from '../connectors/kafka/kafkajs.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { ClickHouseDashboardBackend, ClickHouseEventWriter, encodeInsertBody } from '../connectors/clickhouse/analytics-store.js';
import { migrate } from '../connectors/clickhouse/migrations.js';
import { ClickHouseServer, connectionOptionsFrom, type ClickHouseConnectionOptions, type InsertFormat } from '../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../connectors/clickhouse/sql-literal.js';
import { connectSchemaRegistry } from '../connectors/schema-registry/client.js';
import { loadConfig, type QuintetConfig } from '../core/config.js';
import { QuintetMetrics } from '../core/metrics.js';
import { toAnalyticsRow, type AnalyticsRow } from '../processors/analytics/analytics-row.js';
import type { AnalyticsSourceValue, CanonicalEnvelopeValue, FlushPolicy } from '../processors/analytics/analytics-sink-processor.js';
import { completeLogPosition } from '../processors/analytics/avro-row-binary.js';
import { encodeRowBinary } from '../processors/analytics/row-binary.js';
import type { BatchWriter } from '../processors/analytics/batching-sink.js';
import { DASHBOARDS, DashboardRunner } from '../processors/analytics/dashboards.js';
import { syntheticEvents } from '../processors/analytics/synthetic-events.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import type { ConsumedRecord } from '../streams/records.js';
import { Serdes, type Serde } from '../streams/serdes.js';
import { StreamTask } from '../streams/task.js';
import { analyticsCanonicalSerde, analyticsProjectionSerde, buildAnalyticsTopology } from '../topologies/analytics.js';
import { canonicalAvroSerde, openDeployment } from '../topologies/deployments.js';
import { cloudEventHeaders } from '../topologies/ingest.js';
import { KafkaStreams } from '../streams/kafka/kafka-streams.js';
import { endOffsets, profileFlags } from './ingest-e2e.js';
import { waitUntilCommitted } from './runtime.js';
import { summarize, withBaseline, type BenchSuite, type Figure } from './figures.js';

const MILLION = 1_000_000;
const START = Date.UTC(2026, 9, 1);
const SPAN = 56 * 86_400_000;
/** Records per consumed batch: kafkajs' default 1 MiB fetch of ~500-byte canonical records. */
const FETCH_RECORDS = 2_000;
const TOPIC = 'quintet-bench-analytics.canonical';

/** A synthetic event with the fields analytics does not store but a real canonical event carries. */
function realistic(event: CanonicalEvent, i: number): CanonicalEvent {
  return {
    ...event,
    entity: { ...event.entity, details: { title: `Post ${i % 977}`, tags: ['news', 'sport'], words: 120 + (i % 300) } },
    context: {
      ...event.context,
      client: { user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' },
      domain_specific: { analytics: { properties: { path: `/p/${i % 50}`, referrer: 'https://example.com/landing?utm_source=mail', plan: 'pro', experiment: 'b' } } },
    },
  };
}

/** `count` canonical-topic records: framed Avro values written with the canonical schema from the registry, CloudEvents headers. */
async function canonicalRecords(config: QuintetConfig, count: number, seed: number, order: 'log' | 'random'): Promise<ConsumedRecord[]> {
  const serde = canonicalAvroSerde(config);
  const records: ConsumedRecord[] = new Array<ConsumedRecord>(count);
  let i = 0;
  for (const event of syntheticEvents({ count, startMs: START, spanMs: SPAN, seed, actors: 50_000, posts: 5_000, order })) {
    const envelope = { event: realistic(event, i), chain: { partition: 0, sequence: i, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'chain-key-1' } };
    const value = await serde.serialize(TOPIC, envelope, {});
    // With the CloudEvents headers the ingest writes on every canonical record (the consumer decodes them).
    records[i] = { topic: TOPIC, partition: 0, offset: String(i), key: Buffer.from(event.id), value, timestamp: START, headers: cloudEventHeaders(event, 'application/avro') };
    i += 1;
  }
  return records;
}

interface PathVariant {
  readonly serde: Serde<AnalyticsSourceValue>;
  readonly format: InsertFormat;
  readonly flushAt: FlushPolicy;
  /** Whether the sink may take transcoded RowBinary rows (false: rows are AnalyticsRow objects, as before the transcoder). */
  readonly rowBinaryRows: boolean;
  /** Batches inserted at once (the sink's maxInFlight). */
  readonly maxInFlight?: number;
}

/** The writer without its RowBinary-rows capability: the sink then holds AnalyticsRow objects, as before the transcoder. */
function rowObjectsOnly(writer: ClickHouseEventWriter): BatchWriter<AnalyticsRow> {
  return { name: writer.name, write: (rows) => writer.write(rows), isRetryable: (error) => writer.isRetryable(error) };
}

async function freshDatabase(base: ClickHouseConnectionOptions, name: string): Promise<ClickHouseServer> {
  const options = { ...base, database: `${name}_${Date.now().toString(36)}` };
  await migrate(options);
  return ClickHouseServer.connect(options);
}

async function dropDatabase(server: ClickHouseServer): Promise<void> {
  await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(server.database)}`);
  await server.close();
}

interface PathRate {
  /** Rows per wall-clock second, ClickHouse's acknowledgement included. */
  readonly rowsPerSecond: number;
  /** Rows per CPU second of this process (the topology's own cost; the server's is not in it). */
  readonly rowsPerCpuSecond: number;
}

/** Rows/s of the records through the analytics topology into `server`, with a commit every `commitIntervalMs`. */
async function throughTopology(server: ClickHouseServer, records: readonly ConsumedRecord[], variant: PathVariant, commitIntervalMs: number): Promise<PathRate> {
  const topology = buildAnalyticsTopology({
    canonicalTopic: TOPIC,
    keySerde: Serdes.String() as Serde<unknown>,
    valueSerde: variant.serde,
    store: { kind: 'clickhouse', writer: variant.rowBinaryRows ? new ClickHouseEventWriter(server, 'events', variant.format) : rowObjectsOnly(new ClickHouseEventWriter(server, 'events', variant.format)) },
    flushAt: variant.flushAt,
    ...(variant.maxInFlight === undefined ? {} : { maxInFlight: variant.maxInFlight }),
  });
  const task = new StreamTask(topology, { applicationId: 'quintet-bench-analytics', subtopology: 0, partition: 0, collector: { send: () => undefined } });
  await task.initialize();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let committed = started;
  for (let i = 0; i < records.length; i += FETCH_RECORDS) {
    await task.process(records.slice(i, i + FETCH_RECORDS));
    if (performance.now() - committed >= commitIntervalMs) {
      await task.flush();
      committed = performance.now();
    }
  }
  await task.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  await task.close();
  return { rowsPerSecond: records.length / seconds, rowsPerCpuSecond: records.length / ((cpu.user + cpu.system) / 1e6) };
}

/** A canonical topic filled with the bench's records, for the Kafka path. */
interface FilledTopic {
  readonly topic: string;
  readonly count: number;
}

/** Writes `records` (keys and framed Avro values as they are) to a fresh 4-partition canonical topic. */
async function fillCanonicalTopic(config: QuintetConfig, records: readonly ConsumedRecord[]): Promise<FilledTopic> {
  const topic = `bench-analytics-${randomUUID().slice(0, 8)}-canonical`;
  const kafka = createKafkaClient(config, { clientIdSuffix: 'bench-analytics' });
  const admin = new KafkaTopicAdmin(kafka);
  try {
    await admin.ensureTopics([{ name: topic, partitions: 4, replicationFactor: 1 }]);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let at = 0; at < records.length; at += 2_000) {
      await producer.send({ topic, messages: records.slice(at, at + 2_000).map((record) => ({ key: record.key, value: record.value, headers: record.headers as IHeaders })) });
    }
    await producer.disconnect();
  } finally {
    await admin.close();
  }
  return { topic, count: records.length };
}

/** How the suite hands the Kafka-path child its topic and database. */
const KAFKA_PATH_VARIABLE = 'QUINTET_BENCH_ANALYTICS_KAFKA_PATH';

/**
 * What the Kafka-path process measured: rows/s into ClickHouse (until it acknowledged every row) from
 * the start and from a fifth on, the same until the group had also committed every offset, and the
 * process's own CPU time per row.
 */
interface KafkaPathRates {
  readonly rowsPerSecond: number;
  readonly steadyRowsPerSecond: number;
  readonly committedRowsPerSecond: number;
  readonly cpuUsPerRow: number;
  readonly steadyCpuUsPerRow: number;
  /** Commits of all tasks, and the seconds their offset commits took in all (after the wait for ClickHouse, which is not counted). */
  readonly commits: number;
  readonly commitSeconds: number;
}

interface Moment {
  readonly at: number;
  readonly rows: number;
  readonly cpu: NodeJS.CpuUsage;
}

/** The deployment's metrics, also noting when the rows ClickHouse acknowledged reached a fifth of `total`, and all of it. */
class StoredRowsMetrics extends QuintetMetrics {
  #stored = 0;
  fifth: Moment | undefined;
  all: Moment | undefined;
  constructor(private readonly total: number) {
    super({ defaultMetrics: false });
  }
  override sinkBatch(sink: string, rows: number, seconds: number): void {
    super.sinkBatch(sink, rows, seconds);
    this.#stored += rows;
    if (this.fifth === undefined && this.#stored >= this.total / 5) this.fifth = { at: performance.now(), rows: this.#stored, cpu: process.cpuUsage() };
    if (this.all === undefined && this.#stored >= this.total) this.all = { at: performance.now(), rows: this.#stored, cpu: process.cpuUsage() };
  }
}

/**
 * The analytics deployment as `quintet run analytics` runs it (KafkaStreams, commits after ClickHouse's acknowledgement,
 * commit every `clickhouse.commitIntervalMs`) over `filled`, in a child process of its own so that the
 * bench's million records in memory do not weigh on its garbage collector: rows/s from the start of the
 * engine until ClickHouse acknowledged every row, kafkajs' fetch and decode included, from a fifth on,
 * and until the group had also committed every offset. Then
 * checks that ClickHouse holds every event exactly once, and removes the topic and database (the child
 * removes its consumer group).
 */
async function throughKafka(config: QuintetConfig, base: ClickHouseConnectionOptions, filled: FilledTopic): Promise<KafkaPathRates> {
  const database = `quintet_bench_analytics_kafka_${Date.now().toString(36)}`;
  const overrides = { 'topics.canonical': filled.topic, 'clickhouse.database': database, 'streams.applicationId': `bench-analytics-${randomUUID().slice(0, 8)}` };
  await migrate({ ...base, database });
  const server = ClickHouseServer.connect({ ...base, database });
  const admin = new KafkaTopicAdmin(createKafkaClient(config, { clientIdSuffix: 'bench-analytics' }));
  try {
    const output = await new Promise<string>((resolve, reject) => {
      // --max-semi-space-size=64: as docker-compose.yml runs the analytics process (docs/analytics.md).
      const child = spawn(process.execPath, [...profileFlags(), '--max-semi-space-size=64', '--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, [KAFKA_PATH_VARIABLE]: JSON.stringify({ overrides, count: filled.count }) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_000)));
      child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`the analytics Kafka-path process exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`))));
    });
    const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as KafkaPathRates;
    const [stored] = await server.rows<{ rows: string; ids: string }>('SELECT count() AS rows, uniqExact(event_id) AS ids FROM events');
    if (Number(stored?.rows) !== filled.count || Number(stored?.ids) !== filled.count) {
      throw new Error(`analytics through Kafka stored ${stored?.rows} rows (${stored?.ids} distinct ids) for ${filled.count} records`);
    }
    return result;
  } finally {
    await admin.deleteTopics([filled.topic]).catch(() => undefined);
    await admin.close();
    await dropDatabase(server);
  }
}

/** The Kafka-path child: runs the analytics deployment until its group committed the topic, prints its rates. */
async function kafkaPathProcess(): Promise<void> {
  const parameters = JSON.parse(process.env[KAFKA_PATH_VARIABLE] ?? '{}') as { overrides: Record<string, string>; count: number };
  const config = loadConfig({ env: process.env, overrides: parameters.overrides });
  const topic = config.topics.canonical;
  const admin = new KafkaTopicAdmin(createKafkaClient(config, { clientIdSuffix: 'bench-analytics' }));
  const end = await endOffsets(admin, topic);
  const metrics = new StoredRowsMetrics(parameters.count);
  const deployment = await openDeployment('analytics', config, metrics);
  const streams = new KafkaStreams(deployment.topology, {
    config,
    applicationId: deployment.applicationId,
    metrics,
    ...(deployment.commitIntervalMs === undefined ? {} : { commitIntervalMs: deployment.commitIntervalMs }),
  });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let committedAt: number;
  try {
    await streams.start();
    await waitUntilCommitted(admin, deployment.applicationId, topic, end, 1_800_000);
    committedAt = performance.now();
  } finally {
    await streams.close();
    await deployment.close();
  }
  await admin.deleteGroups([deployment.applicationId]).catch(() => undefined);
  await admin.close();
  const { fifth, all } = metrics;
  if (fifth === undefined || all === undefined) throw new Error('the group committed every offset before ClickHouse acknowledged every row');
  const microseconds = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number => to.user - from.user + to.system - from.system;
  const commitLatency = (await metrics.commitLatency.get()).values;
  const rates: KafkaPathRates = {
    rowsPerSecond: parameters.count / ((all.at - started) / 1000),
    steadyRowsPerSecond: (parameters.count - fifth.rows) / ((all.at - fifth.at) / 1000),
    committedRowsPerSecond: parameters.count / ((committedAt - started) / 1000),
    cpuUsPerRow: microseconds(cpuStarted, all.cpu) / parameters.count,
    steadyCpuUsPerRow: microseconds(fifth.cpu, all.cpu) / (parameters.count - fifth.rows),
    commits: commitLatency.find((value) => value.metricName?.endsWith('_count'))?.value ?? 0,
    commitSeconds: commitLatency.find((value) => value.metricName?.endsWith('_sum'))?.value ?? 0,
  };
  process.stdout.write(`${JSON.stringify(rates)}\n`);
}

/**
 * Encoding + insert of the same rows (50k-row batches, into `events` with its materialized views), per
 * format, in rotating order over the rounds: the part of the path where the formats differ.
 */
async function insertFormats(base: ClickHouseConnectionOptions, records: readonly ConsumedRecord[], rounds: number): Promise<Figure[]> {
  const rows: AnalyticsRow[] = [];
  const serde = analyticsProjectionSerde(connectSchemaRegistry(loadConfig({ env: process.env })));
  for (const record of records) {
    const value = await serde.deserialize(TOPIC, record.value, record.headers);
    const row = toAnalyticsRow(value.event, { partition: record.partition, offset: record.offset });
    if (row.kind === 'ok') rows.push(row.value);
  }
  const formats: InsertFormat[] = ['JSONEachRow', 'TabSeparated', 'RowBinary'];
  const servers = new Map<InsertFormat, ClickHouseServer>();
  for (const format of formats) servers.set(format, await freshDatabase(base, `quintet_bench_analytics_${snake(format)}`));
  const samples = new Map<InsertFormat, number[]>(formats.map((format) => [format, []]));
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < formats.length; i += 1) {
        const format = formats[(round + i) % formats.length] as InsertFormat;
        const writer = new ClickHouseEventWriter(servers.get(format) as ClickHouseServer, 'events', format);
        const started = performance.now();
        for (let at = 0; at < rows.length; at += 50_000) await writer.write(rows.slice(at, at + 50_000));
        samples.get(format)?.push(rows.length / ((performance.now() - started) / 1000));
      }
    }
  } finally {
    for (const server of servers.values()) await dropDatabase(server);
  }
  const json = summarize('analytics.insert_format.json_each_row.rows_per_s', 'rows/s', samples.get('JSONEachRow') as number[], {
    notes: `encode + insert, ${rows.length} rows in 50k batches, rotating order; not exact for every double on 18.16`,
  });
  const against = (format: InsertFormat, notes: string): Figure => {
    const figure = summarize(`analytics.insert_format.${snake(format)}.rows_per_s`, 'rows/s', samples.get(format) as number[], { notes });
    return withBaseline(figure, json);
  };
  return [json, against('TabSeparated', 'same rows and rounds; not exact for every double on 18.16'), against('RowBinary', 'same rows and rounds; exact (shipped)')];
}

async function rowByRow(server: ClickHouseServer, count: number): Promise<number> {
  await server.command('CREATE TABLE IF NOT EXISTS events_row_by_row AS events');
  const writer = new ClickHouseEventWriter(server, 'events_row_by_row');
  const rows: AnalyticsRow[] = [];
  let offset = 0;
  for (const event of syntheticEvents({ count, startMs: START, spanMs: SPAN, seed: 99 })) {
    const row = toAnalyticsRow(event, { partition: 0, offset: String(offset++) });
    if (row.kind === 'ok') rows.push(row.value);
  }
  const started = performance.now();
  for (const row of rows) await writer.write([row]);
  return count / ((performance.now() - started) / 1000);
}

/** CPU-only rows/s of each step, on the same records. */
async function stageCosts(
  records: readonly ConsumedRecord[],
  serdes: { full: Serde<CanonicalEnvelopeValue>; projection: Serde<CanonicalEnvelopeValue>; transcoder: Serde<AnalyticsSourceValue> },
  rounds: number,
): Promise<Figure[]> {
  const first = records[0] as ConsumedRecord;
  // The first record of a schema id fetches the writer schema; every later one decodes synchronously.
  for (const serde of [serdes.full, serdes.projection, serdes.transcoder]) await serde.deserialize(TOPIC, first.value, first.headers);
  const samples = new Map<string, number[]>();
  // CPU time of this process, not wall time: other work on the shared machine does not count.
  const time = <T>(name: string, work: () => T): T => {
    const started = process.cpuUsage();
    const result = work();
    const used = process.cpuUsage(started);
    const rate = records.length / ((used.user + used.system) / 1e6);
    samples.set(name, [...(samples.get(name) ?? []), rate]);
    return result;
  };
  const decode = (serde: Serde<CanonicalEnvelopeValue>) => () => records.map((r) => serde.deserialize(TOPIC, r.value, r.headers) as CanonicalEnvelopeValue);
  const bodies: { chain?: Buffer; transcoded?: Buffer } = {};
  for (let round = 0; round < rounds; round += 1) {
    time('avro_decode_full', decode(serdes.full));
    const values = time('avro_decode_projection', decode(serdes.projection));
    const rows = time('row_mapping', () => values.map((v, i) => toAnalyticsRow(v.event, { partition: 0, offset: String(i) })).flatMap((r) => (r.kind === 'ok' ? [r.value] : [])));
    for (const format of ['RowBinary', 'TabSeparated', 'JSONEachRow'] as const) time(`encode_${snake(format)}`, () => encodeInsertBody(rows, format));
    // The two ways from Avro bytes to the insert body, alternating which goes first.
    const chain = (): void => {
      bodies.chain = time('projection_chain_row_binary', () =>
        encodeRowBinary(decode(serdes.projection)().map((v, i) => toAnalyticsRow(v.event, { partition: 0, offset: String(i) })).flatMap((r) => (r.kind === 'ok' ? [r.value] : []))),
      );
    };
    const transcode = (): void => {
      bodies.transcoded = time('transcode_row_binary', () =>
        Buffer.concat(records.map((r, i) => {
          const value = serdes.transcoder.deserialize(TOPIC, r.value, r.headers) as AnalyticsSourceValue;
          if (!Buffer.isBuffer(value)) throw new Error('the bench records should all take the transcoder');
          return completeLogPosition(value, 0, String(i));
        })),
      );
    };
    if (round % 2 === 0) {
      chain();
      transcode();
    } else {
      transcode();
      chain();
    }
  }
  // The comparison means something only if both produce the same insert body.
  if (bodies.chain === undefined || bodies.transcoded === undefined || !bodies.chain.equals(bodies.transcoded)) throw new Error('transcoded RowBinary differs from the projection chain');
  const figures = [...samples].map(([name, values]) => summarize(`analytics.stage.${name}.rows_per_s`, 'rows/s', values, { notes: `rows per CPU second of this process (no I/O), ${records.length} records` }));
  const chainFigure = figures.find((f) => f.name === 'analytics.stage.projection_chain_row_binary.rows_per_s') as Figure;
  return figures.map((figure) =>
    figure.name === 'analytics.stage.transcode_row_binary.rows_per_s'
      ? { ...figure, notes: `${figure.notes ?? ''}; Avro → RowBinary in one pass, byte-identical to the chain (checked)`, baseline: { name: chainFigure.name, value: chainFigure.value }, ratio: figure.value / chainFigure.value }
      : figure,
  );
}

/**
 * ClickHouse's own insert cost: the same RowBinary bodies (encoded beforehand) into `events` with its two
 * materialized views, into a copy without views, rotating order. The shipped path cannot be faster
 * than the first figure, whatever the client does.
 */
async function serverIngest(server: ClickHouseServer, records: readonly ConsumedRecord[], serde: Serde<CanonicalEnvelopeValue>, rounds: number, prefix = 'analytics.server_ingest'): Promise<Figure[]> {
  const rows: AnalyticsRow[] = [];
  for (const record of records) {
    const value = await serde.deserialize(TOPIC, record.value, record.headers);
    const row = toAnalyticsRow(value.event, { partition: record.partition, offset: record.offset });
    if (row.kind === 'ok') rows.push(row.value);
  }
  const bodies: Buffer[][] = [];
  for (let at = 0; at < rows.length; at += 50_000) bodies.push(rows.slice(at, at + 50_000).map((row) => encodeRowBinary([row])));
  await server.command('CREATE TABLE IF NOT EXISTS events_without_views AS events');
  const tables = ['events', 'events_without_views'] as const;
  const samples = { events: [] as number[], events_without_views: [] as number[] };
  const cpu = { events: [] as number[], events_without_views: [] as number[] };
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < tables.length; i += 1) {
      const table = tables[(round + i) % tables.length] as (typeof tables)[number];
      const writer = new ClickHouseEventWriter(server, table).rowBinaryWriter() as BatchWriter<Buffer>;
      const cpuBefore = clickHouseServerCpuSeconds();
      const started = performance.now();
      for (const body of bodies) await writer.write(body);
      samples[table].push(rows.length / ((performance.now() - started) / 1000));
      const cpuAfter = clickHouseServerCpuSeconds();
      if (cpuBefore !== undefined && cpuAfter !== undefined) cpu[table].push(((cpuAfter - cpuBefore) * 1e6) / rows.length);
    }
  }
  await server.command('TRUNCATE TABLE events_without_views');
  const withViews = summarize(`${prefix}.events.rows_per_s`, 'rows/s', samples.events, { notes: `insert only (bodies encoded beforehand), ${rows.length} rows in 50k batches, into events and its 2 materialized views` });
  const withoutViews = summarize(`${prefix}.events_without_views.rows_per_s`, 'rows/s', samples.events_without_views, { notes: 'same bodies and rounds, into a copy of events without materialized views' });
  const figures: Figure[] = [withoutViews, withBaseline(withViews, withoutViews)];
  if (cpu.events.length > 0 && cpu.events_without_views.length > 0) {
    const notes = 'CPU time (user + system) of the local stack\'s clickhouse-server process per inserted row, merges during the insert included; unlike the rates, load from other processes hardly moves it';
    const cpuWithout = summarize(`${prefix}.events_without_views.server_cpu_us_per_row`, 'µs', cpu.events_without_views, { notes });
    const cpuWith = summarize(`${prefix}.events.server_cpu_us_per_row`, 'µs', cpu.events, { notes });
    figures.push(cpuWithout, withBaseline(cpuWith, cpuWithout));
  }
  return figures;
}

/**
 * CPU seconds used so far by the local stack's ClickHouse server (deploy/local/stack writes its pid),
 * or undefined when ClickHouse is not the stack's own process on this machine.
 */
function clickHouseServerCpuSeconds(): number | undefined {
  try {
    const pid = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '.stack', 'clickhouse', 'clickhouse.pid'), 'utf8').trim();
    // Fields after the command name: state is 3rd, utime 14th and stime 15th of /proc/<pid>/stat.
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

const SNAKE: Record<InsertFormat, string> = { RowBinary: 'row_binary', TabSeparated: 'tab_separated', JSONEachRow: 'json_each_row' };
const snake = (format: InsertFormat): string => SNAKE[format];

async function dashboardLatencies(server: ClickHouseServer, runs: number): Promise<Figure[]> {
  const runner = new DashboardRunner(new ClickHouseDashboardBackend(server), { now: () => START + SPAN });
  const range = { from: new Date(START).toISOString(), to: new Date(START + SPAN).toISOString() };
  const extra: Record<string, Record<string, string>> = { 'top-entities': { action: 'social.post.liked' } };
  const figures: Figure[] = [];
  for (const dashboard of DASHBOARDS) {
    const lastDay = { from: new Date(START + SPAN - 86_400_000).toISOString(), to: range.to };
    const params = { ...(dashboard.name === 'events-per-minute' ? lastDay : range), ...extra[dashboard.name] };
    await runner.run(dashboard.name, params); // warm-up (marks loaded, caches)
    const samples: number[] = [];
    let rowsOut = 0;
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      rowsOut = (await runner.run(dashboard.name, params)).rows.length;
      samples.push(performance.now() - started);
    }
    figures.push(summarize(`analytics.dashboard.${dashboard.name}.latency_ms`, 'ms', samples, { notes: `table of ${MILLION.toLocaleString('en-US')} events (56 days), ${dashboard.name === 'events-per-minute' ? 'last day' : 'whole range'}, ${rowsOut} result rows` }));
  }
  return figures;
}

export const suite: BenchSuite = {
  name: 'analytics',
  needsStack: true,
  async run({ quick }) {
    const config = loadConfig({ env: process.env });
    const commitIntervalMs = config.clickhouse.commitIntervalMs;
    const base = connectionOptionsFrom(config, { requestTimeoutMs: 300_000 });
    const registry = connectSchemaRegistry(config);
    const full = canonicalAvroSerde(config) as Serde<CanonicalEnvelopeValue>;
    const projection = analyticsProjectionSerde(registry);
    const transcoder = analyticsCanonicalSerde(registry);
    const variants = {
      shipped: { serde: transcoder, format: 'RowBinary', flushAt: 'commit', rowBinaryRows: true },
      twoInFlight: { serde: transcoder, format: 'RowBinary', flushAt: 'commit', rowBinaryRows: true, maxInFlight: 2 },
      projection: { serde: projection, format: 'RowBinary', flushAt: 'commit', rowBinaryRows: false },
      previous: { serde: full, format: 'JSONEachRow', flushAt: 'batch-end', rowBinaryRows: false },
    } as const satisfies Record<string, PathVariant>;
    // The canonical topic is in arrival order: event times rise with the offset (2 % late by up to ten
    // minutes). A shuffled backfill (times at random over the 56 days) is measured at the end.
    let records = await canonicalRecords(config, MILLION, 1, 'log');
    const figures: Figure[] = [];
    figures.push(...(await stageCosts(records.slice(0, 200_000), { full, projection, transcoder }, quick ? 2 : 3)));

    const server = await freshDatabase(base, 'quintet_bench_analytics');
    try {
      const main = (await throughTopology(server, records, variants.shipped, commitIntervalMs)).rowsPerSecond;
      // Side by side, interleaved so that load from other processes hits every path alike.
      const sample = records.slice(0, quick ? 200_000 : 500_000);
      const rates = { previous: [] as number[], projection: [] as number[], shipped: [] as number[], twoInFlight: [] as number[] };
      const cpuRates = { previous: [] as number[], projection: [] as number[], shipped: [] as number[], twoInFlight: [] as number[] };
      const inFlightRatios: number[] = [];
      const speedups: number[] = [];
      const transcoderSpeedups: number[] = [];
      const orders = [
        ['previous', 'projection', 'shipped', 'twoInFlight'],
        ['twoInFlight', 'shipped', 'projection', 'previous'],
        ['projection', 'twoInFlight', 'previous', 'shipped'],
      ] as const;
      for (let round = 0; round < (quick ? 2 : 3); round += 1) {
        const roundRates = { previous: 0, projection: 0, shipped: 0, twoInFlight: 0 };
        for (const name of orders[round % orders.length] as (typeof orders)[number]) {
          const other = await freshDatabase(base, `quintet_bench_analytics_${name}`);
          try {
            const rate = await throughTopology(other, sample, variants[name], commitIntervalMs);
            roundRates[name] = rate.rowsPerSecond;
            cpuRates[name].push(rate.rowsPerCpuSecond);
          } finally {
            await dropDatabase(other);
          }
          rates[name].push(roundRates[name]);
        }
        speedups.push(roundRates.shipped / roundRates.previous);
        transcoderSpeedups.push(roundRates.shipped / roundRates.projection);
        inFlightRatios.push(roundRates.twoInFlight / roundRates.shipped);
      }

      const filled = await fillCanonicalTopic(config, records);
      const baseline = summarize('analytics.row_by_row.rows_per_s', 'rows/s', [await rowByRow(server, quick ? 200 : 500)], { notes: 'one INSERT (HTTP request) per row' });
      const batched = summarize('analytics.rows_per_s', 'rows/s', [main], {
        notes: `1M canonical Avro records → analytics topology (Avro transcoded to RowBinary rows, 50k-row batches, commit every ${commitIntervalMs} ms) → ClickHouse (events + 2 materialized views)`,
      });
      figures.push(baseline, withBaseline(batched, baseline));
      const before = summarize('analytics.previous_pipeline.rows_per_s', 'rows/s', rates.previous, {
        notes: `${sample.length} records: full Avro decode (JSON.parse of free-form fields), JSONEachRow, one insert per consumed batch of ${FETCH_RECORDS}`,
      });
      const projected = summarize('analytics.projection_pipeline.rows_per_s', 'rows/s', rates.projection, {
        notes: `${sample.length} records, same rounds: the path before the transcoder (projection decode → AnalyticsRow → RowBinary per batch, 50k-row batches at commit)`,
      });
      const after = summarize('analytics.shipped_pipeline.rows_per_s', 'rows/s', rates.shipped, { notes: `${sample.length} records, same rounds: Avro transcoded straight to RowBinary rows` });
      figures.push(before, withBaseline(projected, before));
      figures.push(withBaseline(after, projected));
      const twoInFlight = summarize('analytics.shipped_pipeline.two_in_flight.rows_per_s', 'rows/s', rates.twoInFlight, {
        notes: `the shipped path with two batches inserted at once (the sink's maxInFlight 2), same rounds; paired ratios to the shipped path: ${inFlightRatios.map((r) => r.toFixed(2)).join(', ')}`,
      });
      figures.push(withBaseline(twoInFlight, after));
      const cpuProjected = summarize('analytics.projection_pipeline.rows_per_cpu_s', 'rows/s', cpuRates.projection, { notes: 'rows per CPU second of this process (topology, encoding, HTTP client), same rounds' });
      const cpuShipped = summarize('analytics.shipped_pipeline.rows_per_cpu_s', 'rows/s', cpuRates.shipped, { notes: 'rows per CPU second of this process, same rounds; what the Node side could carry if ClickHouse kept up' });
      figures.push(cpuProjected, withBaseline(cpuShipped, cpuProjected));
      figures.push(summarize('analytics.speedup_vs_previous', 'x', speedups, { notes: 'shipped / previous rows/s, paired per round' }));
      figures.push(summarize('analytics.transcoder_speedup_vs_projection', 'x', transcoderSpeedups, { notes: 'shipped (transcoder) / projection_pipeline rows/s, paired per round' }));
      figures.push(...(await insertFormats(base, records.slice(0, 200_000), quick ? 4 : 6)));
      const ingest = await freshDatabase(base, 'quintet_bench_analytics_ingest');
      try {
        figures.push(...(await serverIngest(ingest, records.slice(0, 200_000), projection, quick ? 2 : 4)));
      } finally {
        await dropDatabase(ingest);
      }
      figures.push(...(await dashboardLatencies(server, quick ? 5 : 11)));
      const inLogOrder = figures.find((figure) => figure.name === 'analytics.rows_per_s') as Figure;
      records = []; // freed before the Kafka path runs and the shuffled million is built
      const kafkaRun = await throughKafka(config, base, filled);
      const viaKafka = summarize('analytics.kafka.rows_per_s', 'rows/s', [kafkaRun.rowsPerSecond], {
        notes: `${filled.count} records on a 4-partition canonical topic → the analytics deployment on KafkaStreams in a process of its own (kafkajs fetch and decode included, commit every ${commitIntervalMs} ms) → ClickHouse, from the engine's start (group join included) until ClickHouse acknowledged every row; every event found exactly once afterwards`,
      });
      const viaKafkaSteady = summarize('analytics.kafka.steady.rows_per_s', 'rows/s', [kafkaRun.steadyRowsPerSecond], {
        notes: 'the same run from the moment ClickHouse had acknowledged a fifth of the rows (no group join, less warm-up)',
      });
      figures.push(withBaseline(viaKafka, inLogOrder));
      figures.push(withBaseline(viaKafkaSteady, inLogOrder));
      figures.push(
        summarize('analytics.kafka.committed.rows_per_s', 'rows/s', [kafkaRun.committedRowsPerSecond], {
          notes: `the same run until the group had also committed every offset (commits every ${commitIntervalMs} ms: ${kafkaRun.commits} task commits, ${kafkaRun.commitSeconds.toFixed(2)} s in offset commits after the waits for ClickHouse)`,
        }),
        summarize('analytics.kafka.node_cpu_us_per_row', 'µs/row', [kafkaRun.cpuUsPerRow], {
          notes: 'CPU time (user + system) of the Kafka-path process per row, from the engine\'s start until ClickHouse acknowledged everything: its own cost, whatever else runs on the machine (ClickHouse\'s is not in it)',
        }),
        summarize('analytics.kafka.steady.node_cpu_us_per_row', 'µs/row', [kafkaRun.steadyCpuUsPerRow], { notes: 'the same from the moment ClickHouse had acknowledged a fifth of the rows' }),
      );
      const shuffled = await canonicalRecords(config, MILLION, 1, 'random');
      const backfill = await freshDatabase(base, 'quintet_bench_analytics_shuffled');
      try {
        const rate = (await throughTopology(backfill, shuffled, variants.shipped, commitIntervalMs)).rowsPerSecond;
        const figure = summarize('analytics.shuffled.rows_per_s', 'rows/s', [rate], {
          notes: 'the same path and million events with times at random over the 56 days (a shuffled backfill: every batch touches every minute bucket and month)',
        });
        figures.push(withBaseline(figure, inLogOrder));
      } finally {
        await dropDatabase(backfill);
      }
      const shuffledIngest = await freshDatabase(base, 'quintet_bench_analytics_ingest_shuffled');
      try {
        figures.push(...(await serverIngest(shuffledIngest, shuffled.slice(0, 200_000), projection, quick ? 2 : 4, 'analytics.shuffled.server_ingest')));
      } finally {
        await dropDatabase(shuffledIngest);
      }
    } finally {
      await dropDatabase(server);
    }
    return figures;
  },
};

// Run directly (by throughKafka), this file is the Kafka-path process.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await kafkaPathProcess();
