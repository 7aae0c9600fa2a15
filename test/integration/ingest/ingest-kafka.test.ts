/**
 * The ingest topology end to end on the real stack: Kafka (exactly_once), the Redis vault, Avro through
 * the registry. Every adapter sample plus a few hundred Segment events go in; the canonical topic must
 * hold every event pseudonymized and chained, verifiable against its signed checkpoints; bad records
 * land encrypted in the dead-letter topic; `quintet erase` shreds a subject and the topology chains the
 * `privacy.subject.erased` event; and no raw identifier of the erased subject (or any other) is found in
 * the canonical topic, the dead-letter topic or Redis.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseSubjects } from '../../../cli/commands/erase.js';
import { CanonicalValueDecoder, readTopicToEnd, type TopicRecord } from '../../../cli/commands/export.js';
import { verifyTopic } from '../../../cli/commands/verify.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { vaultPattern } from '../../../connectors/redis/keys.js';
import { createVaultRedis } from '../../../connectors/redis/vault-client.js';
import { RedisVaultStore } from '../../../connectors/redis/vault-store.js';
import { confluentAvroSerde, connectSchemaRegistry } from '../../../connectors/schema-registry/index.js';
import type { QuintetConfig } from '../../../core/config.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { CheckpointSigner, signingKeyFromConfig } from '../../../processors/chain/checkpoint.js';
import { DeadLetterTally, decodeDeadLetter } from '../../../processors/dead-letter/dead-letter-record.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';
import { canonicalEventAvroSchema, fromAvroRecord, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import { KafkaStreams } from '../../../streams/kafka/kafka-streams.js';
import { createLogger } from '../../../core/logger.js';
import { buildIngestTopology, ingestTaskOptions, USER_PROFILE_STORE } from '../../../topologies/ingest.js';
import { kafkaTopology } from '../../../streams/kafka/kafka-topology.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { waitFor } from '../../support/wait.js';
import * as fixtures from '../../unit/adapters/fixtures.js';

const PARTITIONS = 2;
const SEGMENT_EVENTS = 300;
const ERASED_USER = '97980cfea0067';
const SAMPLES = [
  fixtures.segmentTrack,
  fixtures.segmentIdentify,
  fixtures.segmentAnonymousPage,
  fixtures.mixpanelTrack,
  fixtures.amplitudeEvent,
  fixtures.cloudTrailIamUser,
  fixtures.auth0Success,
  fixtures.githubRepoDestroy,
  fixtures.otelLogs,
  fixtures.cloudEventStructured,
  fixtures.canonicalEvent,
];
/** Raw identifiers that must never appear after the vault. */
const RAW_IDENTIFIERS = ['AiUGstSDIg', ERASED_USER, '507f191e810c19729de860ea', 'peter@example.com', 'Peter Gibbons', 'Mozilla/5.0', 'user/Mary', 'seg-user-17@example.org', 'seg-user-17'];

const topics = {
  raw: uniqueName('it-ingest-raw'),
  canonical: uniqueName('it-ingest-canonical'),
  deadLetter: uniqueName('it-ingest-dlq'),
  erasureRequests: uniqueName('it-ingest-erasure'),
  checkpoints: uniqueName('it-ingest-checkpoints'),
};
const applicationId = uniqueName('it-ingest-app');
const keyPrefix = uniqueName('it-ingest-vault');
let config: QuintetConfig;
let kafka: Kafka;
let admin: Admin;
let redis: Redis;
let streams: KafkaStreams | undefined;

const segment = (i: number): string =>
  JSON.stringify({
    type: 'track',
    event: 'Order Completed',
    userId: `seg-user-${i % 40}`,
    messageId: `it-${i}`,
    timestamp: '2026-11-28T09:00:00.000Z',
    context: { ip: '198.51.100.77', userAgent: 'Mozilla/5.0 (it)', traits: { email: `seg-user-${i % 40}@example.org` } },
    properties: { order_id: `o-${i}`, total: i },
  });

