/** Identify → profile table → user_state_snapshot (design Part 1.1) on the TopologyTestDriver. */
import { describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier } from '../../../processors/chain/chain-verifier.js';
import { defineProfilePolicy, type ProfilePolicy, type UserProfile } from '../../../processors/profile/user-profile.js';
import { erasureRequest } from '../../../processors/pseudonymization/erasure.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEnvelope } from '../../../schemas/avro.js';
import { Serdes } from '../../../streams/serdes.js';
import type { KeyValueStore } from '../../../streams/state/key-value-store.js';
import { changelogTopicName } from '../../../streams/state/store.js';
import { TopologyTestDriver, type RawTestRecord } from '../../../streams/test-driver.js';
import { buildIngestTopology, USER_PROFILE_STORE } from '../../../topologies/ingest.js';

const topics = { raw: 'raw', canonical: 'canonical', deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' };
const APP = 'user-state-test';

function setup(options: { profilePolicy?: ProfilePolicy; partitions?: number; restoreFrom?: Record<string, readonly RawTestRecord[]>; store?: MemoryVaultStore } = {}) {
  const chainKeys = new ChainKeyRing('c1', new Map([['c1', Buffer.alloc(32, 7)]]));
  const masterKeys = new MasterKeyRing('m1', new Map([['m1', Buffer.alloc(32, 9)]]));
  const vault = new PiiVault(options.store ?? new MemoryVaultStore(), { masterKeys, lookupKey: Buffer.alloc(32, 5) });
  const topology = buildIngestTopology({
    topics,
    translator: new CanonicalTranslator(),
    vault,
    chainKeys,
    masterKeys,
    partitions: options.partitions ?? 1,
    ...(options.profilePolicy === undefined ? {} : { profilePolicy: options.profilePolicy }),
  });
  const driver = new TopologyTestDriver(topology, {
    applicationId: APP,
    partitions: options.partitions ?? 1,
    initialWallClockTimeMs: Date.parse('2026-11-28T09:00:00Z'),
    ...(options.restoreFrom === undefined ? {} : { restoreFrom: options.restoreFrom }),
  });
  const raw = driver.createInputTopic(topics.raw, Serdes.String(), Serdes.String());
  const erasure = driver.createInputTopic(topics.erasureRequests, Serdes.String(), Serdes.String());
  const envelopes = (): CanonicalEnvelope[] => driver.readRawRecords(topics.canonical).map((r) => JSON.parse((r.value as Buffer).toString()) as CanonicalEnvelope);
  const verify = () => {
    const verifier = new ChainVerifier(chainKeys, []);
    for (const r of driver.readRawRecords(topics.canonical)) {
      const envelope = JSON.parse((r.value as Buffer).toString()) as CanonicalEnvelope;
      verifier.add({ partition: r.partition, offset: r.offset, event: envelope.event, chain: envelope.chain });
    }
    return verifier.report();
  };
  return { driver, raw, erasure, vault, envelopes, verify };
}

const at = (minute: number): string => `2026-11-28T08:${String(minute).padStart(2, '0')}:00.000Z`;
const identify = (userId: string, minute: number, traits: Record<string, unknown>, id = `i-${userId}-${minute}`) =>
  JSON.stringify({ type: 'identify', userId, messageId: id, timestamp: at(minute), traits });
const track = (userId: string, minute: number, id = `t-${userId}-${minute}`) =>
  JSON.stringify({ type: 'track', event: 'Course Clicked', userId, messageId: id, timestamp: at(minute), properties: { course_id: 'c1' } });
const snapshotOf = (envelope: CanonicalEnvelope | undefined) => envelope?.event.context?.domain_specific?.analytics?.user_state_snapshot;

describe('user state at the time (driver)', () => {
  it('stamps each event with the profile as it stood at event time, never with a later update', async () => {
    const { raw, envelopes, verify } = setup();
    await raw.pipeRecordListAsync([
      { key: 'u1', value: track('u1', 0) }, // before any identify: no snapshot
      { key: 'u1', value: identify('u1', 1, { plan: 'free', role: 'student' }) },
      { key: 'u1', value: track('u1', 2) },
      { key: 'u1', value: identify('u1', 10, { plan: 'pro' }) },
      { key: 'u1', value: track('u1', 11) },
      // Processed after the plan changed to pro, but it happened at minute 5: it saw the free plan.
      { key: 'u1', value: track('u1', 5) },
      // Another user's identify never shows in u1's events.
      { key: 'u2', value: identify('u2', 3, { plan: 'enterprise' }) },
      { key: 'u2', value: track('u2', 4) },
    ]);
    const out = envelopes();
    expect(out.map((e) => e.event.action.name)).toEqual([
      'analytics.course.clicked',
      'analytics.user.identified',
      'analytics.course.clicked',
      'analytics.user.identified',
      'analytics.course.clicked',
      'analytics.course.clicked',
      'analytics.user.identified',
      'analytics.course.clicked',
    ]);
    expect(out.map(snapshotOf)).toEqual([
      undefined,
      undefined, // an identify carries the state from before itself
      { plan: 'free', role: 'student' },
      { plan: 'free', role: 'student' },
      { plan: 'pro', role: 'student' },
      { plan: 'free', role: 'student' },
      undefined,
      { plan: 'enterprise' },
    ]);
    // The snapshot is part of the chained event.
    expect(verify()).toMatchObject({ intact: true, records: 8 });
  });

  it('places a late identify at its own time: events before it keep the older state', async () => {
    const { raw, envelopes } = setup();
    await raw.pipeRecordListAsync([
      { key: 'u', value: identify('u', 1, { plan: 'free' }) },
      { key: 'u', value: identify('u', 20, { plan: 'pro' }) },
      { key: 'u', value: identify('u', 10, { plan: 'team', locale: 'fr-FR' }) }, // arrives late
      { key: 'u', value: track('u', 5) },
      { key: 'u', value: track('u', 15) },
      { key: 'u', value: track('u', 25) },
    ]);
    expect(envelopes().slice(3).map(snapshotOf)).toEqual([{ plan: 'free' }, { plan: 'team', locale: 'fr-FR' }, { plan: 'pro', locale: 'fr-FR' }]);
  });

  it('keeps only allow-listed, non-PII traits; PII traits go to the vault and never into a snapshot', async () => {
    const policy = defineProfilePolicy({ allowedTraits: ['plan', 'email', 'name', 'nickname', 'favourite', 'contact'] });
    const { driver, raw, vault, envelopes } = setup({ profilePolicy: policy });
    await raw.pipeRecordListAsync([
      {
        key: 'u',
        value: identify('u', 1, {
          plan: 'pro',
          logins: 5, // not on the allow-list
          email: 'ann@example.com', // allow-listed by mistake: PII by key name, so never a trait
          name: 'Ann Example', // PII by key name in actor details
          nickname: 'annie',
          favourite: 'ann@example.com', // e-mail by shape
          contact: { phone: '+33 6 12 34 56 78' }, // not a scalar
        }),
      },
      { key: 'u', value: track('u', 2) },
    ]);
    const [identified, tracked] = envelopes();
    expect(snapshotOf(tracked)).toEqual({ plan: 'pro' });
    // The PII traits are vault tokens in the identify event and their values are in the vault.
    const pseudonym = identified?.event.actor.pseudonym as string;
    expect(identified?.event.actor.details?.email).toMatch(/^pii:ps_/);
    const revealed = await vault.reveal(pseudonym);
    expect(revealed?.values.map((v) => v.value)).toEqual(expect.arrayContaining(['ann@example.com', 'Ann Example', 'annie']));
    // Nothing of them in the profile table, its changelog, or any canonical record.
    const changelog = driver.readRawRecords(changelogTopicName(APP, USER_PROFILE_STORE));
    expect(changelog.map((r) => r.key?.toString())).toEqual([pseudonym]);
    const everything = [...changelog, ...driver.readRawRecords(topics.canonical)].map((r) => `${r.key?.toString() ?? ''} ${r.value?.toString() ?? ''}`).join('\n');
    for (const secret of ['ann@example.com', 'Ann Example', 'annie', '+33 6 12 34 56 78']) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/"u"|userId/);
  });

  it('identify events of Segment, Mixpanel (profile update and $identify) and Amplitude update the profile', async () => {
    const { raw, envelopes } = setup();
    const t = Date.parse(at(1));
    await raw.pipeRecordListAsync([
      { key: 's', value: identify('seg-user', 1, { plan: 'free' }) },
      { key: 's', value: track('seg-user', 2) },
      { key: 'm', value: JSON.stringify({ $token: 'tok', $distinct_id: 'mp-user', $time: t, $set: { plan: 'team', $email: 'mp@example.com' } }) },
      { key: 'm', value: JSON.stringify({ event: 'Course Clicked', properties: { distinct_id: 'mp-user', time: t / 1000 + 60, $insert_id: 'mp-1' } }) },
      { key: 'm', value: JSON.stringify({ $token: 'tok', $distinct_id: 'mp-user', $time: t + 120_000, $unset: ['plan'] }) },
      { key: 'm', value: JSON.stringify({ event: 'Course Clicked', properties: { distinct_id: 'mp-user', time: t / 1000 + 180, $insert_id: 'mp-2' } }) },
      { key: 'a', value: JSON.stringify({ event_type: '$identify', user_id: 'amp-user', time: t, user_properties: { plan: 'pro' } }) },
      { key: 'a', value: JSON.stringify({ event_type: 'Course Clicked', user_id: 'amp-user', time: t + 60_000 }) },
    ]);
    const out = envelopes();
    expect(out.map((e) => e.event.action.type)).toEqual(['identify', 'track', 'identify', 'track', 'identify', 'track', 'identify', 'track']);
    expect(out.map(snapshotOf)).toEqual([undefined, { plan: 'free' }, undefined, { plan: 'team' }, { plan: 'team' }, undefined, undefined, { plan: 'pro' }]);
    expect(JSON.stringify(out)).not.toContain('mp@example.com');
  });

  it('restores the profile table from its changelog after a restart', async () => {
    const store = new MemoryVaultStore();
    const first = setup({ store });
    await first.raw.pipeRecordListAsync([{ key: 'u', value: identify('u', 1, { plan: 'pro' }) }]);
    const changelog = changelogTopicName(APP, USER_PROFILE_STORE);
    const restored = setup({ store, restoreFrom: { [changelog]: first.driver.readRawRecords(changelog) } });
    await restored.raw.pipeRecordListAsync([{ key: 'u', value: track('u', 2) }]);
    expect(snapshotOf(restored.envelopes()[0])).toEqual({ plan: 'pro' });
  });

  it('erasure deletes the profile (tombstone in the changelog), and the returning user starts afresh', async () => {
    const { driver, raw, erasure, vault, envelopes } = setup();
    await raw.pipeRecordListAsync([
      { key: 'u', value: identify('u', 1, { plan: 'pro' }) },
      { key: 'u', value: track('u', 2) },
    ]);
    const pseudonym = envelopes()[0]?.event.actor.pseudonym as string;
    const profiles = driver.getStateStore(USER_PROFILE_STORE) as KeyValueStore<string, UserProfile>;
    expect(profiles.get(pseudonym)).toBeDefined();

    const request = erasureRequest([vault.lookupHashOf({ kind: 'user', id: 'u' })], []);
    await erasure.pipeRecordListAsync([{ key: request.request_id, value: JSON.stringify(request) }]);
    expect(profiles.get(pseudonym)).toBeUndefined();
    const changelog = driver.readRawRecords(changelogTopicName(APP, USER_PROFILE_STORE));
    expect(changelog.at(-1)).toMatchObject({ value: null });
    expect(changelog.at(-1)?.key?.toString()).toBe(pseudonym);

    await raw.pipeRecordListAsync([{ key: 'u', value: track('u', 3) }]);
    const returning = envelopes().at(-1);
    expect(returning?.event.actor.pseudonym).not.toBe(pseudonym);
    expect(snapshotOf(returning)).toBeUndefined();
  });

  it('erasure reaches the profile on every partition, through authenticated control records', async () => {
    const { driver, raw, erasure, vault, envelopes } = setup({ partitions: 3 });
    // Each user's events on its own partition (producers key raw events by user).
    await raw.pipeRecordListAsync(['user-0', 'user-1', 'user-2'].map((user, partition) => ({ key: user, value: identify(user, 1, { plan: `p-${user}` }), partition })));
    const pseudonymOf = new Map(envelopes().map((e) => [e.chain?.partition, e.event.actor.pseudonym as string]));
    const profiles = driver.getKeyValueStore<string, UserProfile>(USER_PROFILE_STORE);
    for (const partition of [0, 1, 2]) expect(profiles.get(pseudonymOf.get(partition) as string)).toBeDefined();

    // The request arrives on partition 0; user-2's profile lives with partition 2.
    const request = erasureRequest([vault.lookupHashOf({ kind: 'user', id: 'user-2' })], []);
    await erasure.pipeRecordListAsync([{ key: request.request_id, value: JSON.stringify(request), partition: 0 }]);
    expect(profiles.get(pseudonymOf.get(2) as string)).toBeUndefined();
    expect(profiles.get(pseudonymOf.get(0) as string)).toBeDefined();
    expect(profiles.get(pseudonymOf.get(1) as string)).toBeDefined();
    // The control records went to the other partitions and hold pseudonyms only (random base32, which
    // can contain "u2" by chance but never the '-' of the identifier looked for).
    const control = driver.readRawRecords(topics.raw).filter((r) => r.headers['quintet-control'] !== undefined);
    expect(control.map((r) => r.partition).sort()).toEqual([1, 2]);
    expect(control.map((r) => r.value?.toString()).join()).not.toContain('user-2');
    expect(driver.readRawRecords(topics.deadLetter)).toEqual([]);

    // A forged control record (no valid MAC) deletes nothing and is dead-lettered.
    const forged = JSON.stringify({ pseudonyms: [pseudonymOf.get(1)], partition: 1 });
    await raw.pipeRecordListAsync([{ key: 'x', value: forged, partition: 1, headers: { 'quintet-control': 'profile-erasure.v1', 'quintet-control-mac': `m1.${'0'.repeat(64)}` } }]);
    expect(profiles.get(pseudonymOf.get(1) as string)).toBeDefined();
    expect(driver.readRawRecords(topics.deadLetter).map((r) => r.headers['quintet.dlq.code'])).toEqual(['CONTROL_RECORD_INVALID']);
  });
});
