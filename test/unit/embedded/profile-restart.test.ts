/**
 * The ingest topology's state across a restart of the embedded mode on its data folder: the profile
 * table `user-profiles` (design Part 1.1) comes back, so a user identified before the restart has their
 * `user_state_snapshot` stamped on events after it; an erasure before the restart leaves no profile
 * after it, and the erased profile's traits are off the state files as soon as the erasure is saved; the
 * chain heads come from the saved log even when the state files disagree with it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { EmbeddedPipeline, type RawInput } from '../../../embedded/pipeline.js';
import { eventId } from '../../../processors/adapters/common.js';
import type { UserProfile } from '../../../processors/profile/user-profile.js';
import type { CanonicalEnvelope } from '../../../schemas/avro.js';
import { defaultPartition } from '../../../streams/partitioner.js';
import { compactChangelog, decodeChangelogRecords, encodeChangelogRecords } from '../../../streams/state/changelog-file.js';
import { CHAIN_HEAD_STORE, USER_PROFILE_STORE } from '../../../topologies/ingest.js';

const PARTITIONS = 3;
const config = loadConfig({ env: {} });
const INGEST_STATE = `${config.streams.applicationId}-ingest`;
const folders: string[] = [];

afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quintet-profile-restart-'));
  folders.push(dir);
  return dir;
}

/** Event times a little in the past, minute by minute, so that validation accepts them. */
const base = Date.now() - 3_600_000;
const at = (minute: number): string => new Date(base + minute * 60_000).toISOString();
const identify = (userId: string, minute: number, traits: Record<string, unknown>): RawInput => ({
  key: userId,
  value: JSON.stringify({ type: 'identify', userId, messageId: `i-${userId}-${minute}`, timestamp: at(minute), traits }),
});
const track = (userId: string, minute: number): RawInput => ({
  key: userId,
  value: JSON.stringify({ type: 'track', event: 'Course Clicked', userId, messageId: `t-${userId}-${minute}`, timestamp: at(minute), properties: { course_id: 'c1' } }),
});

/** A user id whose raw records land on `partition` (raw events are keyed by user). */
function userOn(partition: number, prefix: string): string {
  for (let i = 0; ; i++) if (defaultPartition(Buffer.from(`${prefix}${i}`), PARTITIONS) === partition) return `${prefix}${i}`;
}

const snapshotOf = (envelope: CanonicalEnvelope | undefined) => envelope?.event.context?.domain_specific?.analytics?.user_state_snapshot;

function envelopeOf(pipeline: EmbeddedPipeline, messageId: string): CanonicalEnvelope | undefined {
  const id = eventId('segment', messageId);
  return pipeline.canonicalEnvelopes().find((e) => e.event.id === id);
}

