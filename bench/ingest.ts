/**
 * Ingest benchmark.
 *
 * - `ingest.driver.events_per_s`: the whole ingest topology (translate Segment track events, validate,
 *   pseudonymize with the in-memory vault, hash-chain, JSON envelope) on the TopologyTestDriver, one
 *   core, batches of 500 records, 5 000 distinct users. `ingest.driver.events_per_cpu_s` is the same run
 *   per second of this process's CPU time: the per-core figure, and steadier when the machine is shared.
 * - `ingest.driver.floor.events_per_s` (`.events_per_cpu_s`): what a bare Node.js loop does on one core
 *   with the issue-5 work only (JSON.parse, canonical validation, HMAC-SHA256 chain, Avro), on the
 *   generator's canonical social events (no adapter needed); `ingest.driver.floor.segment.*`: the same
 *   loop on the `ingest.driver` Segment records, plus the Segment adapter. bench/ingest-floor.ts says
 *   what the loop does not do.
 * - `ingest.driver.ratio_to_floor`: the driver on the same canonical social events, with Avro values as
 *   deployed (`ingest.driver.canonical_input.*`), ÷ the floor, per CPU second;
 *   `ingest.driver.segment.ratio_to_floor`: the same on the Segment records. All driver and floor passes
 *   are interleaved round by round, so the ratios are side by side.
 * - `ingest.steps.*.cpu_us_per_event`: where the driver's CPU goes on the generator's mix, step by step
 *   (translate, pseudonymize, chain, avro, and the rest), in bench/ingest-steps.ts.
 * - `vault.resolve_many.redis.events_per_s`: PiiVault.resolveMany against real Redis, batches of 500
 *   events whose subjects follow a skewed (Zipf-like, s≈1) distribution over 50 000 users, with the
 *   default-sized LRU cache (100 000) — the steady state of an ingest task. `vault.cache.hit_rate` is its
 *   hit rate. `vault.resolve_many.redis_uncached.events_per_s` is the same with the cache off (every
 *   subject of every batch goes to Redis, one pipelined round trip per batch).
 * - `pseudonymize.redis.events_per_s`: the Pseudonymizer step (resolve + encrypt + flush) against Redis
 *   on events carrying an e-mail, an IP, a user agent and a session id.
 * - `chain.append.events_per_s`: HashChainer.append (RFC 8785 canonical JSON + HMAC-SHA256) on
 *   pseudonymized canonical events of ~600 bytes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/config.js';
import { vaultPattern } from '../connectors/redis/keys.js';
import { RedisVaultStore } from '../connectors/redis/vault-store.js';
import { MemoryVaultStore } from '../connectors/memory/vault-store.js';
import { CanonicalTranslator } from '../processors/adapters/translator.js';
import { ChainKeyRing } from '../processors/chain/chain-hash.js';
import { HashChainer, MemoryChainHeadStore } from '../processors/chain/hash-chainer.js';
import { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import { Pseudonymizer } from '../processors/pseudonymization/pseudonymizer.js';
import { MasterKeyRing, type SubjectRef } from '../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { Serdes, type Serde } from '../streams/serdes.js';
import { TopologyTestDriver } from '../streams/test-driver.js';
import { canonicalAvroSerde } from '../topologies/deployments.js';
import { buildIngestTopology } from '../topologies/ingest.js';
import { connectSchemaRegistry } from '../connectors/schema-registry/index.js';
import type { CanonicalEnvelope } from '../schemas/avro.js';
import { ratioFigure, summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';
import { canonicalSocialValues, floorTools, runFloor, timed, type LoopRun } from './ingest-floor.js';
import { stepFigures } from './ingest-steps.js';

const BATCH = 500;
const masterKeys = (): MasterKeyRing => new MasterKeyRing('m1', new Map([['m1', randomBytes(32)]]));

/** Deterministic skewed picks: rank r has weight 1/r (Zipf, s = 1). */
function zipf(n: number, count: number, seed: number): number[] {
  const cumulative: number[] = [];
  let total = 0;
  for (let r = 1; r <= n; r += 1) cumulative.push((total += 1 / r));
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const target = (state / 2_147_483_648) * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    out.push(lo);
  }
  return out;
}

/** The `ingest.driver` input: a small Segment track event of user `user` (also used by compare-ingest.ts). */
export const segmentTrack = (user: number, i: number): string =>
  JSON.stringify({
    type: 'track',
    event: 'Course Clicked',
    userId: `user-${user}`,
    messageId: `m-${i}`,
    timestamp: '2026-11-28T09:00:00.000Z',
    context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (bench)', traits: { email: `user-${user}@example.com` } },
    properties: { title: 'Intro', course_id: `c-${i % 100}` },
  });

