/**
 * Ingest benchmark.
 *
 * - `ingest.driver.events_per_s`: the whole ingest topology (translate Segment track events, validate,
 *   pseudonymize with the in-memory vault, hash-chain, JSON envelope) on the TopologyTestDriver, one
 *   core, batches of 500 records, 5 000 distinct users. `ingest.driver.events_per_cpu_s` is the same run
 *   per second of this process's CPU time: the per-core figure, and steadier when the machine is shared.
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
import { Serdes } from '../streams/serdes.js';
import { TopologyTestDriver } from '../streams/test-driver.js';
import { buildIngestTopology } from '../topologies/ingest.js';
import { summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';

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

export async function driverFigures(options: BenchOptions): Promise<Figure[]> {
  const records = options.quick ? 10_000 : 40_000;
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let run = 0; run < (options.quick ? 2 : 3); run += 1) {
    const keys = masterKeys();
    const topology = buildIngestTopology({
      topics: { raw: 'raw', canonical: 'canonical', deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' },
      translator: new CanonicalTranslator(),
      vault: new PiiVault(new MemoryVaultStore(), { masterKeys: keys, lookupKey: randomBytes(32) }),
      chainKeys: new ChainKeyRing('c1', new Map([['c1', randomBytes(32)]])),
      masterKeys: keys,
    });
    const driver = new TopologyTestDriver(topology, { captureChangelogs: false });
    const input = driver.createInputTopic('raw', Serdes.Void(), Serdes.String());
    const batches: { key: null; value: string }[][] = [];
    for (let b = 0; b < records / BATCH; b += 1) batches.push(Array.from({ length: BATCH }, (_, i) => ({ key: null, value: segmentTrack((b * BATCH + i) % 5_000, b * BATCH + i) })));
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (const batch of batches) await input.pipeRecordListAsync(batch);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    cpuSamples.push(records / ((cpu.user + cpu.system) / 1e6));
    const produced = driver.readRawRecords('canonical').length;
    if (produced !== records) throw new Error(`driver produced ${produced} canonical records for ${records} inputs`);
    samples.push(records / seconds);
    await driver.close();
  }
  return [
    summarize('ingest.driver.events_per_s', 'events/s', samples, { notes: 'Segment track → canonical, in-memory vault, JSON envelope, 1 partition, batches of 500' }),
    // Per CPU second of this process: what one core does, much less sensitive to other load on the machine.
    summarize('ingest.driver.events_per_cpu_s', 'events/s', cpuSamples, { notes: 'the same run, events per second of process CPU time (user + system)' }),
  ];
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