async function profileEntries(pipeline: EmbeddedPipeline): Promise<number> {
  await pipeline.metrics.scrape();
  const values = (await pipeline.metrics.stateStoreEntries.get()).values;
  return values.find((v) => v.labels.topology === 'ingest' && v.labels.store === USER_PROFILE_STORE)?.value ?? 0;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The profiles the state files would restore: pseudonym → profile, per the compacted changelog files. */
function profilesOnDisk(dir: string): Map<string, UserProfile> {
  const out = new Map<string, UserProfile>();
  for (const file of filesUnder(join(dir, 'state', INGEST_STATE)).filter((f) => f.endsWith(`${USER_PROFILE_STORE}.changelog`))) {
    for (const record of compactChangelog(decodeChangelogRecords(readFileSync(file)))) {
      const key = (record.key as Buffer).toString('utf8');
      if (record.value === null) out.delete(key);
      else out.set(key, JSON.parse(record.value.toString('utf8')) as UserProfile);
    }
  }
  return out;
}

describe('embedded restart: the ingest state stores', () => {
  it('a user identified before a restart has their user_state_snapshot on events after it', async () => {
    const dir = freshFolder();
    const users = [0, 1, 2].map((p) => userOn(p, 'profile-user-'));
    const run1 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    await run1.ingest(users.map((u, i) => identify(u, 1, { plan: `plan-${i}`, role: 'student' })));
    await run1.ingest(users.map((u) => track(u, 2)));
    // Before the restart the profile table stamps the events (the baseline the restart must keep).
    for (const [i, u] of users.entries()) expect(snapshotOf(envelopeOf(run1, `t-${u}-2`))).toEqual({ plan: `plan-${i}`, role: 'student' });
    await run1.close();

    const run2 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    try {
      expect(await profileEntries(run2)).toBe(users.length);
      await run2.ingest(users.map((u) => track(u, 5)));
      for (const [i, u] of users.entries()) expect(snapshotOf(envelopeOf(run2, `t-${u}-5`)), u).toEqual({ plan: `plan-${i}`, role: 'student' });
      // A later identify after the restart builds on the restored profile.
      await run2.ingest([identify(users[0] as string, 6, { plan: 'pro' }), track(users[0] as string, 7)]);
      expect(snapshotOf(envelopeOf(run2, `t-${users[0]}-7`))).toEqual({ plan: 'pro', role: 'student' });
      expect(run2.verifyChains()).toMatchObject({ intact: true, records: users.length * 3 + 2 });
    } finally {
      await run2.close();
    }
  }, 60_000);

  it('an erasure before a restart leaves no profile after it, and its traits leave the state files when it is saved', async () => {
    const dir = freshFolder();
    // Erased users on every partition: the erasure request reaches one task, control records the others.
    const erased = [0, 1, 2].map((p) => userOn(p, 'erased-user-'));
    const kept = userOn(1, 'kept-user-');
    const run1 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    await run1.ingest([...erased.map((u) => identify(u, 1, { plan: 'erased-plan-marker' })), identify(kept, 1, { plan: 'kept-plan' })]);
    // Saved once with every profile, so that the erased ones are in the files before the erasure.
    await run1.tick(1_000);
    await run1.ingest([track(kept, 2)]);
    expect(await profileEntries(run1)).toBe(4);
    const erasedPseudonyms = await Promise.all(erased.map(async (u) => (await run1.vault.lookup({ kind: 'user', id: u })) as string));
    const keptPseudonym = (await run1.vault.lookup({ kind: 'user', id: kept })) as string;
    for (const u of erased) await run1.erase(u);
    expect(await profileEntries(run1)).toBe(1);
    // The erasure is saved at once: the erased profiles' traits are no longer in any state file.
    const stateFiles = filesUnder(join(dir, 'state'));
    expect(stateFiles.some((f) => f.includes(INGEST_STATE))).toBe(true);
    for (const file of stateFiles) expect(readFileSync(file).includes('erased-plan-marker'), file).toBe(false);
    expect([...profilesOnDisk(dir).keys()]).toEqual([keptPseudonym]);
    await run1.close();

    const run2 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    try {
      expect(await profileEntries(run2)).toBe(1);
      await run2.ingest([track(kept, 5), ...erased.map((u) => track(u, 5))]);
      expect(snapshotOf(envelopeOf(run2, `t-${kept}-5`))).toEqual({ plan: 'kept-plan' });
      // A returning erased user is a new subject: new pseudonym, no profile.
      for (const u of erased) {
        const envelope = envelopeOf(run2, `t-${u}-5`);
        expect(erasedPseudonyms).not.toContain(envelope?.event.actor.pseudonym);
        expect(snapshotOf(envelope)).toBeUndefined();
      }
    } finally {
      await run2.close();
    }
    for (const p of erasedPseudonyms) expect(profilesOnDisk(dir).has(p)).toBe(false);
  }, 60_000);

  it('continues each chain from the saved log, whatever the chain-heads state file says', async () => {
    const dir = freshFolder();
    const users = [0, 1, 2].map((p) => userOn(p, 'chain-user-'));
    const run1 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    await run1.ingest(users.map((u) => track(u, 1)));
    await run1.tick(1_000);
    const stale = new Map(filesUnder(join(dir, 'state', INGEST_STATE)).filter((f) => f.endsWith(`${CHAIN_HEAD_STORE}.changelog`)).map((f) => [f, readFileSync(f)]));
    await run1.ingest(users.flatMap((u) => [track(u, 2), track(u, 3)]));
    await run1.close();
    // A kill between the log's append and the state flush leaves the head files behind the log: put
    // back the older heads (and drop one partition's head altogether).
    expect(stale.size).toBe(PARTITIONS);
    for (const [file, bytes] of stale) writeFileSync(file, bytes);
    const [dropped] = stale.keys();
    writeFileSync(dropped as string, encodeChangelogRecords([]));

    const run2 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    try {
      await run2.ingest(users.map((u) => track(u, 4)));
      await run2.tick(15_000);
      const sequences = new Map<number, number[]>();
      for (const { chain } of run2.canonicalEnvelopes()) if (chain) sequences.set(chain.partition, [...(sequences.get(chain.partition) ?? []), chain.sequence]);
      expect([...sequences.values()]).toEqual([0, 1, 2].map(() => [0, 1, 2, 3]));
      expect(run2.verifyChains()).toMatchObject({ intact: true, records: users.length * 4 });
    } finally {
      await run2.close();
    }
  }, 60_000);
});