/**
 * One timed driver pass over `values` (a fresh topology, vault and chain); `serde`: the canonical value
 * serde, default the JSON envelope. Every record must become exactly one canonical event, unless
 * `mixed` (the generator's mix: some records are dead letters, some hold several events); `events` is
 * the count of canonical events written.
 */
async function driverRun(values: readonly string[], canonicalTopic: string, serde?: Serde<CanonicalEnvelope>, mixed = false): Promise<LoopRun & { events: number }> {
  const keys = masterKeys();
  const topology = buildIngestTopology({
    topics: { raw: 'raw', canonical: canonicalTopic, deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' },
    translator: new CanonicalTranslator(),
    vault: new PiiVault(new MemoryVaultStore(), { masterKeys: keys, lookupKey: randomBytes(32) }),
    chainKeys: new ChainKeyRing('c1', new Map([['c1', randomBytes(32)]])),
    masterKeys: keys,
    ...(serde === undefined ? {} : { canonicalValueSerde: serde }),
  });
  // Ingestion time is now, after the generated events' times (event times ahead of it are dead-lettered).
  const driver = new TopologyTestDriver(topology, { captureChangelogs: false, initialWallClockTimeMs: Date.now() });
  const input = driver.createInputTopic('raw', Serdes.Void(), Serdes.String());
  const batches: { key: null; value: string }[][] = [];
  for (let b = 0; b < values.length; b += BATCH) batches.push(values.slice(b, b + BATCH).map((value) => ({ key: null, value })));
  const run = await timed(values.length, async () => {
    for (const batch of batches) await input.pipeRecordListAsync(batch);
  });
  const produced = driver.readRawRecords(canonicalTopic).length;
  const deadLetters = driver.readRawRecords('dlq').length;
  if (mixed ? produced + deadLetters < values.length || deadLetters > values.length * 0.05 : produced !== values.length) {
    throw new Error(`driver produced ${produced} canonical records and ${deadLetters} dead letters for ${values.length} inputs`);
  }
  await driver.close();
  return { ...run, events: produced };
}

const perEventMicros = (eventsPerSecond: number): string => (1e6 / eventsPerSecond).toFixed(1);

/**
 * The driver figures and their floor (bench/ingest-floor.ts), interleaved round by round, the order
 * reversed every other round. Inputs: the Segment track event below (`ingest.driver.events_per_s`) and
 * the generator's canonical social events; the floor is given the same records as bytes.
 */
export async function driverFigures(options: BenchOptions): Promise<Figure[]> {
  const records = options.quick ? 10_000 : 40_000;
  const rounds = options.quick ? 4 : 6;
  const segment = Array.from({ length: records }, (_, i) => segmentTrack(i % 5_000, i));
  const canonical = canonicalSocialValues(records);
  const bytesOf = (values: readonly string[]): Buffer[] => values.map((value) => Buffer.from(value, 'utf8'));
  const segmentBytes = bytesOf(segment);
  const canonicalBytes = bytesOf(canonical);
  const config = loadConfig({ env: process.env });
  // The Avro runs write what `quintet run ingest` writes: the deployed registry serde, on a subject of their own.
  const avroTopic = `bench-driver-${randomBytes(4).toString('hex')}-canonical`;
  const avro = canonicalAvroSerde(config);
  const registry = connectSchemaRegistry(config);
  try {
    const chainKeys = new ChainKeyRing('c1', new Map([['c1', randomBytes(32)]]));
    const probe: CanonicalEnvelope = { event: { ...(JSON.parse(canonical[0] as string) as CanonicalEvent), observed_timestamp: '2026-11-28T09:00:00.000Z' } };
    // Registers the schema once; from then on serialize is synchronous (ids and schemas cached).
    await avro.serialize(avroTopic, probe, {});
    const encode = (envelope: CanonicalEnvelope): Buffer => {
      const bytes = avro.serialize(avroTopic, envelope, {});
      if (!Buffer.isBuffer(bytes)) throw new Error('the canonical Avro serde did not encode synchronously');
      return bytes;
    };
    const tools = floorTools(chainKeys, encode);
    const steps = await stepFigures(options, encode, (values) => driverRun(values, avroTopic, avro, true));
    const loops: Record<string, () => Promise<LoopRun>> = {
      segmentJson: () => driverRun(segment, 'canonical'),
      segmentAvro: () => driverRun(segment, avroTopic, avro),
      segmentFloor: () => runFloor('segment', segmentBytes, tools),
      canonicalAvro: () => driverRun(canonical, avroTopic, avro),
      canonicalFloor: () => runFloor('canonical', canonicalBytes, tools),
    };
    const names = Object.keys(loops);
    // Unmeasured: one batch of each loop, so that no loop's first measured pass pays for compiling shared code.
    await driverRun(segment.slice(0, BATCH), 'canonical');
    await driverRun(canonical.slice(0, BATCH), avroTopic, avro);
    await runFloor('segment', segmentBytes.slice(0, BATCH), tools);
    await runFloor('canonical', canonicalBytes.slice(0, BATCH), tools);
    const runs = new Map<string, LoopRun[]>(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) runs.get(name)?.push(await (loops[name] as () => Promise<LoopRun>)());
    }
    const wall = (name: string): number[] => (runs.get(name) as LoopRun[]).map((r) => r.eventsPerSecond);
    const cpu = (name: string): number[] => (runs.get(name) as LoopRun[]).map((r) => r.eventsPerCpuSecond);
    const median = (samples: number[]): number => summarize('median', 'events/s', samples).value;
    const floorDoes =
      'JSON.parse, CanonicalValidator (taxonomy, isSurelyCanonical, ajv if unsure), HashChainer.append (JCS + HMAC-SHA256 after the previous hash), Avro with the deployed registry serde; no limits, no detection, no pseudonymization or vault, no profile table, no dead letters, no driver';
    const setting = `${records} records per pass, ${rounds} interleaved rounds (order reversed every other round) after one unmeasured batch of each loop`;
    const ratioNotes = (driver: string, floor: string, what: string): string =>
      `${what}; per event ${perEventMicros(median(cpu(driver)))} vs ${perEventMicros(median(cpu(floor)))} µs of CPU, wall-clock ratio ${(median(wall(driver)) / median(wall(floor))).toFixed(2)}; ${setting}`;
    return [
      ...steps,
      summarize('ingest.driver.events_per_s', 'events/s', wall('segmentJson'), { notes: `Segment track → canonical, in-memory vault, JSON envelope, 1 partition, batches of ${BATCH}; ${setting}` }),
      // Per CPU second of this process: what one core does, much less sensitive to other load on the machine.
      summarize('ingest.driver.events_per_cpu_s', 'events/s', cpu('segmentJson'), { notes: 'the same runs, events per second of process CPU time (user + system)' }),
      summarize('ingest.driver.canonical_input.events_per_s', 'events/s', wall('canonicalAvro'), {
        notes: `the driver (in-memory vault) on the generator's canonical social events, Avro values through the deployed registry serde; ${setting}`,
      }),
      summarize('ingest.driver.canonical_input.events_per_cpu_s', 'events/s', cpu('canonicalAvro'), { notes: 'the same runs, per second of process CPU time' }),
      summarize('ingest.driver.floor.events_per_s', 'events/s', wall('canonicalFloor'), {
        notes: `bare loop on the same canonical social events (bytes): ${floorDoes}; observed_timestamp stamped, no adapter; ${setting}`,
      }),
      summarize('ingest.driver.floor.events_per_cpu_s', 'events/s', cpu('canonicalFloor'), { notes: 'the same runs, per second of process CPU time' }),
      summarize('ingest.driver.floor.segment.events_per_s', 'events/s', wall('segmentFloor'), {
        notes: `bare loop on the ingest.driver Segment records (bytes): ${floorDoes}; plus the Segment adapter called directly (the one step a Segment record needs to become canonical); ${setting}`,
      }),
      summarize('ingest.driver.floor.segment.events_per_cpu_s', 'events/s', cpu('segmentFloor'), { notes: 'the same runs, per second of process CPU time' }),
      ratioFigure(
        'ingest.driver.ratio_to_floor',
        'ingest.driver.floor.events_per_cpu_s',
        cpu('canonicalAvro'),
        cpu('canonicalFloor'),
        ratioNotes('canonicalAvro', 'canonicalFloor', 'driver on canonical social events, Avro values ÷ the bare floor on the same records, per CPU second'),
      ),
      ratioFigure(
        'ingest.driver.segment.ratio_to_floor',
        'ingest.driver.floor.segment.events_per_cpu_s',
        cpu('segmentAvro'),
        cpu('segmentFloor'),
        ratioNotes(
          'segmentAvro',
          'segmentFloor',
          `driver on the ingest.driver Segment records with Avro values (the JSON-envelope runs: median ${Math.round(median(cpu('segmentJson')))} events per CPU second) ÷ the Segment floor, per CPU second`,
        ),
      ),
    ];
  } finally {
    // A subject left behind is reported, not allowed to hide the figures.
    await registry.rest.deleteSubject(`${avroTopic}-value`, { permanent: true }).catch((error: unknown) => {
      process.stderr.write(`bench: ingest: could not delete subject ${avroTopic}-value: ${(error as Error).message}\n`);
    });
  }
}