async function readAll(topic: string): Promise<TopicRecord[]> {
  const records: TopicRecord[] = [];
  await readTopicToEnd(kafka, topic, (r) => void records.push(r));
  return records;
}

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  config = testConfig({
    'topics.raw': topics.raw,
    'topics.canonical': topics.canonical,
    'topics.deadLetter': topics.deadLetter,
    'topics.erasureRequests': topics.erasureRequests,
    'topics.checkpoints': topics.checkpoints,
    'streams.applicationId': applicationId,
    'streams.processingGuarantee': 'exactly_once',
    'streams.commitIntervalMs': '200',
    'secrets.masterKeys': `m1:${randomBytes(32).toString('base64')}`,
    'secrets.chainKeys': `c1:${randomBytes(32).toString('base64')}`,
    'secrets.lookupKey': randomBytes(32).toString('base64'),
    'secrets.signingKey': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  kafka = createKafkaClient(config, { clientIdSuffix: 'it-ingest' });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: topics.raw, numPartitions: PARTITIONS },
      { topic: topics.canonical, numPartitions: PARTITIONS },
      { topic: topics.erasureRequests, numPartitions: PARTITIONS },
      { topic: topics.deadLetter, numPartitions: 1 },
      { topic: topics.checkpoints, numPartitions: 1 },
    ].map((t) => ({ ...t, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  redis = createVaultRedis(config);
  const masterKeys = MasterKeyRing.fromConfig(config.secrets.masterKeys);
  const topology = buildIngestTopology({
    topics,
    translator: new CanonicalTranslator(),
    vault: PiiVault.fromConfig(new RedisVaultStore(redis, { prefix: keyPrefix }), config),
    chainKeys: ChainKeyRing.fromConfig(config.secrets.chainKeys),
    masterKeys,
    partitions: PARTITIONS,
    signer: new CheckpointSigner(signingKeyFromConfig(config.secrets.signingKey)),
    checkpointIntervalMs: 500,
    canonicalValueSerde: confluentAvroSerde<CanonicalEnvelope>(connectSchemaRegistry(config), {
      schema: canonicalEventAvroSchema() as never,
      autoRegister: true,
      toAvro: toAvroRecord,
      fromAvro: (record) => fromAvroRecord(record as Record<string, unknown>),
    }),
  });
  const engineTopology = kafkaTopology(topology, ingestTaskOptions({ topics, canonicalPartitions: PARTITIONS, masterKeys }));
  streams = new KafkaStreams(engineTopology, { config, applicationId, logger: createLogger({ level: process.env.QUINTET_TEST_LOG_LEVEL === undefined ? 'silent' : (process.env.QUINTET_TEST_LOG_LEVEL as 'info') }) });
  streams.on('stateChange', (next: string) => {
    if (process.env.QUINTET_TEST_LOG_LEVEL !== undefined) process.stderr.write(`streams state ${next}\n`);
  });
  streams.on('error', (error: unknown) => process.stderr.write(`streams error ${(error as Error).message}\n`));
  await streams.start();
});

afterAll(async () => {
  await streams?.close();
  const internal = [`${applicationId}-chain-heads-changelog`, `${applicationId}-${USER_PROFILE_STORE}-changelog`];
  await admin?.deleteTopics({ topics: [...Object.values(topics), ...internal] }).catch(() => undefined);
  await admin?.deleteGroups([applicationId]).catch(() => undefined);
  await admin?.disconnect();
  if (redis !== undefined) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
});

describe('ingest topology on Kafka + Redis + registry', () => {
  it('ingests, chains, dead-letters, erases, verifies, and leaks no raw identifier', async () => {
    const translator = new CanonicalTranslator();
    const raw = [...SAMPLES.map((s) => JSON.stringify(s)), ...Array.from({ length: SEGMENT_EVENTS }, (_, i) => segment(i))];
    const expected = raw.reduce((n, value) => {
      const result = translator.translate({ value }, Date.now());
      return n + (result.kind === 'ok' ? result.value.length : 0);
    }, 0);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: topics.raw,
      acks: -1,
      messages: [
        ...raw.map((value, i) => ({ key: `k-${i % 17}`, value })),
        { key: 'bad-1', value: '{"userId":"leak-me@example.com", broken' },
        { key: 'bad-2', value: JSON.stringify({ unknown: 'shape', email: 'leak-me-too@example.com' }) },
      ],
    });

    const canonicalValues = await waitFor('the canonical events', async () => {
      if (process.env.QUINTET_TEST_LOG_LEVEL !== undefined) process.stderr.write(`canonical ${(await readAll(topics.canonical)).length} dlq ${(await readAll(topics.deadLetter)).length}\n`);
      const records = await readAll(topics.canonical);
      return records.length >= expected ? records : undefined;
    });
    expect(canonicalValues).toHaveLength(expected);

    const decoder = new CanonicalValueDecoder(config);
    const identify = await (async () => {
      for (const r of canonicalValues) {
        const envelope = await decoder.decode(r.value);
        if (envelope?.event.action.type === 'identify') return envelope.event;
      }
      return undefined;
    })();
    const erasedPseudonym = identify?.actor.pseudonym as string;
    expect(erasedPseudonym).toMatch(/^ps_/);

    // Erase one subject through the CLI path: shredded at once, audit event chained by the topology.
    const erased = await eraseSubjects(config, { subjects: [ERASED_USER], publish: true, keyPrefix });
    expect(erased.erased).toContain(erasedPseudonym);
    await waitFor('the privacy.subject.erased event', async () => {
      for (const r of await readAll(topics.canonical)) {
        const envelope = await decoder.decode(r.value);
        if (envelope?.event.action.name === 'privacy.subject.erased' && envelope.event.entity?.id === erasedPseudonym) return true;
      }
      return undefined;
    });
    const vault = PiiVault.fromConfig(new RedisVaultStore(redis, { prefix: keyPrefix }), config);
    expect(await vault.reveal(erasedPseudonym)).toBeUndefined();

    // Every chain verifies against its signed checkpoints, once checkpoints caught up with the heads.
    const report = await waitFor('checkpoints of every head', async () => {
      const r = await verifyTopic(config, topics.canonical, topics.checkpoints, undefined);
      return r.intact && r.partitions.every((p) => p.checkpoint_sequence === p.verified_through) ? r : undefined;
    });
    expect(report).toMatchObject({ intact: true, truncation_checked: true, records: expected + 1 });

    // Dead letters: reasons in headers, payload encrypted.
    const dead = await readAll(topics.deadLetter);
    expect(dead).toHaveLength(2);
    expect(dead.map((r) => decodeDeadLetter(r.value)?.source.topic)).toEqual([topics.raw, topics.raw]);
    const tally = new DeadLetterTally();
    for (const r of dead) tally.add(r.value, r.headers);
    expect(tally.summary().reasons.map((x) => [x.stage, x.reason]).sort()).toEqual([
      ['detect', 'FORMAT_UNKNOWN'],
      ['parse', 'JSON_INVALID'],
    ]);

    // No raw identifier anywhere after the vault: canonical, dead letters, erasure requests, Redis.
    const texts: string[] = [];
    for (const r of [...(await readAll(topics.canonical)), ...dead, ...(await readAll(topics.erasureRequests)), ...(await readAll(topics.checkpoints))]) {
      texts.push(r.value?.toString('latin1') ?? '');
    }
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', vaultPattern(keyPrefix), 'COUNT', 1000);
      cursor = next;
      for (const key of keys) texts.push(key, ...Object.entries(await redis.hgetall(key)).flat());
    } while (cursor !== '0');
    const everything = texts.join('\n');
    for (const identifier of [...RAW_IDENTIFIERS, 'leak-me@example.com', 'leak-me-too@example.com']) expect(everything).not.toContain(identifier);
    // The erased subject's pseudonym survives only in the log (orphaned), not in the vault.
    const vaultText = texts.slice(texts.findIndex((t) => t.startsWith(`${keyPrefix}:`))).join('\n');
    expect(vaultText).not.toContain(erasedPseudonym);
  });

  it('stamps the profile as of event time from a changelogged table, and erasure tombstones it', async () => {
    const user = `profile-user-${randomBytes(4).toString('hex')}`;
    const cohort = `cohort-${randomBytes(4).toString('hex')}`;
    const at = (minute: number): string => `2026-11-28T10:${String(minute).padStart(2, '0')}:00.000Z`;
    const identify = (minute: number, traits: Record<string, unknown>) =>
      JSON.stringify({ type: 'identify', userId: user, messageId: `${user}-i-${minute}`, timestamp: at(minute), traits: { cohort, ...traits } });
    const track = (minute: number) =>
      JSON.stringify({ type: 'track', event: 'Lesson Started', userId: user, messageId: `${user}-t-${minute}`, timestamp: at(minute), properties: { lesson_id: `l-${minute}` } });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // Keyed by user: one partition, in order. The minute-5 track is processed after the minute-10 identify.
    const values = [identify(1, { plan: 'free', email: `${user}@example.com` }), track(2), identify(10, { plan: 'pro' }), track(11), track(5)];
    await producer.send({ topic: topics.raw, acks: -1, messages: values.map((value) => ({ key: user, value })) });
    await producer.disconnect();

    const decoder = new CanonicalValueDecoder(config);
    const mine = await waitFor('the profile user\'s events', async () => {
      const events = [];
      for (const r of await readAll(topics.canonical)) {
        const event = (await decoder.decode(r.value))?.event;
        if (event?.action.type === 'identify' && event.actor.details?.cohort === cohort) events.push(event);
        else if (event?.entity?.type === 'lesson' && event.entity.id?.startsWith('l-')) events.push(event);
      }
      const pseudonym = events.find((e) => e.action.type === 'identify')?.actor.pseudonym;
      const own = events.filter((e) => e.actor.pseudonym === pseudonym);
      return own.length === values.length ? own : undefined;
    });
    const snapshots = Object.fromEntries(mine.map((e) => [e.event_timestamp, e.context?.domain_specific?.analytics?.user_state_snapshot]));
    expect(snapshots).toEqual({
      [at(1)]: undefined,
      [at(2)]: { cohort, plan: 'free' },
      [at(10)]: { cohort, plan: 'free' },
      [at(11)]: { cohort, plan: 'pro' },
      [at(5)]: { cohort, plan: 'free' },
    });
    const pseudonym = mine[0]?.actor.pseudonym as string;

    // The table is backed by a changelog keyed by pseudonym that holds no raw identifier.
    const changelogTopic = `${applicationId}-${USER_PROFILE_STORE}-changelog`;
    const changelog = await readAll(changelogTopic);
    expect(changelog.map((r) => r.key?.toString())).toContain(pseudonym);
    const changelogText = changelog.map((r) => `${r.key?.toString() ?? ''} ${r.value?.toString() ?? ''}`).join('\n');
    expect(changelogText).not.toContain(user);
    expect(changelogText).toContain(cohort);

    // Erasure tombstones the profile (whichever partition holds it).
    await eraseSubjects(config, { subjects: [user], publish: true, keyPrefix });
    await waitFor('the profile tombstone', async () => {
      const records = (await readAll(changelogTopic)).filter((r) => r.key?.toString() === pseudonym);
      return records.at(-1)?.value === null ? true : undefined;
    });
    expect(await readAll(topics.deadLetter)).toHaveLength(2); // the two bad records of the first test only
  });
});
