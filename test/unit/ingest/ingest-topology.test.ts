/** The ingest topology on the TopologyTestDriver, with the in-memory vault. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier } from '../../../processors/chain/chain-verifier.js';
import { CheckpointSigner, type ChainCheckpoint } from '../../../processors/chain/checkpoint.js';
import { decodeDeadLetter, unsealDeadLetter } from '../../../processors/dead-letter/dead-letter-record.js';
import { erasureRequest } from '../../../processors/pseudonymization/erasure.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing, PSEUDONYM_PATTERN } from '../../../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEnvelope } from '../../../schemas/avro.js';
import { Serdes } from '../../../streams/serdes.js';
import { changelogTopicName } from '../../../streams/state/store.js';
import { TopologyTestDriver, type RawTestRecord } from '../../../streams/test-driver.js';
import { buildIngestTopology, CHAIN_HEAD_STORE, wireForm } from '../../../topologies/ingest.js';
import * as fixtures from '../adapters/fixtures.js';

const topics = { raw: 'raw', canonical: 'canonical', deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' };
const APP = 'ingest-test';

function setup(options: { partitions?: number; restoreFrom?: Record<string, readonly RawTestRecord[]>; store?: MemoryVaultStore } = {}) {
  const chainKeys = new ChainKeyRing('c1', new Map([['c1', Buffer.alloc(32, 7)]]));
  const masterKeys = new MasterKeyRing('m1', new Map([['m1', Buffer.alloc(32, 9)]]));
  const store = options.store ?? new MemoryVaultStore();
  const vault = new PiiVault(store, { masterKeys, lookupKey: Buffer.alloc(32, 3) });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const topology = buildIngestTopology({
    topics,
    translator: new CanonicalTranslator(),
    vault,
    chainKeys,
    masterKeys,
    signer: new CheckpointSigner(privateKey),
    checkpointIntervalMs: 1_000,
  });
  const driver = new TopologyTestDriver(topology, {
    applicationId: APP,
    partitions: options.partitions ?? 1,
    initialWallClockTimeMs: Date.parse('2026-11-28T09:00:00Z'),
    ...(options.restoreFrom === undefined ? {} : { restoreFrom: options.restoreFrom }),
  });
  const raw = driver.createInputTopic(topics.raw, Serdes.String(), Serdes.String());
  const erasure = driver.createInputTopic(topics.erasureRequests, Serdes.String(), Serdes.String());
  const verify = (records: readonly RawTestRecord[], checkpoints: ChainCheckpoint[] = []) => {
    const verifier = new ChainVerifier(chainKeys, checkpoints, [publicKey]);
    for (const r of records) {
      const envelope = JSON.parse((r.value as Buffer).toString()) as CanonicalEnvelope;
      verifier.add({ partition: r.partition, offset: r.offset, event: envelope.event, chain: envelope.chain });
    }
    return verifier.report();
  };
  return { driver, raw, erasure, vault, store, masterKeys, verify };
}

const canonicalRecords = (driver: TopologyTestDriver): readonly RawTestRecord[] => driver.readRawRecords(topics.canonical);
const envelopes = (driver: TopologyTestDriver): CanonicalEnvelope[] => canonicalRecords(driver).map((r) => JSON.parse((r.value as Buffer).toString()) as CanonicalEnvelope);

const SAMPLES: Record<string, unknown> = {
  segmentTrack: fixtures.segmentTrack,
  segmentIdentify: fixtures.segmentIdentify,
  segmentAnonymousPage: fixtures.segmentAnonymousPage,
  mixpanelTrack: fixtures.mixpanelTrack,
  amplitudeEvent: fixtures.amplitudeEvent,
  cloudTrailIamUser: fixtures.cloudTrailIamUser,
  auth0Success: fixtures.auth0Success,
  githubRepoDestroy: fixtures.githubRepoDestroy,
  otelLogs: fixtures.otelLogs,
  cloudEventStructured: fixtures.cloudEventStructured,
  canonicalEvent: fixtures.canonicalEvent,
};

describe('ingest topology (driver)', () => {
  it('turns every adapter sample into chained canonical events without the raw identifiers', async () => {
    const { driver, raw, verify } = setup();
    await raw.pipeRecordListAsync(Object.values(SAMPLES).map((sample) => ({ key: 'k', value: JSON.stringify(sample) })));
    expect(driver.readRawRecords(topics.deadLetter).map((r) => r.headers['quintet.dlq.code']?.toString())).toEqual([]);
    const out = envelopes(driver);
    expect(out.length).toBeGreaterThanOrEqual(Object.keys(SAMPLES).length);
    expect(out.map((e) => e.chain?.sequence)).toEqual(out.map((_, i) => i));
    expect(verify(canonicalRecords(driver))).toMatchObject({ intact: true, records: out.length });

    const published = canonicalRecords(driver)
      .map((r) => (r.value as Buffer).toString() + JSON.stringify(r.headers) + (r.key?.toString() ?? ''))
      .join('\n');
    for (const identifier of ['AiUGstSDIg', '97980cfea0067', '507f191e810c19729de860ea', 'peter@example.com', 'Peter Gibbons', '8.8.8.8', 'Mozilla/5.0', 'user/Mary', 'AKIAIOSFODNN7EXAMPLE']) {
      expect(published).not.toContain(identifier);
    }
    const track = out.find((e) => e.event.action.name.includes('course'))?.event;
    expect(track?.actor.pseudonym).toMatch(PSEUDONYM_PATTERN);
    expect(track?.actor.id).toBeUndefined();
    expect(track?.context?.client?.ip_address).toBe('8.8.8.0');
    // CloudEvents binary-mode headers.
    expect(canonicalRecords(driver)[0]?.headers).toMatchObject({ ce_specversion: '1.0', 'content-type': 'application/json' });
  });

  it('sends bad input to the dead-letter topic encrypted, and keeps the chain gapless', async () => {
    const { driver, raw, masterKeys, verify } = setup();
    await raw.pipeRecordListAsync([
      { key: 'a', value: JSON.stringify(fixtures.segmentTrack) },
      { key: 'b', value: '{"userId":"leaky@example.com", not json' },
      { key: 'c', value: JSON.stringify({ hello: 'world', email: 'who@example.com' }) },
      { key: 'd', value: JSON.stringify(fixtures.segmentIdentify) },
    ]);
    const dead = driver.readRawRecords(topics.deadLetter);
    expect(dead.map((r) => r.headers['quintet.dlq.code'])).toEqual(['JSON_INVALID', 'FORMAT_UNKNOWN']);
    const text = dead.map((r) => (r.value as Buffer).toString() + JSON.stringify(r.headers)).join('\n');
    expect(text).not.toContain('leaky@example.com');
    expect(text).not.toContain('who@example.com');
    const decoded = decodeDeadLetter(dead[0]?.value as Buffer, dead[0]?.headers);
    expect(decoded).toMatchObject({ reason: 'JSON_INVALID', source: { topic: 'raw', partition: 0, offset: '1' } });
    expect(unsealDeadLetter(masterKeys, decoded!).value?.toString()).toContain('leaky@example.com');
    expect(verify(canonicalRecords(driver))).toMatchObject({ intact: true, records: 2 });
  });

  it('erases a subject on request and chains a privacy.subject.erased event carrying only pseudonyms', async () => {
    const { driver, raw, erasure, vault, verify } = setup();
    await raw.pipeRecordListAsync([{ key: 'a', value: JSON.stringify(fixtures.segmentIdentify) }]);
    const pseudonym = envelopes(driver)[0]?.event.actor.pseudonym as string;
    expect(await vault.reveal(pseudonym)).toMatchObject({ subject: { kind: 'user', id: '97980cfea0067' } });

    const request = erasureRequest([vault.lookupHashOf({ kind: 'user', id: '97980cfea0067' })], []);
    await erasure.pipeRecordListAsync([{ key: request.request_id, value: JSON.stringify(request) }, { key: 'x', value: 'garbage' }]);
    expect(await vault.reveal(pseudonym)).toBeUndefined();
    const erasedEvent = envelopes(driver)[1]?.event;
    expect(erasedEvent).toMatchObject({ action: { name: 'privacy.subject.erased', type: 'system' }, actor: { type: 'system' }, entity: { type: 'subject', id: pseudonym } });
    expect(JSON.stringify(erasedEvent)).not.toContain('97980cfea0067');
    expect(driver.readRawRecords(topics.deadLetter).map((r) => r.headers['quintet.dlq.code'])).toEqual(['ERASURE_REQUEST_INVALID']);
    expect(verify(canonicalRecords(driver))).toMatchObject({ intact: true, records: 2 });

    // The returning subject gets a new pseudonym.
    await raw.pipeRecordListAsync([{ key: 'a', value: JSON.stringify(fixtures.segmentIdentify) }]);
    expect(envelopes(driver)[2]?.event.actor.pseudonym).not.toBe(pseudonym);
  });

  it('keeps one chain per partition and writes each to its own canonical partition', async () => {
    const { driver, raw, verify } = setup({ partitions: 3 });
    await raw.pipeRecordListAsync(
      Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ ...fixtures.segmentTrack, messageId: `m-${i}` }), partition: i % 3 })),
    );
    const records = canonicalRecords(driver);
    expect(records.map((r) => r.partition).sort()).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    for (const r of records) expect((JSON.parse((r.value as Buffer).toString()) as CanonicalEnvelope).chain?.partition).toBe(r.partition);
    const report = verify(records);
    expect(report.intact).toBe(true);
    expect(report.partitions.map((p) => p.verified_through)).toEqual([3, 3, 3]);
  });

  it('continues the chain after a restart from the changelog: no fork, no gap, no repeat', async () => {
    const store = new MemoryVaultStore();
    const first = setup({ store });
    await first.raw.pipeRecordListAsync([1, 2, 3].map((i) => ({ key: 'k', value: JSON.stringify({ ...fixtures.segmentTrack, messageId: `a-${i}` }) })));
    const changelog = changelogTopicName(APP, CHAIN_HEAD_STORE);
    const restored = setup({ store, restoreFrom: { [changelog]: first.driver.readRawRecords(changelog) } });
    await restored.raw.pipeRecordListAsync([4, 5].map((i) => ({ key: 'k', value: JSON.stringify({ ...fixtures.segmentTrack, messageId: `a-${i}` }) })));
    const after = envelopes(restored.driver);
    expect(after.map((e) => e.chain?.sequence)).toEqual([3, 4]);
    expect(after[0]?.chain?.previous_hash).toBe(envelopes(first.driver)[2]?.chain?.hash);
    const all = [...canonicalRecords(first.driver), ...canonicalRecords(restored.driver).map((r, i) => ({ ...r, offset: String(3 + i) }))];
    expect(first.verify(all)).toMatchObject({ intact: true, records: 5 });
  });

  it('publishes signed checkpoints of moved heads, which expose tail truncation', async () => {
    const { driver, raw, verify } = setup();
    await raw.pipeRecordListAsync([1, 2, 3].map((i) => ({ key: 'k', value: JSON.stringify({ ...fixtures.segmentTrack, messageId: `c-${i}` }) })));
    await driver.advanceWallClockTimeAsync(1_000);
    await driver.advanceWallClockTimeAsync(1_000);
    const checkpoints = driver
      .createOutputTopic(topics.checkpoints, Serdes.String(), Serdes.Json<ChainCheckpoint>())
      .readValuesToList();
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toMatchObject({ topic: 'canonical', partition: 0, sequence: 2 });
    const records = canonicalRecords(driver);
    expect(verify(records, checkpoints)).toMatchObject({ intact: true, truncation_checked: true });
    expect(verify(records.slice(0, 2), checkpoints).breaks).toEqual([expect.objectContaining({ kind: 'truncated', partition: 0, sequence: 2 })]);
  });

  it('hashes the wire form of the event (what Avro readers decode)', () => {
    const event = { ...(fixtures.canonicalEvent as unknown as Parameters<typeof wireForm>[0]), unknown_field: 'x' } as Parameters<typeof wireForm>[0];
    expect(wireForm(event)).not.toHaveProperty('unknown_field');
  });
});