async function withRedis<T>(run: (redis: Redis, prefix: string) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: process.env });
  const redis = new Redis(config.redis.url, { password: config.redis.password?.reveal(), maxRetriesPerRequest: 2 });
  const prefix = `bench-vault-${randomBytes(4).toString('hex')}`;
  try {
    return await run(redis, prefix);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', vaultPattern(prefix), 'COUNT', 5000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}

async function vaultFigures(options: BenchOptions): Promise<Figure[]> {
  const events = options.quick ? 50_000 : 200_000;
  const picks = zipf(50_000, events, 42);
  const subjects: SubjectRef[] = picks.map((u) => ({ kind: 'user', id: `user-${u}` }));
  return withRedis(async (redis, prefix) => {
    const store = new RedisVaultStore(redis, { prefix });
    const keys = masterKeys();
    const lookupKey = randomBytes(32);
    const measure = async (cacheSize: number): Promise<{ rate: number; hitRate: number }> => {
      const vault = new PiiVault(store, { masterKeys: keys, lookupKey, cacheSize });
      const started = process.hrtime.bigint();
      for (let i = 0; i < subjects.length; i += BATCH) await vault.resolveMany(subjects.slice(i, i + BATCH));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { rate: subjects.length / seconds, hitRate: vault.stats().hitRate };
    };
    // First pass creates the subjects (claims); the measured passes are the steady state.
    const creation = await measure(0);
    const cached: number[] = [];
    const hitRates: number[] = [];
    const uncached: number[] = [];
    for (let run = 0; run < (options.quick ? 2 : 3); run += 1) {
      const c = await measure(100_000);
      cached.push(c.rate);
      hitRates.push(c.hitRate);
      uncached.push((await measure(0)).rate);
    }
    const pseudonymizeRates: number[] = [];
    const vault = new PiiVault(store, { masterKeys: keys, lookupKey });
    const pseudonymizer = new Pseudonymizer(vault);
    const canonical = (u: number): CanonicalEvent => ({
      id: randomUUID(),
      event_timestamp: '2026-11-28T09:00:00.000Z',
      observed_timestamp: '2026-11-28T09:00:00.100Z',
      source: 'bench://ingest',
      spec_version: '1.0',
      action: { name: 'shop.product.viewed', type: 'track' },
      actor: { id: `user-${u}`, type: 'user', details: { email: `user-${u}@example.com` } },
      context: { client: { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0 (bench)', session_id: `s-${u % 1000}` } },
    });
    const pEvents = picks.slice(0, options.quick ? 20_000 : 60_000).map(canonical);
    for (let run = 0; run < 2; run += 1) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < pEvents.length; i += BATCH) await pseudonymizer.pseudonymizeBatch(pEvents.slice(i, i + BATCH));
      pseudonymizeRates.push(pEvents.length / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    return [
      summarize('vault.resolve_many.redis.events_per_s', 'events/s', cached, { notes: `Zipf over 50k users, batches of ${BATCH}, LRU 100k; creation pass ${Math.round(creation.rate)} events/s` }),
      summarize('vault.cache.hit_rate', 'ratio', hitRates, { notes: 'steady state of the run above' }),
      summarize('vault.resolve_many.redis_uncached.events_per_s', 'events/s', uncached, { notes: 'cache off: one pipelined HMGET per distinct subject per batch (all known)' }),
      summarize('pseudonymize.redis.events_per_s', 'events/s', pseudonymizeRates, { notes: 'resolve + AES-GCM of e-mail, user agent, session id + flush; IP truncated' }),
    ];
  });
}

function chainFigure(options: BenchOptions): Figure {
  const chainer = new HashChainer(new ChainKeyRing('c1', new Map([['c1', randomBytes(32)]])), new MemoryChainHeadStore());
  const events: CanonicalEvent[] = Array.from({ length: 1_000 }, (_, i) => ({
    id: randomUUID(),
    event_timestamp: '2026-11-28T09:00:00.000Z',
    observed_timestamp: '2026-11-28T09:00:00.100Z',
    source: 'bench://ingest',
    spec_version: '1.0',
    action: { name: 'shop.product.viewed', type: 'track' },
    actor: { type: 'user', pseudonym: 'ps_abcdefghijklmnopqrstuvwxyz' },
    context: {
      client: { ip_address: '203.0.113.0', user_agent: 'pii:ps_abcdefghijklmnopqrstuvwxyz:abcdefghijklmnopqrst' },
      domain_specific: { analytics: { properties: { title: 'Intro', course_id: `c-${i}`, price: 4.99, tags: ['a', 'b'] } } },
    },
  }));
  const total = options.quick ? 100_000 : 300_000;
  const samples: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < total; i += 1) chainer.append(0, events[i % events.length] as CanonicalEvent);
    samples.push(total / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return summarize('chain.append.events_per_s', 'events/s', samples, { notes: 'JCS + HMAC-SHA256 per entry, ~600-byte events' });
}

export const suite: BenchSuite = {
  name: 'ingest',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    return [chainFigure(options), ...(await driverFigures(options)), ...(await vaultFigures(options))];
  },
};
